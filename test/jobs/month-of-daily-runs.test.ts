import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lambdas/composition/local-runtime';
import { seedAccountId, seedLedger } from '../../lambdas/jobs/ledger-generator';
import { api, startTestRuntime, waitForRun } from '../support/local-runtime';

/**
 * A month of daily runs through the local runtime, February's 28/31-day rules included: 31
 * consecutive processing dates from 2027-02-01 to 2027-03-03, each the daily schedule
 * (USAGE_RATING → SYNC_TRANSACTIONS → BILLING). Every account is billed exactly once for
 * February, on its bill date; the accounts due on March 1-3 once for March.
 */
describe('a month of daily runs', () => {
  const ACCOUNTS = 62;
  let runtime: LocalRuntime;

  beforeAll(async () => {
    runtime = await startTestRuntime({ schedule: false });
    await runtime.schedules.putClient('month', { name: 'Month', timezone: 'UTC' });
    await seedLedger(runtime.ledger, { clientId: 'month', accounts: ACCOUNTS, usagePerAccount: 1, month: '2027-02', seed: 3, unratedShare: 0 });
  });

  afterAll(async () => {
    await runtime?.stop();
  });

  it('bills every account exactly once per period over 31 days', async () => {
    const billedPerDay: Record<string, number> = {};
    for (let day = 0; day < 31; day++) {
      const processingDate = new Date(Date.UTC(2027, 1, 1 + day)).toISOString().slice(0, 10);
      const triggered = await api(runtime, 'POST', '/v1/clients/month/schedules/daily/runs', { processingDate });
      const run = await waitForRun(runtime, 'month', triggered.body.runId, ['COMPLETED', 'FAILED']);
      expect(run.status, processingDate).toBe('COMPLETED');
      billedPerDay[processingDate] = run.jobs[2]!.stats.succeeded;
    }

    // Two accounts per anniversary day; February 28 bills days 28-31.
    expect(billedPerDay['2027-02-01']).toBe(2);
    expect(billedPerDay['2027-02-27']).toBe(2);
    expect(billedPerDay['2027-02-28']).toBe(8);
    expect(billedPerDay['2027-03-03']).toBe(2);
    expect(Object.values(billedPerDay).reduce((a, b) => a + b, 0)).toBe(ACCOUNTS + 6);
    for (let index = 0; index < ACCOUNTS; index++) {
      const invoices = await runtime.ledger.listInvoices('month', seedAccountId(index));
      const anniversaryDay = (index % 31) + 1;
      expect(invoices.map((invoice) => invoice.periodId), `account ${index + 1}`).toEqual(anniversaryDay <= 3 ? ['2027-02', '2027-03'] : ['2027-02']);
      expect(invoices[0]!.billedOn).toBe(`2027-02-${String(Math.min(anniversaryDay, 28)).padStart(2, '0')}`);
    }
    // Every usage record was rated and reached core billing once.
    expect(runtime.coreBilling.stats()).toMatchObject({ stored: ACCOUNTS, rejected: 0 });
    // 31 runs one after the other: about a minute on a loaded 2-core machine, past the default timeout.
  }, 240_000);
});
