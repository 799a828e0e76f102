import { afterAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lambdas/composition/local-runtime';
import { api, startTestRuntime } from '../support/local-runtime';

/**
 * A backfill is stored work, not a loop in the runtime's memory: the runtime is stopped once the
 * first date's run has completed, and a new runtime on the same tables (as `npm start` on the
 * same DATA_DIR) finishes it: every date runs once, in order, one at a time.
 */
describe('a backfill across a restart of the local runtime', () => {
  const runtimes: LocalRuntime[] = [];

  afterAll(async () => {
    for (const runtime of runtimes) await runtime.stop();
  });

  it('is finished by the next runtime, every date once and oldest first', async () => {
    const first = await startTestRuntime();
    runtimes.push(first);
    await api(first, 'PUT', '/v1/clients/acme', { name: 'Acme', timezone: 'UTC' });
    const schedule = await api(first, 'POST', '/v1/clients/acme/schedules', {
      name: 'Restarted backfill',
      frequency: { type: 'DAILY' },
      executionTime: '02:00:00',
      timezone: 'UTC',
      jobs: [{ type: 'SYNTHETIC', settings: { items: 20, batchSize: 10, delayMs: 300 } }],
    });
    const posted = await api(first, 'POST', `/v1/clients/acme/schedules/${schedule.body.scheduleId}/backfill`, { from: '2026-06-01', to: '2026-06-04' });
    expect(posted.status).toBe(202);
    const path = `/v1/clients/acme/schedules/${schedule.body.scheduleId}/backfills/${posted.body.backfillId}`;

    let progress = posted.body;
    for (let i = 0; i < 2_000 && progress.runs[0]?.status !== 'COMPLETED'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      progress = (await api(first, 'GET', path)).body;
    }
    expect(progress.runs[0].status).toBe('COMPLETED');
    await first.stop();

    const second = await startTestRuntime({ tablePrefix: first.tablePrefix });
    runtimes.push(second);
    const halfway = (await api(second, 'GET', path)).body;
    expect(halfway.status).toBe('RUNNING');
    expect(halfway.runs.length).toBeLessThan(4);
    for (let i = 0; i < 4_000 && progress.status !== 'DONE'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      progress = (await api(second, 'GET', path)).body;
    }

    expect(progress.status).toBe('DONE');
    expect(progress.runs.map((run: { processingDate: string }) => run.processingDate)).toEqual(['2026-06-01', '2026-06-02', '2026-06-03', '2026-06-04']);
    const runs = await Promise.all(progress.runs.map((run: { runId: string }) => second.engine.runs.getRun('acme', run.runId)));
    expect(runs.map((run) => [run.status, run.attempt, run.trigger]), JSON.stringify(runs.map((run) => run.error))).toEqual(Array.from({ length: 4 }, () => ['COMPLETED', 1, 'BACKFILL']));
    // One at a time: each run was created after the one before it had ended.
    for (let i = 1; i < runs.length; i++) expect(Date.parse(runs[i]!.createdAt)).toBeGreaterThanOrEqual(Date.parse(runs[i - 1]!.endedAt!));
    expect(runs.every((run) => run.stats.items.succeeded === 20)).toBe(true);
  }, 300_000);
});
