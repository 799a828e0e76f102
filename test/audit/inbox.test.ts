import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseApiTokens } from '../../lambdas/api/auth';
import type { LocalRuntime } from '../../lambdas/composition/local-runtime';
import { api, startTestRuntime } from '../support/local-runtime';

const DATES = ['2026-11-01', '2026-11-02', '2026-11-03'];
const SCHEDULE = { name: 'Inbox', frequency: { type: 'MANUAL' }, executionTime: '02:00:00', timezone: 'UTC', jobs: [{ type: 'SYNTHETIC', settings: { items: 1 } }] };

type RunItem = { clientId: string; processingDate: string; runId: string };

describe('the failure inbox over dates and clients (local runtime)', () => {
  let runtime: LocalRuntime;
  const clients = ['inbox-a', 'inbox-b'];

  beforeAll(async () => {
    runtime = await startTestRuntime({ apiTokens: parseApiTokens('token-a:inbox-a:viewer,token-b:inbox-b:viewer') });
    for (const clientId of clients) {
      expect((await api(runtime, 'PUT', `/v1/clients/${clientId}`, { name: clientId, timezone: 'UTC' })).status).toBe(201);
      const schedule = await api(runtime, 'POST', `/v1/clients/${clientId}/schedules`, SCHEDULE);
      for (const processingDate of DATES) {
        expect((await api(runtime, 'POST', `/v1/clients/${clientId}/schedules/${schedule.body.scheduleId}/runs`, { processingDate })).status).toBe(202);
      }
    }
  }, 60_000);

  afterAll(async () => {
    await runtime?.stop();
  });

  it('lists a client’s runs of a range newest first, paged, and refuses another client’s token', async () => {
    const seen: RunItem[] = [];
    let token: string | undefined;
    do {
      const page = await api(runtime, 'GET', `/v1/clients/inbox-a/runs?from=2026-11-01&to=2026-11-30&limit=2${token ? `&nextToken=${token}` : ''}`, undefined, 'token-a');
      expect(page.status).toBe(200);
      seen.push(...(page.body.items as RunItem[]));
      token = page.body.nextToken;
    } while (token);
    expect(seen.map((run) => [run.clientId, run.processingDate])).toEqual([...DATES].reverse().map((date) => ['inbox-a', date]));

    expect((await api(runtime, 'GET', '/v1/clients/inbox-b/runs?from=2026-11-01&to=2026-11-30', undefined, 'token-a')).status).toBe(403);
  });

  it('shows each token its own clients in GET /v1/runs, and the admin every client, newest first', async () => {
    const of = async (token?: string) => ((await api(runtime, 'GET', '/v1/runs?from=2026-11-01&to=2026-11-30', undefined, token)).body.items as RunItem[]).filter((run) => clients.includes(run.clientId));
    expect(new Set((await of('token-a')).map((run) => run.clientId))).toEqual(new Set(['inbox-a']));
    expect(new Set((await of('token-b')).map((run) => run.clientId))).toEqual(new Set(['inbox-b']));
    const all = await of();
    expect(all.map((run) => [run.processingDate, run.clientId])).toEqual([
      ['2026-11-03', 'inbox-b'],
      ['2026-11-03', 'inbox-a'],
      ['2026-11-02', 'inbox-b'],
      ['2026-11-02', 'inbox-a'],
      ['2026-11-01', 'inbox-b'],
      ['2026-11-01', 'inbox-a'],
    ]);
  });

  it('refuses ranges over 366 days, date with from/to, and tokens it did not issue', async () => {
    const long = await api(runtime, 'GET', '/v1/runs?from=2025-01-01&to=2026-01-02');
    expect(long.status).toBe(400);
    expect(long.body.error.details.map((d: { path: string }) => d.path)).toContain('to');
    const both = await api(runtime, 'GET', '/v1/clients/inbox-a/runs?date=2026-11-01&from=2026-11-01&to=2026-11-02');
    expect(both.body.error.details.map((d: { path: string }) => d.path)).toContain('date');
    const tampered = await api(runtime, 'GET', '/v1/runs?from=2026-11-01&to=2026-11-30&nextToken=abc');
    expect(tampered.status).toBe(400);
    expect(tampered.body.error.details[0].path).toBe('nextToken');
  });
});
