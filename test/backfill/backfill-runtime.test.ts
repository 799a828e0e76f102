import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseApiTokens } from '../../lambdas/api/auth';
import type { LocalRuntime } from '../../lambdas/composition/local-runtime';
import type { RunView } from '../../lambdas/domain/run';
import { api, startTestRuntime, waitForRun } from '../support/local-runtime';

/**
 * Backfill through the local runtime's HTTP API (shared/API.md, "Business-day calendars,
 * dependencies, backfill"): every occurrence date of a range runs once, oldest first, at most
 * maxConcurrent at a time, dates that had a run keep it, and the progress is readable by id.
 */
const SYNTHETIC = { type: 'SYNTHETIC', settings: { items: 20, batchSize: 10, delayMs: 200 } };
/** Each run takes a few seconds on a loaded 2-core machine, and a test waits for several in a row. */
const SLOW = 240_000;

interface BackfillBody {
  backfillId: string;
  status: 'RUNNING' | 'DONE';
  dates: string[];
  runs: Array<{ processingDate: string; runId: string; status: string }>;
}

async function createSchedule(runtime: LocalRuntime, clientId: string, body: Record<string, unknown>): Promise<string> {
  const created = await api(runtime, 'POST', `/v1/clients/${clientId}/schedules`, {
    name: `Backfilled ${randomBytes(3).toString('hex')}`,
    executionTime: '02:00:00',
    timezone: 'UTC',
    jobs: [SYNTHETIC],
    ...body,
  });
  expect(created.status).toBe(201);
  return created.body.scheduleId;
}

async function untilDone(runtime: LocalRuntime, path: string, timeoutMs = 200_000): Promise<BackfillBody> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const read = await api(runtime, 'GET', path);
    expect(read.status).toBe(200);
    if (read.body.status === 'DONE') return read.body;
    if (Date.now() > deadline) throw new Error(`backfill still RUNNING after ${timeoutMs} ms: ${JSON.stringify(read.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The most runs whose [createdAt, endedAt] intervals hold one instant: what ran "at a time". */
function mostAtOnce(runs: readonly RunView[]): number {
  const edges = runs.flatMap((run) => [
    { at: Date.parse(run.createdAt), delta: 1 },
    { at: Date.parse(run.endedAt ?? run.createdAt), delta: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let current = 0;
  let most = 0;
  for (const edge of edges) most = Math.max(most, (current += edge.delta));
  return most;
}

describe('a backfill on the local runtime', () => {
  let runtime: LocalRuntime;

  beforeAll(async () => {
    runtime = await startTestRuntime({ apiTokens: parseApiTokens('beta-token:beta:admin') });
    await api(runtime, 'PUT', '/v1/clients/acme', { name: 'Acme', timezone: 'UTC' });
    await api(runtime, 'PUT', '/v1/clients/beta', { name: 'Beta', timezone: 'UTC' });
  });

  afterAll(async () => {
    await runtime?.stop();
  });

  it('runs every occurrence date oldest first, maxConcurrent at a time, and keeps the run a date already had', async () => {
    // ALLOW: the schedule's overlap policy lets its runs overlap, so maxConcurrent is what limits them.
    const scheduleId = await createSchedule(runtime, 'acme', { frequency: { type: 'WEEKLY', dayOfWeek: 'MON' }, overlapPolicy: 'ALLOW' });
    const kept = await api(runtime, 'POST', `/v1/clients/acme/schedules/${scheduleId}/runs`, { processingDate: '2026-10-12', trigger: 'MANUAL' });
    await waitForRun(runtime, 'acme', kept.body.runId, ['COMPLETED']);

    const posted = await api(runtime, 'POST', `/v1/clients/acme/schedules/${scheduleId}/backfill`, { from: '2026-10-01', to: '2026-11-04', maxConcurrent: 2 });
    expect(posted.status).toBe(202);
    expect(posted.body.dates).toEqual(['2026-10-05', '2026-10-12', '2026-10-19', '2026-10-26', '2026-11-02']);
    const path = `/v1/clients/acme/schedules/${scheduleId}/backfills/${posted.body.backfillId}`;
    // Pumps racing each other (as a run's end, the tick and the POST may) start nothing twice and nothing past maxConcurrent.
    for (let round = 0; round < 3; round++) {
      await Promise.all(Array.from({ length: 8 }, () => runtime.backfills.pump(posted.body.backfillId)));
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    const done = await untilDone(runtime, path);

    expect(done.runs.map((run) => run.processingDate)).toEqual(posted.body.dates);
    expect(done.runs.every((run) => run.status === 'COMPLETED')).toBe(true);
    expect(done.runs.find((run) => run.processingDate === '2026-10-12')?.runId).toBe(kept.body.runId);
    const runs = await Promise.all(done.runs.map((run) => runtime.engine.runs.getRun('acme', run.runId)));
    const started = runs.filter((run) => run.trigger === 'BACKFILL');
    expect(started.map((run) => run.processingDate)).toEqual(['2026-10-05', '2026-10-19', '2026-10-26', '2026-11-02']);
    expect(started.map((run) => run.attempt)).toEqual([1, 1, 1, 1]);
    const byCreation = [...started].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    expect(byCreation.map((run) => run.processingDate)).toEqual(started.map((run) => run.processingDate));
    expect(mostAtOnce(started)).toBe(2);
  }, SLOW);

  it('shows its progress while it runs: the dates started so far with their runs, one at a time with maxConcurrent 1', async () => {
    const scheduleId = await createSchedule(runtime, 'acme', { frequency: { type: 'DAILY' } });
    const posted = await api(runtime, 'POST', `/v1/clients/acme/schedules/${scheduleId}/backfill`, { from: '2026-09-01', to: '2026-09-03' });
    expect(posted.status).toBe(202);
    expect(posted.body).toMatchObject({ status: 'RUNNING', maxConcurrent: 1, from: '2026-09-01', to: '2026-09-03' });
    expect(posted.body.runs).toEqual([{ processingDate: '2026-09-01', runId: expect.stringMatching(/^run_/), status: expect.stringMatching(/PENDING|RUNNING/) }]);

    const repeated = await api(runtime, 'POST', `/v1/clients/acme/schedules/${scheduleId}/backfill`, { from: '2026-09-01', to: '2026-09-03' });
    expect(repeated.status).toBe(200);
    expect(repeated.body.backfillId).toBe(posted.body.backfillId);
    const other = await api(runtime, 'POST', `/v1/clients/acme/schedules/${scheduleId}/backfill`, { from: '2026-09-01', to: '2026-09-05' });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('BACKFILL_RUNNING');
    expect(other.body.error.details).toEqual([{ path: 'backfillId', message: posted.body.backfillId }]);

    const done = await untilDone(runtime, `/v1/clients/acme/schedules/${scheduleId}/backfills/${posted.body.backfillId}`);
    const runs = await Promise.all(done.runs.map((run) => runtime.engine.runs.getRun('acme', run.runId)));
    expect(mostAtOnce(runs)).toBe(1);
    expect(runs.map((run) => run.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);

    const next = await api(runtime, 'POST', `/v1/clients/acme/schedules/${scheduleId}/backfill`, { from: '2026-09-01', to: '2026-09-04' });
    expect(next.status).toBe(202);
    expect(next.body.backfillId).not.toBe(posted.body.backfillId);
    const again = await untilDone(runtime, `/v1/clients/acme/schedules/${scheduleId}/backfills/${next.body.backfillId}`);
    expect(again.runs.slice(0, 3).map((run) => run.runId)).toEqual(done.runs.map((run) => run.runId));
  }, SLOW);

  it('goes on past a FAILED run: it waits for a person, the next dates do not', async () => {
    const scheduleId = await createSchedule(runtime, 'acme', {
      frequency: { type: 'MANUAL' },
      jobs: [{ type: 'SYNTHETIC', settings: { items: 10, failItems: [2] } }],
    });
    const posted = await api(runtime, 'POST', `/v1/clients/acme/schedules/${scheduleId}/backfill`, { from: '2026-08-30', to: '2026-09-01' });
    const done = await untilDone(runtime, `/v1/clients/acme/schedules/${scheduleId}/backfills/${posted.body.backfillId}`);
    expect(done.runs.map((run) => [run.processingDate, run.status])).toEqual([
      ['2026-08-30', 'FAILED'],
      ['2026-08-31', 'FAILED'],
      ['2026-09-01', 'FAILED'],
    ]);
  }, SLOW);

  it('refuses bad input with 400 naming the field, and answers 404 for a backfill it does not have', async () => {
    const scheduleId = await createSchedule(runtime, 'acme', { frequency: { type: 'DAILY' }, overlapPolicy: 'SKIP' });
    const backfill = `/v1/clients/acme/schedules/${scheduleId}/backfill`;
    const refused = async (body: unknown): Promise<string[]> => {
      const response = await api(runtime, 'POST', backfill, body);
      expect(response.status, JSON.stringify(response.body)).toBe(400);
      expect(response.body.error.code).toBe('VALIDATION_FAILED');
      return response.body.error.details.map((detail: { path: string }) => detail.path);
    };
    expect(await refused({ from: '2026-10-02', to: '2026-10-01' })).toEqual(['to']);
    expect(await refused({ from: '2026-02-30', to: '2026-03-01' })).toEqual(['from']);
    expect(await refused({ from: '2026-01-01' })).toEqual(['to']);
    expect(await refused({ from: '2025-01-01', to: '2026-01-02' })).toEqual(['to']);
    expect(await refused({ from: '2026-01-01', to: '2026-01-02', maxConcurrent: 0 })).toEqual(['maxConcurrent']);
    expect(await refused({ from: '2026-01-01', to: '2026-01-02', maxConcurrent: 11 })).toEqual(['maxConcurrent']);
    expect(await refused({ from: '2026-01-01', to: '2026-01-02', maxConcurrent: 2 })).toEqual(['maxConcurrent']);
    expect(await refused({ from: '2026-01-01', to: '2026-01-02', extra: true })).toEqual(['extra']);

    const unknown = await api(runtime, 'GET', `/v1/clients/acme/schedules/${scheduleId}/backfills/bf_doesnotexist`);
    expect(unknown.status).toBe(404);
    const malformed = await api(runtime, 'GET', `/v1/clients/acme/schedules/${scheduleId}/backfills/nope`);
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.details.map((detail: { path: string }) => detail.path)).toEqual(['backfillId']);
    expect((await api(runtime, 'POST', '/v1/clients/acme/schedules/sch_missing/backfill', { from: '2026-01-01', to: '2026-01-02' })).status).toBe(404);
  });

  it('is not another client’s to read: 404 under another client, 403 for credentials of another client', async () => {
    const scheduleId = await createSchedule(runtime, 'acme', { frequency: { type: 'MANUAL' } });
    const posted = await api(runtime, 'POST', `/v1/clients/acme/schedules/${scheduleId}/backfill`, { from: '2026-07-01', to: '2026-07-01' });
    expect(posted.status).toBe(202);
    const own = `/v1/clients/acme/schedules/${scheduleId}/backfills/${posted.body.backfillId}`;

    expect((await api(runtime, 'GET', `/v1/clients/beta/schedules/${scheduleId}/backfills/${posted.body.backfillId}`)).status).toBe(404);
    expect((await api(runtime, 'GET', `/v1/clients/acme/schedules/daily/backfills/${posted.body.backfillId}`)).status).toBe(404);
    expect((await api(runtime, 'GET', own, undefined, 'beta-token')).status).toBe(403);
    await untilDone(runtime, own);
  }, SLOW);
});
