import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lambdas/composition/local-runtime';
import { seedAccountId } from '../../lambdas/jobs/ledger-generator';
import { startTestRuntime, waitForRun } from '../support/local-runtime';
import { expectLedgerExactlyOnce, expectOutcomesTruthful, expectRunSettled } from './support/invariants';
import { chaosScale } from './support/scale';
import { seedChaosClient, triggerDaily } from './support/seeded-client';

describe('the chaos invariants on a run without faults', () => {
  let runtime: LocalRuntime;
  beforeAll(async () => {
    runtime = await startTestRuntime({ coreBilling: { backoffMs: 5 } });
  });
  afterAll(async () => {
    await runtime?.stop();
  });

  it('hold after a completed daily run', async () => {
    const client = await seedChaosClient(runtime, 'calm', { accounts: 62 });
    const triggered = await triggerDaily(runtime, client.clientId, client.processingDate);
    expect(triggered.status).toBe(202);
    const run = await waitForRun(runtime, client.clientId, triggered.body.runId, ['COMPLETED', 'FAILED'], chaosScale.settleTimeoutMs);
    expect(run.status).toBe('COMPLETED');
    await expectRunSettled(runtime, client.clientId, run.runId);
    await expectOutcomesTruthful(runtime, client.clientId, run.runId);
    await expectLedgerExactlyOnce(runtime, client.clientId, { billedDates: [client.processingDate] });

    // The checks see what they are for: statistics that drift from the outcomes, an invoice too many, a record synced but unknown to core.
    await runtime.runStore.addJobStats(run.runId, 2, { succeeded: 1, failed: 0 });
    await expect(expectRunSettled(runtime, client.clientId, run.runId)).rejects.toThrow(/job 2 \(SYNC_TRANSACTIONS, COMPLETED\): statistics/);
    const [invoice] = await runtime.ledger.listInvoices(client.clientId, seedAccountId(29));
    await runtime.ledger.createInvoices(client.clientId, [{ ...invoice!, accountId: seedAccountId(0), periodId: '2026-10' }]);
    await expect(expectLedgerExactlyOnce(runtime, client.clientId, { billedDates: [client.processingDate] })).rejects.toThrow(/acc-0000001 \(day 1\): unexpected invoice for 2026-10/);
  });
});
