import { describe, expect, it } from 'vitest';
import type { JobContext } from '../../lambdas/domain/job-registry';
import type { UsageRecord } from '../../lambdas/domain/ledger';
import { createJobRegistry } from '../../lambdas/jobs/job-catalogue';
import { FakeCoreBilling } from './support/fake-core-billing';
import { InMemoryLedger } from './support/in-memory-ledger';

const C = 'acme';
const clock = { now: () => new Date('2026-12-01T09:00:00Z') };
const ctx: JobContext = { clientId: C, runId: 'run_x', seq: 2, processingDate: '2026-11-30', timezone: 'UTC', settings: {}, heal: false };
const rating = { amountMinor: 150, unitPriceMicros: 1_000, currency: 'USD', rateEffectiveFrom: '2026-01-01', ratedAt: '2026-11-21T00:00:00Z', version: 1 };

describe('a discarded usage record', () => {
  it('resolves the failed items that named it: rating and sync reprocess end them without rating or syncing it', async () => {
    const ledger = new InMemoryLedger();
    const core = new FakeCoreBilling();
    const jobs = createJobRegistry({ allowSynthetic: false, billing: { ledger, coreBilling: core, clock } });
    const discard = { reason: 'test traffic', actor: 'admin-token', at: '2026-11-30T10:00:00Z' };
    const record = (usageId: string, extra: Partial<UsageRecord>): UsageRecord => ({
      clientId: C, accountId: 'a1', usageDate: '2026-11-20', usageId, usageType: 'calls', quantity: 1, state: 'DISCARDED', rev: 2, discard, ...extra,
    });
    await ledger.importUsage([
      record('was-suspended', { suspense: { code: 'NO_RATE', message: 'no rate', at: '2026-11-21T00:00:00Z' } }),
      record('was-sync-error', { rating, syncError: { code: 'ACCOUNT_BLOCKED', message: 'blocked', at: '2026-11-22T00:00:00Z' } }),
    ]);

    const rated = await jobs.get('SUSPENSE_REPROCESSING').process(ctx, ['a1/2026-11-20/was-suspended']);
    const synced = await jobs.get('SYNC_ERROR_REPROCESSING').process(ctx, ['a1/2026-11-20/was-sync-error']);

    expect(rated).toEqual([{ ok: true }]);
    expect(synced).toEqual([{ ok: true }]);
    expect(core.received).toEqual([]);
    expect([...ledger.usage.values()].map((r) => r.state)).toEqual(['DISCARDED', 'DISCARDED']);
  });
});
