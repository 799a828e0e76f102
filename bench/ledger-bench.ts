import { shardOf } from '../lambdas/adapters/aws/dynamo-ledger';
import { LEDGER_TABLE } from '../lambdas/adapters/aws/table-definitions';
import { ensureTables, localDynamoClient } from '../lambdas/adapters/local/dynamo-local';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LocalRuntime } from '../lambdas/composition/local-runtime';
import { seedLedger } from '../lambdas/domain/ledger-generator';
import type { UsageKind } from '../lambdas/ports/usage-meter';

/**
 * The daily sequence (USAGE_RATING → SYNC_TRANSACTIONS → BILLING) on a seeded ledger, end to end
 * through the local runtime, and in the same DynamoDB Local the raw BatchWriteItem rate for as
 * many records as the jobs wrote. Every work item of the sequence writes one ledger record (a
 * rating, a sync result, an invoice), so the ratio of the two rates says how close the whole
 * product — API, ASL, queue, workers, reads, core billing over HTTP, outcome records — comes to
 * DynamoDB Local's own write rate.
 */
export interface LedgerBenchOptions {
  accounts: number;
  usagePerAccount: number;
  /** Concurrent BatchWriteItem calls of the raw baseline (the worker concurrency). */
  writers: number;
  call: (method: string, path: string, body?: unknown) => Promise<any>;
}

export interface LedgerBenchResult {
  accounts: number;
  usagePerAccount: number;
  processingDate: string;
  status: string;
  items: number;
  itemsByJob: Record<string, number>;
  seconds: number;
  itemsPerSecond: number;
  seedSeconds: number;
  rawRecords: number;
  rawSeconds: number;
  rawRecordsPerSecond: number;
  /** End-to-end work items per second over raw records per second. */
  ratio: number;
  per1000: Record<'dynamoWrites' | 'dynamoReads' | 'stateTransitions' | 'sqsRequests' | 'lambdaInvocations', number>;
}

const CLIENT = 'ledger-bench';
const MONTH = '2026-11';
/** November's last day: anniversary days 30 and 31 are billed, the month-end rule included. */
const PROCESSING_DATE = '2026-11-30';

export async function benchLedger(runtime: LocalRuntime, options: LedgerBenchOptions): Promise<LedgerBenchResult> {
  await options.call('PUT', `/v1/clients/${CLIENT}`, { name: 'Ledger bench', timezone: 'UTC' });
  const seedStarted = performance.now();
  await seedLedger(runtime.ledger, { clientId: CLIENT, accounts: options.accounts, usagePerAccount: options.usagePerAccount, month: MONTH, seed: 1, unratedShare: 0 });
  const seedSeconds = (performance.now() - seedStarted) / 1000;

  const before = runtime.meter.snapshot();
  const started = performance.now();
  const triggered = await options.call('POST', `/v1/clients/${CLIENT}/schedules/daily/runs`, { processingDate: PROCESSING_DATE });
  let run = triggered;
  while (run.status === 'PENDING' || run.status === 'RUNNING') {
    await new Promise((resolve) => setTimeout(resolve, 200));
    run = await options.call('GET', `/v1/clients/${CLIENT}/runs/${triggered.runId}`);
  }
  const seconds = (performance.now() - started) / 1000;
  const after = runtime.meter.snapshot();
  const items = run.stats.items.total as number;
  const written = run.stats.items.succeeded as number;

  const raw = await rawBatchWriteRate(runtime, written, options.writers);
  const itemsPerSecond = items / seconds;
  const per1000 = (kind: UsageKind): number => round(((after[kind] - before[kind]) / Math.max(1, items)) * 1000);
  return {
    accounts: options.accounts,
    usagePerAccount: options.usagePerAccount,
    processingDate: PROCESSING_DATE,
    status: run.status,
    items,
    itemsByJob: Object.fromEntries(run.jobs.map((job: { type: string; stats: { total: number } }) => [job.type, job.stats.total])),
    seconds: round(seconds),
    itemsPerSecond: Math.round(itemsPerSecond),
    seedSeconds: round(seedSeconds),
    rawRecords: written,
    rawSeconds: round(raw.seconds),
    rawRecordsPerSecond: Math.round(written / raw.seconds),
    ratio: round(itemsPerSecond / (written / raw.seconds)),
    per1000: {
      dynamoWrites: per1000('dynamoWrites'),
      dynamoReads: per1000('dynamoReads'),
      stateTransitions: per1000('stateTransitions'),
      sqsRequests: per1000('sqsRequests'),
      lambdaInvocations: per1000('lambdaInvocations'),
    },
  };
}

/**
 * BatchWriteItem of `records` ledger records (rated usage, with their index attributes) into a
 * fresh table of the ledger's definition on the same DynamoDB Local, `writers` requests of 25 at
 * a time: the fastest way DynamoDB Local takes that many records.
 */
async function rawBatchWriteRate(runtime: LocalRuntime, records: number, writers: number): Promise<{ seconds: number }> {
  const client = localDynamoClient(runtime.dynamoEndpoint);
  const definition = { ...LEDGER_TABLE, id: `LedgerRaw${Date.now()}` };
  const tableName = `${runtime.tablePrefix}-${definition.id}`;
  await ensureTables(client, [definition], () => tableName);
  const document = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const rating = { amountMinor: 1234, unitPriceMicros: 1000, currency: 'USD', rateEffectiveFrom: '2000-01-01', ratedAt: new Date().toISOString(), version: 1 };
  // Shaped like the ledger's rated usage records: same key layout, same index attributes.
  const items = Array.from({ length: records }, (_, i) => {
    const accountId = `acc-${String(i % Math.max(1, Math.ceil(records / 3))).padStart(7, '0')}`;
    const usageDate = `${MONTH}-${String((i % 30) + 1).padStart(2, '0')}`;
    const usageId = `r${i}`;
    return {
      pk: `CLIENT#raw#ACCOUNT#${accountId}`,
      sk: `USAGE#${usageDate}#${usageId}`,
      type: 'USAGE',
      clientId: 'raw',
      accountId,
      usageDate,
      usageId,
      usageType: 'api-calls',
      quantity: 1 + (i % 5000),
      state: 'RATED',
      rev: 1,
      rating,
      workPk: `CLIENT#raw#UNSYNCED#${shardOf(accountId)}`,
      workSk: `${usageDate}#${accountId}#${usageId}`,
    };
  });
  const groups: Array<typeof items> = [];
  for (let start = 0; start < items.length; start += 25) groups.push(items.slice(start, start + 25));
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: writers }, async () => {
      while (next < groups.length) {
        let requests = (groups[next++] as typeof items).map((Item) => ({ PutRequest: { Item } }));
        while (requests.length > 0) {
          const result = await document.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } }));
          requests = (result.UnprocessedItems?.[tableName] ?? []) as typeof requests;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  client.destroy();
  return { seconds };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
