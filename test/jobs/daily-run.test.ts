import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CLIENT_ID, seedDemo } from '../../lambdas/composition/demo-seed';
import type { LocalRuntime } from '../../lambdas/composition/local-runtime';
import { seedAccountId, seedLedger, seedUsage, UNRATED_USAGE_TYPE } from '../../lambdas/jobs/ledger-generator';
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

  async function coreControl(method: string, path: string, body?: unknown): Promise<void> {
    const response = await fetch(`${runtime.coreBilling.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${runtime.coreBilling.controlToken}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    expect(response.ok).toBe(true);
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
    expect(usage).toHaveLength(187); // three per account, and the held due account's record
    expect(usage.every((key) => key.usageDate.startsWith('2026-11'))).toBe(true);
    const records = await runtime.ledger.getUsage(DEMO_CLIENT_ID, usage);
    expect([...records.values()].filter((record) => record.usageType === UNRATED_USAGE_TYPE).length).toBeGreaterThan(0);
    expect((await runtime.schedules.getClient(DEMO_CLIENT_ID)).dailyScheduleId).toBe('sch_daily');
  });

  it('fails SYNC_TRANSACTIONS with the accounts core billing rejects and still runs BILLING; clearing the rejection and reprocessing completes the run', async () => {
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
    // The rejected accounts are not due on the 30th: BILLING bills every due account.
    expect(failed.jobs.map((job: any) => [job.type, job.status])).toEqual([
      ['USAGE_RATING', 'COMPLETED'],
      ['SYNC_TRANSACTIONS', 'FAILED'],
      ['BILLING', 'COMPLETED'],
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

  it('bills every healthy account while holding those with unrated or unsynced usage; adding the rate, clearing the rejection and one reprocess bill them, each once', async () => {
    const seed = { clientId: 'beta', accounts: 124, usagePerAccount: 2, month: '2026-11', seed: 7, unratedShare: 0.15 };
    await runtime.schedules.putClient('beta', { name: 'beta', timezone: 'UTC' });
    await seedLedger(runtime.ledger, seed);
    // 2026-11-30 bills anniversary days 30 and 31: four accounts each.
    const due = Array.from({ length: seed.accounts }, (_, i) => i).filter((i) => (i % 31) + 1 >= 30);
    const unratable = (i: number) => seedUsage(seed, i).some((record) => record.usageType === UNRATED_USAGE_TYPE);
    const unrated = due.filter(unratable).map(seedAccountId);
    const ratable = due.filter((i) => !unratable(i)).map(seedAccountId);
    const rejected = ratable[0] ?? 'none';
    const healthy = ratable.slice(1);
    expect(unrated.length).toBeGreaterThan(0);
    expect(healthy.length).toBeGreaterThan(0);
    await coreControl('PUT', `/control/rejections/${rejected}`, { code: 'ACCOUNT_BLOCKED', message: 'the account is blocked in core billing' });

    const failed = await runDaily('beta', '2026-11-30');

    expect(failed.status).toBe('FAILED');
    expect(failed.jobs.map((job: any) => [job.type, job.status])).toEqual([
      ['USAGE_RATING', 'FAILED'],
      ['SYNC_TRANSACTIONS', 'FAILED'],
      ['BILLING', 'FAILED'],
    ]);
    expect((await failedItems('beta', failed.runId, 1)).every((item) => item.error.code === 'NO_RATE' && item.error.message.includes(UNRATED_USAGE_TYPE))).toBe(true);
    const held = Object.fromEntries((await failedItems('beta', failed.runId, 3)).map((item) => [item.itemId, item.error.code]));
    expect(held).toEqual({ ...Object.fromEntries(unrated.map((id) => [id, 'UNRATED_USAGE'])), [rejected]: 'UNSYNCED_USAGE' });
    for (const accountId of healthy) expect((await runtime.ledger.listInvoices('beta', accountId)).map((invoice) => invoice.periodId), accountId).toEqual(['2026-11']);
    for (const accountId of Object.keys(held)) expect(await runtime.ledger.listInvoices('beta', accountId), accountId).toEqual([]);

    for (const ratePlanId of ['basic', 'pro']) {
      await runtime.ledger.putRate('beta', ratePlanId, { usageType: UNRATED_USAGE_TYPE, effectiveFrom: '2026-01-01', unitPriceMicros: 45_000 });
    }
    await coreControl('DELETE', '/control/rejections');
    expect((await api(runtime, 'POST', `/v1/clients/beta/runs/${failed.runId}/reprocess`, { scope: 'RUN' })).status).toBe(202);
    const done = await waitForRun(runtime, 'beta', failed.runId, ['COMPLETED', 'FAILED']);

    expect(done.status).toBe('COMPLETED');
    expect(done.jobs.map((job: any) => job.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
    expect(done.jobs[2]?.stats).toEqual({ total: due.length, succeeded: due.length, failed: 0, pending: 0 });
    for (const index of due) {
      const invoices = await runtime.ledger.listInvoices('beta', seedAccountId(index));
      expect(invoices.map((invoice) => [invoice.periodId, invoice.transactionCount]), seedAccountId(index)).toEqual([['2026-11', seed.usagePerAccount]]);
    }
    const accepted = runtime.coreBilling.transactions().filter((entry) => entry.clientId === 'beta');
    expect(accepted).toHaveLength(seed.accounts * seed.usagePerAccount);
    expect(new Set(accepted.map((entry) => entry.transaction.idempotencyKey)).size).toBe(seed.accounts * seed.usagePerAccount);
  });
});
