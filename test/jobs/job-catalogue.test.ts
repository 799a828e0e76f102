import { describe, expect, it } from 'vitest';
import type { JobContext } from '../../lambdas/domain/job-registry';
import { JOB_TYPES } from '../../lambdas/domain/model';
import { createJobRegistry } from '../../lambdas/jobs/job-catalogue';
import { InMemoryLedger } from '../ledger/support/in-memory-ledger';

const C = 'acme';
const clock = { now: () => new Date('2026-12-01T09:00:00Z') };
const ctx: JobContext = { clientId: C, runId: 'run_x', seq: 1, processingDate: '2026-11-30', timezone: 'UTC', settings: {}, heal: false };

describe('the job catalogue', () => {
  it('has a handler for every job type the API accepts, each registered under its own type', () => {
    const registry = createJobRegistry({ allowSynthetic: true });

    expect(JOB_TYPES.map((type) => registry.get(type).type)).toEqual([...JOB_TYPES]);
  });

  it('leaves the diagnostic SYNTHETIC out where the stage does not allow it, and says so', () => {
    const production = createJobRegistry({ allowSynthetic: false });

    expect(JOB_TYPES.filter((type) => production.has(type))).toEqual(JOB_TYPES.filter((type) => type !== 'SYNTHETIC'));
    expect(() => production.get('SYNTHETIC')).toThrow(/SYNTHETIC is not available in this deployment/);
  });

  it('without core billing (the functions that only collect) works on the ledger, and a sync says what is missing', async () => {
    const ledger = new InMemoryLedger();
    await ledger.importUsage([{ clientId: C, accountId: 'a1', usageDate: '2026-11-03', usageId: 'u1', usageType: 'calls', quantity: 1, state: 'UNRATED', rev: 0 }]);
    await ledger.putRatePlan({ clientId: C, ratePlanId: 'basic', name: 'Basic', currency: 'USD', recurringChargeMinor: 0, rates: [{ usageType: 'calls', effectiveFrom: '2026-01-01', unitPriceMicros: 1_000 }] });
    await ledger.putAccounts([{ clientId: C, accountId: 'a1', name: 'A1', anniversaryDay: 30, status: 'ACTIVE', ratePlanId: 'basic', openedOn: '2025-01-01' }]);
    const registry = createJobRegistry({ allowSynthetic: false, billing: { ledger, clock } });

    const rated = await registry.get('USAGE_RATING').process(ctx, ['a1/2026-11-03/u1']);
    const unsynced: string[] = [];
    for await (const itemId of registry.get('SYNC_TRANSACTIONS').collect(ctx)) unsynced.push(itemId);

    expect(rated).toEqual([{ ok: true }]);
    expect(unsynced).toEqual(['a1/2026-11-03/u1']);
    await expect(registry.get('SYNC_TRANSACTIONS').process(ctx, unsynced)).rejects.toThrow(/without core billing/);
  });

  it('fails a malformed usage item id of either usage queue job with INVALID_ITEM_ID and still decides the others', async () => {
    const registry = createJobRegistry({ allowSynthetic: false, billing: { ledger: new InMemoryLedger(), clock } });

    for (const type of ['SUSPENSE_REPROCESSING', 'SYNC_ERROR_REPROCESSING'] as const) {
      const outcomes = await registry.get(type).process(ctx, ['not-a-usage-id', 'a1/2026-11-03/u9']);
      expect(outcomes).toEqual([
        { ok: false, error: expect.objectContaining({ code: 'INVALID_ITEM_ID', message: expect.stringContaining(`is not a ${type} work item`) }) },
        { ok: false, error: expect.objectContaining({ code: 'USAGE_NOT_FOUND' }) },
      ]);
    }
  });
});
