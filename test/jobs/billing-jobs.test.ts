import { beforeEach, describe, expect, it } from 'vitest';
import { billingPeriod, dueAnniversaryDays, periodContaining } from '../../lambdas/domain/billing-calendar';
import { amountMinorOf, applicableRate } from '../../lambdas/domain/billing-rating';
import { ValidationError } from '../../lambdas/domain/errors';
import type { ItemOutcome, JobContext, JobHandler } from '../../lambdas/domain/job-registry';
import { createJobRegistry } from '../../lambdas/jobs/job-catalogue';
import { idempotencyKeyOf, type UsageRecord } from '../../lambdas/domain/ledger';
import { CoreBillingRefusedError, CoreBillingUnavailableError } from '../../lambdas/ports/core-billing';
import { FakeCoreBilling } from '../ledger/support/fake-core-billing';
import { InMemoryLedger } from '../ledger/support/in-memory-ledger';

/** The billing job types one by one, on the in-memory ledger (its contract is tested against DynamoDB Local). */
const C = 'acme';
const clock = { now: () => new Date('2026-12-01T09:00:00Z') };
const ctx = (processingDate: string): JobContext => ({ clientId: C, runId: 'run_x', seq: 1, processingDate, timezone: 'UTC', settings: {}, heal: false });

async function collect(job: JobHandler, context: JobContext): Promise<string[]> {
  const ids: string[] = [];
  for await (const id of job.collect(context)) ids.push(id);
  return ids;
}

function usage(accountId: string, usageDate: string, usageId: string, overrides: Partial<UsageRecord> = {}): UsageRecord {
  return { clientId: C, accountId, usageDate, usageId, usageType: 'calls', quantity: 1_000, state: 'UNRATED', rev: 0, ...overrides };
}

const errorOf = (outcome: ItemOutcome | undefined): { code: string; message: string } | undefined => (outcome && !outcome.ok ? outcome.error : undefined);

describe('the billing calendar', () => {
  it.each([
    ['2026-11-15', [15]],
    ['2026-11-30', [30, 31]],
    ['2027-02-28', [28, 29, 30, 31]],
    ['2028-02-28', [28]],
    ['2028-02-29', [29, 30, 31]],
    ['2026-12-31', [31]],
  ])('bills on %s the anniversary days %j', (date, days) => {
    expect(dueAnniversaryDays(date)).toEqual(days);
  });

  it('closes the period after the previous bill date, clamped in short months', () => {
    expect(billingPeriod(31, '2027-03-31')).toEqual({ periodId: '2027-03', start: '2027-03-01', end: '2027-03-31' });
    expect(billingPeriod(31, '2027-02-28')).toEqual({ periodId: '2027-02', start: '2027-02-01', end: '2027-02-28' });
    expect(billingPeriod(15, '2027-01-15')).toEqual({ periodId: '2027-01', start: '2026-12-16', end: '2027-01-15' });
    expect(periodContaining(30, '2027-02-28').periodId).toBe('2027-02');
    expect(periodContaining(10, '2027-12-11').periodId).toBe('2028-01');
    expect(() => billingPeriod(32, '2027-01-15')).toThrow(ValidationError);
  });

  it('rounds amounts half to even and picks the latest rate in effect', () => {
    expect(amountMinorOf(1, 5_000)).toBe(0);
    expect(amountMinorOf(3, 5_000)).toBe(2);
    expect(amountMinorOf(1, 15_000)).toBe(2);
    expect(amountMinorOf(1_000_000_000, 1_000_000)).toBe(100_000_000_000);
    const rates = [
      { usageType: 'calls', effectiveFrom: '2026-01-01', unitPriceMicros: 10 },
      { usageType: 'calls', effectiveFrom: '2026-06-01', unitPriceMicros: 12 },
    ];
    expect(applicableRate(rates, 'calls', '2026-05-31')?.unitPriceMicros).toBe(10);
    expect(applicableRate(rates, 'calls', '2026-06-01')?.unitPriceMicros).toBe(12);
    expect(applicableRate(rates, 'calls', '2025-12-31')).toBeUndefined();
  });
});

describe('the billing jobs', () => {
  let ledger: InMemoryLedger;
  let core: FakeCoreBilling;
  let jobs: ReturnType<typeof createJobRegistry>;

  beforeEach(async () => {
    ledger = new InMemoryLedger();
    core = new FakeCoreBilling();
    jobs = createJobRegistry({ allowSynthetic: false, billing: { ledger, coreBilling: core, clock } });
    await ledger.putRatePlan({ clientId: C, ratePlanId: 'basic', name: 'Basic', currency: 'USD', recurringChargeMinor: 999, rates: [{ usageType: 'calls', effectiveFrom: '2026-01-01', unitPriceMicros: 1_000 }] });
    await ledger.putAccounts([
      { clientId: C, accountId: 'a1', name: 'A1', anniversaryDay: 30, status: 'ACTIVE', ratePlanId: 'basic', openedOn: '2025-01-01' },
      { clientId: C, accountId: 'a2', name: 'A2', anniversaryDay: 31, status: 'ACTIVE', ratePlanId: 'basic', openedOn: '2025-01-01' },
      { clientId: C, accountId: 'a3', name: 'A3', anniversaryDay: 31, status: 'CLOSED', ratePlanId: 'basic', openedOn: '2025-01-01' },
      { clientId: C, accountId: 'a4', name: 'A4', anniversaryDay: 30, status: 'ACTIVE', ratePlanId: 'gone', openedOn: '2025-01-01' },
    ]);
  });

  async function run(type: Parameters<typeof jobs.get>[0], processingDate: string, itemIds?: string[]): Promise<Map<string, ItemOutcome>> {
    const job = jobs.get(type);
    const ids = itemIds ?? (await collect(job, ctx(processingDate)));
    const outcomes = await job.process(ctx(processingDate), ids);
    return new Map(ids.map((id, i) => [id, outcomes[i] as ItemOutcome]));
  }

  it('refuses settings: the billing jobs take none', () => {
    expect(jobs.get('BILLING').parseSettings(undefined)).toEqual({});
    expect(() => jobs.get('USAGE_RATING').parseSettings({ dryRun: true })).toThrow(/USAGE_RATING takes no settings/);
  });

  it('invoices the recurring charge and the rated usage of the period, once; not closed accounts; NO_RATE_PLAN and UNRATED_USAGE when it cannot', async () => {
    await ledger.importUsage([
      usage('a1', '2026-10-30', 'u0', { state: 'SYNCED', rating: { amountMinor: 500, unitPriceMicros: 1, currency: 'USD', rateEffectiveFrom: '2026-01-01', ratedAt: 'x', version: 1 } }),
      usage('a1', '2026-10-31', 'u1', { state: 'SYNCED', rating: { amountMinor: 100, unitPriceMicros: 1, currency: 'USD', rateEffectiveFrom: '2026-01-01', ratedAt: 'x', version: 1 } }),
      usage('a1', '2026-11-30', 'u2', { state: 'SYNCED', rating: { amountMinor: 250, unitPriceMicros: 1, currency: 'USD', rateEffectiveFrom: '2026-01-01', ratedAt: 'x', version: 2 } }),
      usage('a2', '2026-11-02', 'u1', { state: 'SUSPENDED', suspense: { code: 'NO_RATE', message: 'm', at: 'x' } }),
    ]);

    const outcomes = await run('BILLING', '2026-11-30');

    expect([...outcomes.keys()]).toEqual(['a1', 'a4', 'a2']);
    expect(outcomes.get('a1')).toEqual({ ok: true });
    expect(errorOf(outcomes.get('a4'))?.code).toBe('NO_RATE_PLAN');
    expect(errorOf(outcomes.get('a2'))).toMatchObject({ code: 'UNRATED_USAGE', message: expect.stringContaining('1 in suspense') });
    expect(await ledger.listInvoices(C, 'a1')).toEqual([
      expect.objectContaining({ periodId: '2026-11', periodStart: '2026-10-31', periodEnd: '2026-11-30', recurringChargeMinor: 999, usageChargeMinor: 350, totalMinor: 1349, transactionCount: 2 }),
    ]);
    expect(await run('BILLING', '2026-11-30', ['a1', 'a3', 'nope', 'bad/id'])).toEqual(
      new Map<string, ItemOutcome>([
        ['a1', { ok: true }],
        ['a3', { ok: true }],
        ['nope', { ok: false, error: expect.objectContaining({ code: 'UNKNOWN_ACCOUNT' }) }],
        ['bad/id', { ok: false, error: expect.objectContaining({ code: 'INVALID_ITEM_ID' }) }],
      ]),
    );
    expect(await ledger.listInvoices(C, 'a1')).toHaveLength(1);
    expect(await ledger.listInvoices(C, 'a3')).toEqual([]);
  });

  it('holds an account with rated usage core billing has not accepted (UNSYNCED_USAGE), bills the others from synced usage only, and neither holds nor bills discarded usage', async () => {
    const rating = (amountMinor: number) => ({ amountMinor, unitPriceMicros: 1, currency: 'USD', rateEffectiveFrom: '2026-01-01', ratedAt: 'x', version: 1 });
    await ledger.putAccounts([
      { clientId: C, accountId: 'b1', name: 'B1', anniversaryDay: 30, status: 'ACTIVE', ratePlanId: 'basic', openedOn: '2025-01-01' },
      { clientId: C, accountId: 'b2', name: 'B2', anniversaryDay: 30, status: 'ACTIVE', ratePlanId: 'basic', openedOn: '2025-01-01' },
    ]);
    await ledger.importUsage([
      usage('a1', '2026-11-10', 'u1', { state: 'SYNCED', rating: rating(300) }),
      usage('a1', '2026-11-11', 'u2', { state: 'DISCARDED', rating: rating(700), syncError: { code: 'ACCOUNT_BLOCKED', message: 'm', at: 'x' } }),
      usage('b1', '2026-11-10', 'u1', { state: 'SYNCED', rating: rating(100) }),
      usage('b1', '2026-11-12', 'u2', { state: 'RATED', rating: rating(200) }),
      usage('b2', '2026-11-13', 'u1', { state: 'SYNC_ERROR', rating: rating(400), syncError: { code: 'ACCOUNT_BLOCKED', message: 'm', at: 'x' } }),
    ]);

    const outcomes = await run('BILLING', '2026-11-30', ['a1', 'b1', 'b2']);

    expect(outcomes.get('a1')).toEqual({ ok: true });
    expect(errorOf(outcomes.get('b1'))).toMatchObject({ code: 'UNSYNCED_USAGE', message: expect.stringContaining('1 rated usage record(s)') });
    expect(errorOf(outcomes.get('b2'))).toMatchObject({ code: 'UNSYNCED_USAGE', message: expect.stringContaining('1 sync errors') });
    expect(await ledger.listInvoices(C, 'a1')).toEqual([expect.objectContaining({ usageChargeMinor: 300, totalMinor: 1299, transactionCount: 1 })]);
    expect(await ledger.listInvoices(C, 'b1')).toEqual([]);
    expect(await ledger.listInvoices(C, 'b2')).toEqual([]);
  });

  it('SUSPENSE_REPROCESSING rates what is in suspense once its rate exists, and fails it again with its reason until then', async () => {
    await ledger.importUsage([usage('a1', '2026-11-03', 'u1', { usageType: 'sms' }), usage('a2', '2026-11-04', 'u1')]);
    const rated = await run('USAGE_RATING', '2026-11-30');
    expect(errorOf(rated.get('a1/2026-11-03/u1'))).toMatchObject({ code: 'NO_RATE', message: expect.stringContaining('"sms"') });
    expect(rated.get('a2/2026-11-04/u1')).toEqual({ ok: true });

    const still = await run('SUSPENSE_REPROCESSING', '2026-11-30');
    expect([...still.keys()]).toEqual(['a1/2026-11-03/u1']);
    expect(errorOf(still.get('a1/2026-11-03/u1'))?.code).toBe('NO_RATE');
    expect(ledger.usage.get(`${C}/a1/2026-11-03/u1`)?.rev).toBe(1);

    await ledger.putRate(C, 'basic', { usageType: 'sms', effectiveFrom: '2026-11-01', unitPriceMicros: 75_000 });
    const resolved = await run('SUSPENSE_REPROCESSING', '2026-11-30');

    expect(resolved.get('a1/2026-11-03/u1')).toEqual({ ok: true });
    expect(ledger.usage.get(`${C}/a1/2026-11-03/u1`)).toMatchObject({ state: 'RATED', rating: { amountMinor: 7_500, version: 1 } });
    expect(ledger.usage.get(`${C}/a1/2026-11-03/u1`)?.suspense).toBeUndefined();
    expect(await collect(jobs.get('SUSPENSE_REPROCESSING'), ctx('2026-11-30'))).toEqual([]);
  });

  it("SYNC_TRANSACTIONS records core billing's rejections as sync errors with core's code, and SYNC_ERROR_REPROCESSING sends them again", async () => {
    await ledger.importUsage([usage('a1', '2026-11-03', 'u1'), usage('a2', '2026-11-03', 'u1'), usage('a2', '2026-11-04', 'u2', { state: 'SUSPENDED' })]);
    await run('USAGE_RATING', '2026-11-30');
    core.rejectAccounts.set('a2', 'ACCOUNT_BLOCKED');

    const synced = await run('SYNC_TRANSACTIONS', '2026-11-30');
    expect(synced.get('a1/2026-11-03/u1')).toEqual({ ok: true });
    expect(errorOf(synced.get('a2/2026-11-03/u1'))).toMatchObject({ code: 'ACCOUNT_BLOCKED', message: expect.stringContaining('rejected by the fake') });
    expect(ledger.usage.get(`${C}/a2/2026-11-03/u1`)).toMatchObject({ state: 'SYNC_ERROR', syncError: { code: 'ACCOUNT_BLOCKED' } });
    expect(errorOf((await run('SYNC_TRANSACTIONS', '2026-11-30', ['a2/2026-11-04/u2'])).get('a2/2026-11-04/u2'))?.code).toBe('NOT_RATED');

    core.rejectAccounts.clear();
    const resent = await run('SYNC_ERROR_REPROCESSING', '2026-11-30');
    expect([...resent.entries()]).toEqual([['a2/2026-11-03/u1', { ok: true }]]);
    expect(ledger.usage.get(`${C}/a2/2026-11-03/u1`)).toMatchObject({ state: 'SYNCED', sync: { version: 1 } });
  });

  it('SYNC_TRANSACTIONS fails its items with CORE_UNAVAILABLE or CORE_REQUEST_REFUSED and records nothing when core billing does not answer', async () => {
    await ledger.importUsage([usage('a1', '2026-11-03', 'u1')]);
    await run('USAGE_RATING', '2026-11-30');
    const refusing = createJobRegistry({
      allowSynthetic: false,
      billing: { ledger, clock, coreBilling: { sendTransactions: () => Promise.reject(new CoreBillingRefusedError('Core billing refused the request with 403', 403)) } },
    });
    core.faults = ['unavailable'];

    const unavailable = await run('SYNC_TRANSACTIONS', '2026-11-30');
    const refused = await refusing.get('SYNC_TRANSACTIONS').process(ctx('2026-11-30'), ['a1/2026-11-03/u1']);

    expect(errorOf(unavailable.get('a1/2026-11-03/u1'))).toMatchObject({ code: 'CORE_UNAVAILABLE', message: expect.stringContaining('reprocess the failed items') });
    expect(errorOf(refused[0])).toMatchObject({ code: 'CORE_REQUEST_REFUSED', message: expect.stringContaining('credentials') });
    expect(ledger.usage.get(`${C}/a1/2026-11-03/u1`)?.state).toBe('RATED');
    expect(new CoreBillingUnavailableError('x').code).toBe('CORE_UNAVAILABLE');
  });

  it('RERATING reprices rated transactions with the current rates as a new version for core billing, leaves invoiced periods alone, and closes the request', async () => {
    await ledger.importUsage([usage('a1', '2026-10-20', 'u1'), usage('a1', '2026-11-10', 'u2'), usage('a1', '2026-11-12', 'u3', { usageType: 'sms' })]);
    await run('USAGE_RATING', '2026-11-30');
    await run('SYNC_TRANSACTIONS', '2026-11-30');
    await ledger.createInvoices(C, [
      { clientId: C, accountId: 'a1', periodId: '2026-10', invoiceId: 'i', periodStart: '2026-10-01', periodEnd: '2026-10-30', billedOn: '2026-10-30', currency: 'USD', recurringChargeMinor: 0, usageChargeMinor: 0, totalMinor: 0, transactionCount: 1, runId: 'r', createdAt: 'x' },
    ]);
    await ledger.putRate(C, 'basic', { usageType: 'calls', effectiveFrom: '2026-10-01', unitPriceMicros: 2_000 });
    await ledger.requestRerate({ clientId: C, accountId: 'a1', requestId: 'rr1', fromDate: '2026-10-01', toDate: '2026-11-30', reason: 'calls were underpriced', requestedAt: '2026-12-01T00:00:00Z' });

    const blocked = await run('RERATING', '2026-12-01');
    expect(errorOf(blocked.get('a1/rr1'))).toMatchObject({ code: 'TRANSACTION_INVOICED', message: expect.stringContaining('a1/2026-10-20/u1') });
    expect(ledger.usage.get(`${C}/a1/2026-11-10/u2`)).toMatchObject({ state: 'RATED', rating: { amountMinor: 200, version: 2 } });
    expect(ledger.usage.get(`${C}/a1/2026-10-20/u1`)).toMatchObject({ state: 'SYNCED', rating: { amountMinor: 100, version: 1 } });
    expect(ledger.usage.get(`${C}/a1/2026-11-12/u3`)?.state).toBe('SUSPENDED');

    await ledger.requestRerate({ clientId: C, accountId: 'a1', requestId: 'rr1', fromDate: '2026-11-01', toDate: '2026-11-30', reason: 'narrowed', requestedAt: '2026-12-01T00:00:00Z' });
    expect(await run('RERATING', '2026-12-01')).toEqual(new Map([['a1/rr1', { ok: true }]]));
    expect(await ledger.getRerateRequest(C, 'a1', 'rr1')).toBeUndefined();
    expect(ledger.usage.get(`${C}/a1/2026-11-10/u2`)?.rating?.version).toBe(2);

    await run('SYNC_TRANSACTIONS', '2026-12-01');
    const keys = core.received.filter((t) => t.transactionId === 'a1/2026-11-10/u2').map((t) => t.idempotencyKey);
    expect(keys).toEqual([idempotencyKeyOf(C, { accountId: 'a1', usageDate: '2026-11-10', usageId: 'u2' }, 1), idempotencyKeyOf(C, { accountId: 'a1', usageDate: '2026-11-10', usageId: 'u2' }, 2)]);
  });

  it('without a ledger the registry still validates settings, and a billing job that runs says why it cannot', async () => {
    const settingsOnly = createJobRegistry({ allowSynthetic: false });

    expect(settingsOnly.get('BILLING').parseSettings({})).toEqual({});
    await expect(collect(settingsOnly.get('BILLING'), ctx('2026-11-30'))).rejects.toThrow(/without the billing ledger/);
  });
});
