import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoLedger, shardOf, WORK_SHARDS } from '../../lambdas/adapters/aws/dynamo-ledger';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LEDGER_TABLE } from '../../lambdas/adapters/aws/table-definitions';
import { meterConsumedCapacity } from '../../lambdas/adapters/local/dynamo-capacity-meter';
import { localDynamoClient } from '../../lambdas/adapters/local/dynamo-local';
import { usageItemId, type Account, type Invoice, type UsageRecord } from '../../lambdas/domain/ledger';
import type { Ledger, LedgerAdmin, UsageQueue } from '../../lambdas/ports/ledger';
import { InMemoryUsageMeter } from '../../lambdas/adapters/local/usage-meter';
import { createTestTables } from '../support/dynamo';
import { InMemoryLedger } from './support/in-memory-ledger';

/**
 * The Ledger port's contract, held by the DynamoDB adapter on DynamoDB Local (conditions,
 * transactions, sparse indexes are DynamoDB's behaviour) and by the in-memory ledger the
 * property tests use, so that those tests prove something about the real thing.
 */
type AnyLedger = Ledger & LedgerAdmin;

let counter = 0;
const client = (): string => `c${++counter}`;

function account(clientId: string, accountId: string, overrides: Partial<Account> = {}): Account {
  return { clientId, accountId, name: accountId, anniversaryDay: 5, status: 'ACTIVE', ratePlanId: 'basic', openedOn: '2025-01-01', ...overrides };
}

function usage(clientId: string, accountId: string, usageDate: string, usageId: string, overrides: Partial<UsageRecord> = {}): UsageRecord {
  return { clientId, accountId, usageDate, usageId, usageType: 'calls', quantity: 3, state: 'UNRATED', rev: 0, ...overrides };
}

function invoice(clientId: string, accountId: string, periodId: string, totalMinor: number): Invoice {
  return {
    clientId,
    accountId,
    periodId,
    invoiceId: `INV-${accountId}-${periodId}`,
    periodStart: `${periodId}-01`,
    periodEnd: `${periodId}-28`,
    billedOn: `${periodId}-28`,
    currency: 'USD',
    recurringChargeMinor: totalMinor,
    usageChargeMinor: 0,
    totalMinor,
    transactionCount: 0,
    runId: 'run_1',
    createdAt: '2026-01-01T00:00:00Z',
  };
}

async function all<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

const ledgers: Array<[string, () => Promise<AnyLedger>]> = [
  [
    'DynamoLedger on DynamoDB Local',
    async () => {
      const tables = await createTestTables();
      return new DynamoLedger(tables.document, tables.tableName(LEDGER_TABLE));
    },
  ],
  ['InMemoryLedger', async () => new InMemoryLedger()],
];

describe.each(ledgers)('the ledger contract: %s', (_name, create) => {
  let ledger: AnyLedger;

  beforeAll(async () => {
    ledger = await create();
  });

  it('lists the active accounts due on anniversary days, day by day and by id, and drops an account that closes', async () => {
    const c = client();
    await ledger.putAccounts([
      account(c, 'b', { anniversaryDay: 30 }),
      account(c, 'a', { anniversaryDay: 31 }),
      account(c, 'c', { anniversaryDay: 30 }),
      account(c, 'd', { anniversaryDay: 30, status: 'CLOSED' }),
      account(c, 'e', { anniversaryDay: 29 }),
    ]);
    await ledger.putAccounts([account(client(), 'x', { anniversaryDay: 30 })]);

    expect(await all(ledger.accountsDueOn(c, [31, 30]))).toEqual(['b', 'c', 'a']);
    await ledger.putAccounts([account(c, 'b', { anniversaryDay: 30, status: 'CLOSED' })]);
    expect(await all(ledger.accountsDueOn(c, [30]))).toEqual(['c']);
    expect([...(await ledger.getAccounts(c, ['a', 'zz', 'a'])).keys()]).toEqual(['a']);
  });

  it('keeps each usage record in the queue of its state, up to a date, and moves it with a conditional write', async () => {
    const c = client();
    const records = [usage(c, 'a1', '2026-11-01', 'u1'), usage(c, 'a2', '2026-11-02', 'u1'), usage(c, 'a3', '2026-11-03', 'u1')];
    await ledger.importUsage(records);
    const queue = async (name: UsageQueue, through = '2026-11-30'): Promise<string[]> => (await all(ledger.usageInQueue(c, name, through))).map(usageItemId).sort();

    expect(await queue('UNRATED')).toEqual(['a1/2026-11-01/u1', 'a2/2026-11-02/u1', 'a3/2026-11-03/u1']);
    expect(await queue('UNRATED', '2026-11-02')).toEqual(['a1/2026-11-01/u1', 'a2/2026-11-02/u1']);

    const rating = { amountMinor: 5, unitPriceMicros: 1, currency: 'USD', rateEffectiveFrom: '2026-01-01', ratedAt: 'now', version: 1 };
    const conflicts = await ledger.writeUsage(c, [
      { record: { ...records[0]!, state: 'RATED', rating }, expectedRev: 0 },
      { record: { ...records[1]!, state: 'SUSPENDED', suspense: { code: 'NO_RATE', message: 'no rate', at: 'now' } }, expectedRev: 0 },
      { record: { ...records[2]!, state: 'RATED', rating }, expectedRev: 7 },
    ]);

    expect([...conflicts]).toEqual(['a3/2026-11-03/u1']);
    expect(await queue('UNRATED')).toEqual(['a3/2026-11-03/u1']);
    expect(await queue('UNSYNCED')).toEqual(['a1/2026-11-01/u1']);
    expect(await queue('SUSPENDED')).toEqual(['a2/2026-11-02/u1']);
    const stored = await ledger.getUsage(c, records);
    expect(stored.get('a1/2026-11-01/u1')).toMatchObject({ state: 'RATED', rev: 1, rating });
    expect(stored.get('a3/2026-11-03/u1')).toMatchObject({ state: 'UNRATED', rev: 0 });

    await ledger.writeUsage(c, [{ record: { ...stored.get('a1/2026-11-01/u1')!, state: 'SYNCED', sync: { syncedAt: 'now', coreRef: 'r', version: 1 } }, expectedRev: 1 }]);
    expect(await queue('UNSYNCED')).toEqual([]);
    const second = await ledger.writeUsage(c, [{ record: { ...stored.get('a1/2026-11-01/u1')!, state: 'RATED' }, expectedRev: 1 }]);
    expect([...second]).toEqual(['a1/2026-11-01/u1']);
  });

  it("reads an account's usage between two dates, both included", async () => {
    const c = client();
    await ledger.importUsage(['2026-10-31', '2026-11-01', '2026-11-15', '2026-11-30', '2026-12-01'].map((date, i) => usage(c, 'a', date, `u${i}`)));
    await ledger.importUsage([usage(c, 'b', '2026-11-15', 'u9')]);

    const inRange = await ledger.usageOfAccount(c, 'a', '2026-11-01', '2026-11-30');

    expect(inRange.map((r) => r.usageDate)).toEqual(['2026-11-01', '2026-11-15', '2026-11-30']);
  });

  it('creates an invoice only once per account and period and names those that existed', async () => {
    const c = client();
    expect([...(await ledger.createInvoices(c, [invoice(c, 'a', '2026-11', 100), invoice(c, 'b', '2026-11', 200)]))]).toEqual([]);

    const existed = await ledger.createInvoices(c, [invoice(c, 'a', '2026-11', 999), invoice(c, 'a', '2026-12', 300), invoice(c, 'c', '2026-11', 400)]);

    expect([...existed]).toEqual(['a']);
    expect((await ledger.listInvoices(c, 'a')).map((i) => [i.periodId, i.totalMinor])).toEqual([
      ['2026-11', 100],
      ['2026-12', 300],
    ]);
    const found = await ledger.getInvoices(c, [
      { accountId: 'b', periodId: '2026-11' },
      { accountId: 'b', periodId: '2026-10' },
    ]);
    expect([...found.keys()]).toEqual(['b/2026-11']);
  });

  it('keeps rate plans with their dated rates, and adds a rate to a plan', async () => {
    const c = client();
    await ledger.putRatePlan({ clientId: c, ratePlanId: 'basic', name: 'Basic', currency: 'USD', recurringChargeMinor: 999, rates: [{ usageType: 'calls', effectiveFrom: '2026-01-01', unitPriceMicros: 10 }] });

    await ledger.putRate(c, 'basic', { usageType: 'calls', effectiveFrom: '2026-06-01', unitPriceMicros: 12 });

    const plans = await ledger.getRatePlans(c, ['basic', 'missing']);
    expect([...plans.keys()]).toEqual(['basic']);
    expect(plans.get('basic')!.rates.map((r) => r.unitPriceMicros).sort()).toEqual([10, 12]);
  });

  it('lists, reads and completes rerate requests: a completed one leaves the queue', async () => {
    const c = client();
    await ledger.requestRerate({ clientId: c, accountId: 'a', requestId: 'r2', fromDate: '2026-11-01', toDate: '2026-11-30', reason: 'fix', requestedAt: '2026-12-02T00:00:00Z' });
    await ledger.requestRerate({ clientId: c, accountId: 'b', requestId: 'r1', fromDate: '2026-11-01', toDate: '2026-11-30', reason: 'fix', requestedAt: '2026-12-01T00:00:00Z' });

    expect(await all(ledger.rerateRequests(c))).toEqual([
      { accountId: 'b', requestId: 'r1' },
      { accountId: 'a', requestId: 'r2' },
    ]);
    expect(await ledger.getRerateRequest(c, 'a', 'r2')).toMatchObject({ reason: 'fix' });
    await ledger.completeRerateRequest(c, 'a', 'r2');
    expect(await ledger.getRerateRequest(c, 'a', 'r2')).toBeUndefined();
    expect(await all(ledger.rerateRequests(c))).toEqual([{ accountId: 'b', requestId: 'r1' }]);
  });
});

describe('the DynamoDB ledger', () => {
  it('writes many records, each against its own condition: those that lost it are named, the others are applied', async () => {
    const tables = await createTestTables();
    const ledger = new DynamoLedger(tables.document, tables.tableName(LEDGER_TABLE));
    const c = client();
    const records = Array.from({ length: 130 }, (_, i) => usage(c, `a${i % 17}`, '2026-11-05', `u${i}`));
    await ledger.importUsage(records);

    const conflicts = await ledger.writeUsage(
      c,
      records.map((record, i) => ({ record: { ...record, state: 'SUSPENDED', suspense: { code: 'NO_RATE', message: 'm', at: 'now' } }, expectedRev: i % 40 === 0 ? 3 : 0 })),
    );

    expect([...conflicts].sort()).toEqual(records.filter((_, i) => i % 40 === 0).map(usageItemId).sort());
    expect((await all(ledger.usageInQueue(c, 'SUSPENDED', '2026-11-30'))).length).toBe(126);
    expect((await all(ledger.usageInQueue(c, 'UNRATED', '2026-11-30'))).length).toBe(4);
  });

  it('writes a record for one write unit plus one for its index entry: no transaction, no move between index partitions', async () => {
    const tables = await createTestTables();
    const dynamo = localDynamoClient(tables.endpoint);
    const meter = new InMemoryUsageMeter();
    meterConsumedCapacity(dynamo, meter);
    const ledger = new DynamoLedger(DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } }), tables.tableName(LEDGER_TABLE));
    const c = client();
    const records = Array.from({ length: 10 }, (_, i) => usage(c, `a${i}`, '2026-11-05', `u${i}`));
    await ledger.importUsage(records);
    const before = meter.get('dynamoWriteUnits');

    await ledger.writeUsage(c, records.map((record) => ({ record: { ...record, state: 'SUSPENDED', suspense: { code: 'NO_RATE', message: 'm', at: 'now' } }, expectedRev: 0 })));

    // Each record (under 1 KB): 1 unit in the table, 1 in the work index, whose entry keeps its keys
    // and changes its state (UNRATED to SUSPENDED) in place, not deleted and put again (2).
    expect(meter.get('dynamoWriteUnits') - before).toBe(20);
    expect((await all(ledger.usageInQueue(c, 'SUSPENDED', '2026-11-30'))).length).toBe(10);
    expect(await all(ledger.usageInQueue(c, 'UNRATED', '2026-11-30'))).toEqual([]);
    dynamo.destroy();
  });

  it('spreads accounts over the index shards', () => {
    const counts = new Array(WORK_SHARDS).fill(0);
    for (let i = 0; i < 8000; i++) counts[shardOf(`acc-${String(i).padStart(7, '0')}`)]++;
    expect(Math.min(...counts)).toBeGreaterThan(800);
  });
});
