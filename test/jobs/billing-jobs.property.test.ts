import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { daysInMonth, epochDay, formatIsoDate } from '../../lambdas/domain/calendar-dates';
import { billingPeriod, dueAnniversaryDays, isBillDate } from '../../lambdas/domain/billing-calendar';
import { rateUsage } from '../../lambdas/domain/billing-rating';
import type { ItemOutcome, JobContext, JobHandler } from '../../lambdas/domain/job-registry';
import { BillingJob } from '../../lambdas/jobs/billing-job';
import type { BillingJobDependencies } from '../../lambdas/jobs/ledger-job-support';
import { SyncTransactionsJob } from '../../lambdas/jobs/sync-transactions-job';
import { UsageRatingJob } from '../../lambdas/jobs/usage-rating-job';
import { idempotencyKeyOf, usageItemId, type Account, type UsageRecord } from '../../lambdas/domain/ledger';
import { FakeCoreBilling, type CoreFault } from '../ledger/support/fake-core-billing';
import { InMemoryLedger } from '../ledger/support/in-memory-ledger';

/**
 * The billing rules as properties: whatever the month, the anniversary days, the order and
 * repetition of processing dates, the chunking, crashes and redeliveries, each active account is
 * billed exactly once per period; rating is a pure function of usage and rates; every rated
 * transaction reaches core billing under one idempotency key.
 */

const CLIENT = 'acme';
const clock = { now: () => new Date('2030-01-01T00:00:00Z') };

function context(processingDate: string, seq = 1): JobContext {
  return { clientId: CLIENT, runId: `run_${processingDate}`, seq, processingDate, timezone: 'UTC', settings: {}, heal: false };
}

function deps(ledger: InMemoryLedger, coreBilling = new FakeCoreBilling()): BillingJobDependencies {
  return { ledger, coreBilling, clock };
}

async function collect(job: JobHandler, ctx: JobContext): Promise<string[]> {
  const ids: string[] = [];
  for await (const id of job.collect(ctx)) ids.push(id);
  return ids;
}

/** Processes the items in chunks; a chunk that throws (a crashed worker) is offered again; returns the outcomes by item. */
async function processAll(job: JobHandler, ctx: JobContext, itemIds: readonly string[], chunkSize: number): Promise<Map<string, ItemOutcome>> {
  const outcomes = new Map<string, ItemOutcome>();
  for (let start = 0; start < itemIds.length; start += chunkSize) {
    const chunk = itemIds.slice(start, start + chunkSize);
    for (let attempt = 0; ; attempt++) {
      try {
        const results = await job.process(ctx, chunk);
        chunk.forEach((id, i) => outcomes.set(id, results[i] as ItemOutcome));
        break;
      } catch (error) {
        if (attempt > 20) throw error;
      }
    }
  }
  return outcomes;
}

/** Every date of a month, YYYY-MM-DD. */
function datesOfMonth(year: number, month: number): string[] {
  return Array.from({ length: daysInMonth(year, month) }, (_, i) => formatIsoDate(epochDay(year, month, i + 1)));
}

const monthArbitrary = fc.record({ year: fc.integer({ min: 2000, max: 2099 }), month: fc.integer({ min: 1, max: 12 }) });

describe('BILLING', () => {
  it('bills each active account exactly once per period, whatever the processing order, repeats, reprocessing and crashes', async () => {
    await fc.assert(
      fc.asyncProperty(
        monthArbitrary.chain(({ year, month }) => {
          const dates = datesOfMonth(year, month);
          return fc.record({
            year: fc.constant(year),
            month: fc.constant(month),
            accounts: fc.array(fc.record({ day: fc.integer({ min: 1, max: 31 }), active: fc.boolean() }), { minLength: 1, maxLength: 40 }),
            order: fc.shuffledSubarray(dates, { minLength: dates.length, maxLength: dates.length }),
            repeats: fc.array(fc.record({ date: fc.constantFrom(...dates), at: fc.nat(), reprocessAll: fc.boolean() }), { maxLength: 8 }),
            chunkSize: fc.integer({ min: 1, max: 7 }),
            crashes: fc.array(fc.boolean(), { maxLength: 20 }),
          });
        }),
        async ({ year, month, accounts, order, repeats, chunkSize, crashes }) => {
          const ledger = new InMemoryLedger();
          const periodId = `${year}-${String(month).padStart(2, '0')}`;
          await ledger.putRatePlan({ clientId: CLIENT, ratePlanId: 'basic', name: 'Basic', currency: 'USD', recurringChargeMinor: 1000, rates: [] });
          const seeded: Account[] = accounts.map((a, i) => ({
            clientId: CLIENT,
            accountId: `acc-${i}`,
            name: `Account ${i}`,
            anniversaryDay: a.day,
            status: a.active ? 'ACTIVE' : 'CLOSED',
            ratePlanId: 'basic',
            openedOn: '1999-01-01',
          }));
          await ledger.putAccounts(seeded);
          // A worker that dies right after its invoices were written: the chunk is offered again.
          const createInvoices = ledger.createInvoices.bind(ledger);
          const crashPlan = [...crashes];
          ledger.createInvoices = async (clientId, invoices) => {
            const existed = await createInvoices(clientId, invoices);
            if (crashPlan.shift()) throw new Error('worker died after writing');
            return existed;
          };
          const job = new BillingJob(deps(ledger));
          const sequence: Array<{ date: string; reprocessAll: boolean }> = order.map((date) => ({ date, reprocessAll: false }));
          for (const repeat of repeats) sequence.splice(repeat.at % (sequence.length + 1), 0, repeat);

          for (const { date, reprocessAll } of sequence) {
            const ctx = context(date);
            const items = await collect(job, ctx);
            const outcomes = await processAll(job, ctx, items, chunkSize);
            expect([...outcomes.values()].every((outcome) => outcome.ok)).toBe(true);
            if (reprocessAll) await processAll(job, ctx, items, chunkSize);
          }

          for (const account of seeded) {
            const invoices = await ledger.listInvoices(CLIENT, account.accountId);
            if (account.status !== 'ACTIVE') {
              expect(invoices).toEqual([]);
              continue;
            }
            expect(invoices.map((invoice) => invoice.periodId)).toEqual([periodId]);
            const invoice = invoices[0]!;
            expect(isBillDate(account.anniversaryDay, invoice.billedOn)).toBe(true);
            expect(invoice).toMatchObject({ periodEnd: invoice.billedOn, totalMinor: 1000 });
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('has exactly one bill date per month for every anniversary day, the due days of a month covering 1-31 once', () => {
    fc.assert(
      fc.property(monthArbitrary, ({ year, month }) => {
        const due = datesOfMonth(year, month).flatMap((date) => dueAnniversaryDays(date));
        expect(due.sort((a, b) => a - b)).toEqual(Array.from({ length: 31 }, (_, i) => i + 1));
        for (let day = 1; day <= 31; day++) {
          const billDates = datesOfMonth(year, month).filter((date) => isBillDate(day, date));
          expect(billDates).toHaveLength(1);
          const period = billingPeriod(day, billDates[0]!);
          expect(period.end).toBe(billDates[0]);
        }
      }),
      { numRuns: 200 },
    );
  });
});

const USAGE_TYPES = ['calls', 'storage', 'sms', 'roaming'] as const;
const dateIn2026 = fc.integer({ min: 1, max: 365 }).map((n) => new Date(Date.UTC(2026, 0, n)).toISOString().slice(0, 10));

describe('USAGE_RATING', () => {
  it('is deterministic: the same usage and rates give the same ratings and suspense, whatever the chunking, order and repeats', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.record({ usageType: fc.constantFrom(...USAGE_TYPES.slice(0, 3)), effectiveFrom: dateIn2026, unitPriceMicros: fc.nat({ max: 50_000_000 }) }), {
          selector: (rate) => `${rate.usageType}#${rate.effectiveFrom}`,
          maxLength: 8,
        }),
        fc.array(fc.record({ usageType: fc.constantFrom(...USAGE_TYPES), usageDate: dateIn2026, quantity: fc.nat({ max: 10_000_000 }), account: fc.integer({ min: 0, max: 3 }) }), {
          minLength: 1,
          maxLength: 30,
        }),
        fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 })),
        fc.boolean(),
        async (rates, usage, [chunkA, chunkB], repeat) => {
          const records: UsageRecord[] = usage.map((u, i) => ({
            clientId: CLIENT,
            accountId: `acc-${u.account}`,
            usageDate: u.usageDate,
            usageId: `u${i}`,
            usageType: u.usageType,
            quantity: u.quantity,
            state: 'UNRATED',
            rev: 0,
          }));
          const plan = { clientId: CLIENT, ratePlanId: 'p', name: 'P', currency: 'EUR', recurringChargeMinor: 0, rates };
          const rateWith = async (chunkSize: number, reversed: boolean): Promise<InMemoryLedger> => {
            const ledger = new InMemoryLedger();
            await ledger.putRatePlan({ ...plan, rates: reversed ? [...rates].reverse() : rates });
            await ledger.putAccounts([0, 1, 2, 3].map((n) => ({ clientId: CLIENT, accountId: `acc-${n}`, name: 'A', anniversaryDay: 1, status: 'ACTIVE' as const, ratePlanId: 'p', openedOn: '2025-01-01' })));
            await ledger.importUsage(records);
            const job = new UsageRatingJob(deps(ledger), 'USAGE_RATING');
            const ctx = context('2026-12-31');
            const items = await collect(job, ctx);
            await processAll(job, ctx, reversed ? [...items].reverse() : items, chunkSize);
            if (repeat) await processAll(job, ctx, items, chunkSize);
            return ledger;
          };
          const [a, b] = [await rateWith(chunkA, false), await rateWith(chunkB, true)];

          for (const record of records) {
            const id = `${CLIENT}/${usageItemId(record)}`;
            const [ra, rb] = [a.usage.get(id)!, b.usage.get(id)!];
            const expected = rateUsage(record, 'p', plan);
            if (expected.ok) {
              expect(ra.state).toBe('RATED');
              expect(ra.rating).toMatchObject({ ...expected.priced, version: 1 });
            } else {
              expect(ra.state).toBe('SUSPENDED');
              expect(ra.suspense?.code).toBe(expected.code);
            }
            expect({ ...rb, rev: ra.rev }).toEqual(ra);
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('SYNC_TRANSACTIONS', () => {
  it('gets every rated transaction to core billing under exactly one idempotency key, through outages, lost answers, crashes, rejections and redeliveries', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 30 }),
        fc.array(fc.constantFrom<CoreFault>('none', 'unavailable', 'lost-answer'), { maxLength: 12 }),
        fc.array(fc.boolean(), { maxLength: 12 }),
        fc.subarray([0, 1, 2, 3, 4]),
        fc.integer({ min: 1, max: 8 }),
        async (count, faults, crashes, rejectedAccounts, chunkSize) => {
          const ledger = new InMemoryLedger();
          const core = new FakeCoreBilling();
          core.faults = [...faults];
          for (const n of rejectedAccounts) core.rejectAccounts.set(`acc-${n}`, 'ACCOUNT_BLOCKED');
          const records: UsageRecord[] = Array.from({ length: count }, (_, i) => ({
            clientId: CLIENT,
            accountId: `acc-${i % 5}`,
            usageDate: '2026-11-05',
            usageId: `u${i}`,
            usageType: 'calls',
            quantity: i + 1,
            state: 'RATED',
            rev: 1,
            rating: { amountMinor: i * 7, unitPriceMicros: 70_000, currency: 'USD', rateEffectiveFrom: '2026-01-01', ratedAt: '2026-11-06T00:00:00Z', version: 1 },
          }));
          await ledger.importUsage(records);
          // A worker that dies after core accepted but before the ledger recorded it.
          const crashPlan = [...crashes];
          ledger.beforeUsageWrite = () => {
            if (crashPlan.shift()) throw new Error('worker died before recording');
          };
          const sync = new SyncTransactionsJob(deps(ledger, core), 'SYNC_TRANSACTIONS');
          const resync = new SyncTransactionsJob(deps(ledger, core), 'SYNC_ERROR_REPROCESSING');
          const ctx = context('2026-11-30');

          let pending = await collect(sync, ctx);
          let rejectedSeen = false;
          for (let round = 0; pending.length > 0; round++) {
            expect(round).toBeLessThan(40);
            const outcomes = await processAll(sync, ctx, pending, chunkSize);
            rejectedSeen ||= [...outcomes.values()].some((o) => !o.ok && o.error.code === 'ACCOUNT_BLOCKED');
            pending = pending.filter((id) => !outcomes.get(id)?.ok);
            if (round === 0) core.rejectAccounts.clear();
            // A duplicate delivery of work that already succeeded changes nothing.
            await processAll(sync, ctx, (await collect(resync, ctx)).slice(0, 2), chunkSize);
          }
          await processAll(sync, ctx, records.map(usageItemId), chunkSize);

          expect(core.stored.size).toBe(count);
          for (const record of records) {
            const key = idempotencyKeyOf(CLIENT, record, 1);
            expect(core.stored.get(key)?.transactionId).toBe(usageItemId(record));
            const stored = ledger.usage.get(`${CLIENT}/${usageItemId(record)}`)!;
            expect(stored.state).toBe('SYNCED');
            expect(stored.sync).toMatchObject({ coreRef: `ref-${key}`, version: 1 });
          }
          const keysPerTransaction = new Map<string, Set<string>>();
          for (const t of core.received) keysPerTransaction.set(t.transactionId, (keysPerTransaction.get(t.transactionId) ?? new Set()).add(t.idempotencyKey));
          expect([...keysPerTransaction.values()].every((keys) => keys.size === 1)).toBe(true);
          if (rejectedAccounts.some((n) => n < count) && !faults.length && !crashes.length) expect(rejectedSeen).toBe(true);
        },
      ),
      { numRuns: 80 },
    );
  });
});
