import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CLIENT_ID, seedDemo } from '../../lambdas/composition/demo-seed';
import type { LocalRuntime } from '../../lambdas/composition/local-runtime';
import { seedAccountId, seedLedger, UNRATED_USAGE_TYPE } from '../../lambdas/jobs/ledger-generator';
import { api, startTestRuntime, waitForRun } from '../support/local-runtime';

/**
 * The daily schedule (USAGE_RATING → SYNC_TRANSACTIONS → BILLING) of a seeded client, through the
 * local runtime: the API, the ASL, the queue and workers, the ledger on DynamoDB Local, and core
 * billing's stand-in over HTTP.
 */
describe('a daily run of the billing jobs', () => {
  let runtime: LocalRuntime;

  beforeAll(async () => {
    runtime = await startTestRuntime({ coreBilling: { backoffMs: 5 }, schedule: false });
  });

  afterAll(async () => {
    await runtime?.stop();
  });

  async function onboard(clientId: string, accounts: number, unratedShare: number): Promise<void> {
    await runtime.schedules.putClient(clientId, { name: clientId, timezone: 'UTC' });
    await seedLedger(runtime.ledger, { clientId, accounts, usagePerAccount: 2, month: '2026-11', seed: 7, unratedShare });
  }

  async function runDaily(clientId: string, processingDate: string): Promise<any> {
    const triggered = await api(runtime, 'POST', `/v1/clients/${clientId}/schedules/daily/runs`, { processingDate });
    expect(triggered.status).toBe(202);
    return waitForRun(runtime, clientId, triggered.body.runId, ['COMPLETED', 'FAILED']);
  }

  async function failedItems(clientId: string, runId: string, seq: number): Promise<Array<{ itemId: string; error: { code: string; message: string } }>> {
    const { body } = await api(runtime, 'GET', `/v1/clients/${clientId}/runs/${runId}/jobs/${seq}/items?status=FAILED&limit=1000`);
    return body.items;
  }

  it("gives npm start's demo client a billing ledger once, with usage its plans cannot rate", async () => {
    await seedDemo(runtime.schedules, runtime.ledger, new Date('2026-11-10T12:00:00Z'));
    await seedDemo(runtime.schedules, runtime.ledger, new Date('2026-12-10T12:00:00Z'));

    const accounts: string[] = [];
    for await (const id of runtime.ledger.accountsDueOn(DEMO_CLIENT_ID, Array.from({ length: 31 }, (_, i) => i + 1))) accounts.push(id);
    expect(accounts).toHaveLength(62);
    const usage = [];
    for await (const key of runtime.ledger.usageInQueue(DEMO_CLIENT_ID, 'UNRATED', '2026-12-31')) usage.push(key);
    expect(usage).toHaveLength(186);
    expect(usage.every((key) => key.usageDate.startsWith('2026-11'))).toBe(true);
    const records = await runtime.ledger.getUsage(DEMO_CLIENT_ID, usage);
    expect([...records.values()].filter((record) => record.usageType === UNRATED_USAGE_TYPE).length).toBeGreaterThan(0);
    expect((await runtime.schedules.getClient(DEMO_CLIENT_ID)).dailyScheduleId).toBe('sch_daily');
  });

  it('fails at SYNC_TRANSACTIONS with the accounts core billing rejects; clearing the rejection and reprocessing completes the run, and BILLING runs', async () => {
    await onboard('acme', 62, 0);
    const rejected = [seedAccountId(2), seedAccountId(6)];
    for (const accountId of rejected) {
      const response = await fetch(`${runtime.coreBilling.url}/control/rejections/${accountId}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${runtime.coreBilling.controlToken}` },
        body: JSON.stringify({ code: 'ACCOUNT_BLOCKED', message: 'the account is blocked in core billing' }),
      });
      expect(response.status).toBe(200);
    }

    const failed = await runDaily('acme', '2026-11-30');

    expect(failed.status).toBe('FAILED');
    expect(failed.jobs.map((job: any) => [job.type, job.status])).toEqual([
      ['USAGE_RATING', 'COMPLETED'],
      ['SYNC_TRANSACTIONS', 'FAILED'],
      ['BILLING', 'PENDING'],
    ]);
    expect(failed.jobs[1].stats).toEqual({ total: 124, succeeded: 120, failed: 4, pending: 0 });
    const items = await failedItems('acme', failed.runId, 2);
    expect(new Set(items.map((item) => item.itemId.split('/')[0]))).toEqual(new Set(rejected));
    expect(items.every((item) => item.error.code === 'ACCOUNT_BLOCKED' && item.error.message.includes('the account is blocked in core billing'))).toBe(true);

    expect((await fetch(`${runtime.coreBilling.url}/control/rejections`, { method: 'DELETE', headers: { authorization: `Bearer ${runtime.coreBilling.controlToken}` } })).status).toBe(204);
    const reprocess = await api(runtime, 'POST', `/v1/clients/acme/runs/${failed.runId}/reprocess`, { scope: 'RUN' });
    expect(reprocess.status).toBe(202);
    const done = await waitForRun(runtime, 'acme', failed.runId, ['COMPLETED', 'FAILED']);

    expect(done.status).toBe('COMPLETED');
    // 2026-11-30 is November's last day: anniversary days 30 and 31 are billed (accounts 30, 31, 61, 62).
    expect(done.jobs[2]).toMatchObject({ type: 'BILLING', status: 'COMPLETED', stats: { total: 4, succeeded: 4, failed: 0 } });
    for (const index of [29, 30, 60, 61]) {
      const invoices = await runtime.ledger.listInvoices('acme', seedAccountId(index));
      expect(invoices.map((invoice) => invoice.periodId)).toEqual(['2026-11']);
    }
    const accepted = runtime.coreBilling.transactions().filter((entry) => entry.clientId === 'acme');
    expect(accepted).toHaveLength(124);
    expect(new Set(accepted.map((entry) => entry.transaction.idempotencyKey)).size).toBe(124);
  });

  it('puts usage without a rate into suspense as NO_RATE items; adding the rate and reprocessing completes the run', async () => {
    await onboard('beta', 31, 0.1);

    const failed = await runDaily('beta', '2026-11-15');

    expect(failed.status).toBe('FAILED');
    expect(failed.jobs[0]).toMatchObject({ type: 'USAGE_RATING', status: 'FAILED' });
    const items = await failedItems('beta', failed.runId, 1);
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((item) => item.error.code === 'NO_RATE' && item.error.message.includes(UNRATED_USAGE_TYPE))).toBe(true);

    for (const ratePlanId of ['basic', 'pro']) {
      await runtime.ledger.putRate('beta', ratePlanId, { usageType: UNRATED_USAGE_TYPE, effectiveFrom: '2026-01-01', unitPriceMicros: 45_000 });
    }
    await api(runtime, 'POST', `/v1/clients/beta/runs/${failed.runId}/reprocess`, { scope: 'RUN' });
    const done = await waitForRun(runtime, 'beta', failed.runId, ['COMPLETED', 'FAILED']);

    expect(done.status).toBe('COMPLETED');
    expect(done.jobs.map((job: any) => job.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
    expect(done.jobs[2]?.stats.total).toBe(1);
  });
});
