import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CLIENT_ID, seedDemo } from '../../lambdas/composition/demo-seed';
import type { LocalRuntime } from '../../lambdas/composition/local-runtime';
import { api, startTestRuntime, waitForRun } from '../support/local-runtime';

/**
 * README's walkthrough: the demo client's first daily run for its today fails at USAGE_RATING
 * with NO_RATE and holds a due account in BILLING while it bills the others. At 03:00 UTC on
 * 1 December it is still 30 November in New York, the client's zone.
 */
describe("the demo client's data, seeded on an evening in New York", () => {
  const now = new Date('2026-12-01T03:00:00Z');
  let runtime: LocalRuntime;

  beforeAll(async () => {
    runtime = await startTestRuntime({ clock: { now: () => now } });
    await seedDemo(runtime.schedules, runtime.ledger, now);
  });

  afterAll(async () => {
    await runtime?.stop();
  });

  it("is dated up to the client's today, so its daily run for that date fails with NO_RATE", async () => {
    const usage = [];
    for await (const key of runtime.ledger.usageInQueue(DEMO_CLIENT_ID, 'UNRATED', '2026-12-31')) usage.push(key.usageDate);
    expect(usage).toHaveLength(187);
    expect(usage.every((date) => date >= '2026-11-01' && date <= '2026-11-30')).toBe(true);

    const triggered = await api(runtime, 'POST', `/v1/clients/${DEMO_CLIENT_ID}/schedules/daily/runs`, { processingDate: '2026-11-30' });
    expect(triggered.status).toBe(202);
    const run = await waitForRun(runtime, DEMO_CLIENT_ID, triggered.body.runId, ['COMPLETED', 'FAILED']);

    expect(run.status).toBe('FAILED');
    expect(run.jobs[0]).toMatchObject({ type: 'USAGE_RATING', status: 'FAILED' });
    const { body: failed } = await api(runtime, 'GET', `/v1/clients/${DEMO_CLIENT_ID}/runs/${run.runId}/jobs/1/items?status=FAILED`);
    expect(failed.items.length).toBeGreaterThan(0);
    expect(failed.items.every((item: { error: { code: string } }) => item.error.code === 'NO_RATE')).toBe(true);

    // 30 November bills the accounts of days 30 and 31; acc-0000030 has the held record.
    expect(run.jobs[2]).toMatchObject({ type: 'BILLING', status: 'FAILED' });
    expect(run.jobs[2]?.stats.succeeded).toBeGreaterThan(0);
    const { body: held } = await api(runtime, 'GET', `/v1/clients/${DEMO_CLIENT_ID}/runs/${run.runId}/jobs/3/items?status=FAILED`);
    expect(held.items).toContainEqual(expect.objectContaining({ itemId: 'acc-0000030', error: expect.objectContaining({ code: 'UNRATED_USAGE' }) }));
  });
});
