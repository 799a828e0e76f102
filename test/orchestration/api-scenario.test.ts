import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseApiTokens } from '../../lambdas/api/auth';
import type { LocalRuntime } from '../../lambdas/composition/local-runtime';
import { api, startTestRuntime } from '../support/local-runtime';

/**
 * What core billing and an operator do, over HTTP against the local runtime: the same router,
 * services, ASL, queue and workers as `npm start`.
 */
describe('the HTTP API of the local runtime, end to end', () => {
  let runtime: LocalRuntime;

  beforeAll(async () => {
    runtime = await startTestRuntime({ apiTokens: parseApiTokens('acme-token:acme') });
  });

  afterAll(async () => {
    await runtime.stop();
  });

  async function poll(runId: string, clientId = 'acme'): Promise<any> {
    for (let i = 0; i < 600; i++) {
      const { status, body } = await api(runtime, 'GET', `/v1/clients/${clientId}/runs/${runId}`);
      expect(status).toBe(200);
      if (body.status !== 'PENDING' && body.status !== 'RUNNING') return body;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`run ${runId} did not finish`);
  }

  it('onboards, runs 2,000 SYNTHETIC items with two failures, lists exactly those, and heals them by reprocessing', async () => {
    const onboard = await api(runtime, 'PUT', '/v1/clients/acme', { name: 'Acme', timezone: 'America/New_York' });
    expect(onboard.status).toBe(201);
    const daily = await api(runtime, 'GET', '/v1/clients/acme/schedules/daily');
    expect(daily.body.jobs.map((j: { type: string }) => j.type)).toEqual(['USAGE_RATING', 'SYNC_TRANSACTIONS', 'BILLING']);

    const created = await api(runtime, 'POST', '/v1/clients/acme/schedules', {
      name: 'Synthetic 2000',
      frequency: { type: 'MANUAL' },
      executionTime: '02:00:00',
      timezone: 'America/New_York',
      jobs: [{ type: 'SYNTHETIC', settings: { items: 2000, failItems: [5, 17] } }],
    });
    expect(created.status).toBe(201);

    const triggered = await api(runtime, 'POST', `/v1/clients/acme/schedules/${created.body.scheduleId}/runs`, { processingDate: '2026-11-25' });
    expect(triggered.status).toBe(202);
    expect(['PENDING', 'RUNNING']).toContain(triggered.body.status);
    const failed = await poll(triggered.body.runId);

    expect(failed.status).toBe('FAILED');
    expect(failed.stats.items).toEqual({ total: 2000, succeeded: 1998, failed: 2, pending: 0 });
    expect(failed.jobs[0].status).toBe('FAILED');
    expect(failed.error.code).toBe('ITEMS_FAILED');
    const failedItems = await api(runtime, 'GET', `/v1/clients/acme/runs/${failed.runId}/jobs/1/items?status=FAILED`);
    expect(failedItems.body.items.map((i: { itemId: string }) => i.itemId)).toEqual(['item-0000005', 'item-0000017']);
    expect(failedItems.body.items[0].error.code).toBe('SYNTHETIC_FAILURE');

    const reprocess = await api(runtime, 'POST', `/v1/clients/acme/runs/${failed.runId}/reprocess`, { scope: 'RUN', heal: true });
    expect(reprocess.status).toBe(202);
    expect(['PENDING', 'RUNNING']).toContain(reprocess.body.status);
    const again = await api(runtime, 'GET', `/v1/clients/acme/runs/${failed.runId}`);
    expect(['PENDING', 'RUNNING']).toContain(again.body.status);
    const completed = await poll(failed.runId);

    expect(completed.status).toBe('COMPLETED');
    expect(completed.stats.items).toEqual({ total: 2000, succeeded: 2000, failed: 0, pending: 0 });
    const items: Array<{ itemId: string; attempts: number }> = [];
    let nextToken: string | undefined;
    do {
      const page = await api(runtime, 'GET', `/v1/clients/acme/runs/${failed.runId}/jobs/1/items?limit=1000${nextToken ? `&nextToken=${nextToken}` : ''}`);
      items.push(...page.body.items);
      nextToken = page.body.nextToken;
    } while (nextToken);
    expect(items).toHaveLength(2000);
    expect(items.filter((i) => i.attempts === 1)).toHaveLength(1998);
    expect(items.filter((i) => i.attempts !== 1).map((i) => i.itemId)).toEqual(['item-0000005', 'item-0000017']);

    const byDate = await api(runtime, 'GET', `/v1/clients/acme/schedules/${created.body.scheduleId}/runs/2026-11-25`);
    expect(byDate.body.runId).toBe(failed.runId);
    const listed = await api(runtime, 'GET', '/v1/clients/acme/runs?date=2026-11-25&status=COMPLETED');
    expect(listed.body.items.map((r: { runId: string }) => r.runId)).toEqual([failed.runId]);
  });

  it('answers 20 concurrent triggers of one schedule and date with one run', async () => {
    await api(runtime, 'PUT', '/v1/clients/acme', { name: 'Acme', timezone: 'America/New_York' });
    const created = await api(runtime, 'POST', '/v1/clients/acme/schedules', {
      name: 'Concurrent triggers',
      frequency: { type: 'MANUAL' },
      executionTime: '02:00:00',
      timezone: 'America/New_York',
      jobs: [{ type: 'SYNTHETIC', settings: { items: 100 } }],
    });

    const responses = await Promise.all(
      Array.from({ length: 20 }, () => api(runtime, 'POST', `/v1/clients/acme/schedules/${created.body.scheduleId}/runs`, { processingDate: '2026-11-26' })),
    );

    expect(responses.filter((r) => r.status === 202)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 200)).toHaveLength(19);
    expect(new Set(responses.map((r) => r.body.runId)).size).toBe(1);
    const done = await poll(responses[0]?.body.runId);
    expect(done.status).toBe('COMPLETED');
    const list = await api(runtime, 'GET', `/v1/clients/acme/runs?date=2026-11-26&scheduleId=${created.body.scheduleId}`);
    expect(list.body.items).toHaveLength(1);
  });

  it('answers reprocess with 409 while a run is running, and keeps other clients out', async () => {
    await api(runtime, 'PUT', '/v1/clients/acme', { name: 'Acme', timezone: 'America/New_York' });
    await api(runtime, 'PUT', '/v1/clients/beta', { name: 'Beta', timezone: 'Europe/London' });
    const created = await api(runtime, 'POST', '/v1/clients/acme/schedules', {
      name: 'Slow',
      frequency: { type: 'MANUAL' },
      executionTime: '02:00:00',
      timezone: 'America/New_York',
      jobs: [{ type: 'SYNTHETIC', settings: { items: 1500, delayMs: 300 } }],
    });
    const triggered = await api(runtime, 'POST', `/v1/clients/acme/schedules/${created.body.scheduleId}/runs`, { processingDate: '2026-11-27' });

    const conflict = await api(runtime, 'POST', `/v1/clients/acme/runs/${triggered.body.runId}/reprocess`, { scope: 'RUN' });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('RUN_NOT_REPROCESSABLE');
    const otherClientsPath = await api(runtime, 'GET', `/v1/clients/beta/runs/${triggered.body.runId}`);
    expect(otherClientsPath.status).toBe(404);
    const scopedToken = await api(runtime, 'GET', `/v1/clients/beta/runs?date=2026-11-27`, undefined, 'acme-token');
    expect(scopedToken.status).toBe(403);
    expect(scopedToken.body.error.code).toBe('FORBIDDEN');

    const reset = await api(runtime, 'POST', `/v1/clients/acme/runs/${triggered.body.runId}/reset`);
    expect(reset.status).toBe(200);
    expect(reset.body.status).toBe('RESET');
    const retrigger = await api(runtime, 'POST', `/v1/clients/acme/schedules/${created.body.scheduleId}/runs`, { processingDate: '2026-11-27' });
    expect(retrigger.status).toBe(202);
    expect(retrigger.body.attempt).toBe(2);
    await api(runtime, 'POST', `/v1/clients/acme/runs/${retrigger.body.runId}/reset`);
  });
});
