import { Agent } from 'node:http';
import { BatchWriteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { toDocumentClient } from '../lambdas/adapters/aws/dynamo-toolkit';
import { DynamoLedger, shardOf } from '../lambdas/adapters/aws/dynamo-ledger';
import { LEDGER_TABLE } from '../lambdas/adapters/aws/table-definitions';
import { meterConsumedCapacity } from '../lambdas/adapters/local/dynamo-capacity-meter';
import { ensureTables, localDynamoClient } from '../lambdas/adapters/local/dynamo-local';
import type { LocalRuntime } from '../lambdas/composition/local-runtime';
import { billingPeriod, dueAnniversaryDays } from '../lambdas/domain/billing-calendar';
import { mapConcurrently } from '../lambdas/domain/concurrency';
import { seedLedger, type LedgerSeedOptions } from '../lambdas/jobs/ledger-generator';
import type { LedgerAdmin } from '../lambdas/ports/ledger';
import type { UsageKind, UsageMeter } from '../lambdas/ports/usage-meter';
import type { ApiCall } from './api';
import type { DynamoRunStore } from '../lambdas/adapters/aws/dynamo-run-store';
import { phaseTimeline, recordStateChanges, type PhaseTimeline } from './phases';
import { per1000Items, round, Timeline, watchRun, type Sample } from './progress';

/**
 * The daily sequence (USAGE_RATING → SYNC_TRANSACTIONS → BILLING) on a seeded ledger, end to end
 * through the local runtime, and in the same DynamoDB Local the raw BatchWriteItem rate for as
 * many records as the jobs wrote. Every work item of the sequence writes one ledger record (a
 * rating, a sync result, an invoice), so the ratio of the two rates says how close the whole
 * product — API, ASL, queue, workers, reads, core billing over HTTP, outcome records — comes to
 * DynamoDB Local's own write rate.
 */
export const LEDGER_CLIENT = 'ledger-bench';
export const DAILY_SEQUENCE = ['USAGE_RATING', 'SYNC_TRANSACTIONS', 'BILLING'] as const;
const MONTH = '2026-11';
/** November's last day: anniversary days 30 and 31 are billed, the month-end rule included. */
export const PROCESSING_DATE = '2026-11-30';

export interface LedgerSize {
  accounts: number;
  usagePerAccount: number;
}

/** The same ledger for every client it is seeded for (same seed, accounts, usage), so that runs on different clients start from the same state. */
export function seedOptions(clientId: string, size: LedgerSize): LedgerSeedOptions {
  return { clientId, accounts: size.accounts, usagePerAccount: size.usagePerAccount, month: MONTH, seed: 1, unratedShare: 0 };
}

/** Seeds the ledger of `clientId`; returns the seconds it took. */
export async function seedBenchLedger(ledger: LedgerAdmin, clientId: string, size: LedgerSize): Promise<number> {
  const started = performance.now();
  await seedLedger(ledger, seedOptions(clientId, size));
  return round((performance.now() - started) / 1000);
}

export interface LedgerBenchResult extends LedgerSize {
  processingDate: string;
  status: string;
  items: number;
  itemsByJob: Record<string, number>;
  succeeded: number;
  failed: number;
  seconds: number;
  itemsPerSecond: number;
  /** Every meter kind per 1,000 items, unrounded. */
  per1000: Record<UsageKind, number>;
  /** HTTP requests core billing's stand-in received per 1,000 items. */
  coreBillingRequestsPer1000: number;
  samples: Sample[];
  /** Job types in the run's order. */
  jobTypes: string[];
  /** When each job's collect, Map, retry pass and finalize ran, and the seconds in between. */
  phases: PhaseTimeline;
}

/** Triggers the client's daily schedule for PROCESSING_DATE (the ledger is seeded) and waits for its final status. */
export async function benchLedger(runtime: LocalRuntime, call: ApiCall, store: DynamoRunStore, size: LedgerSize, clientId = LEDGER_CLIENT): Promise<LedgerBenchResult> {
  await call('PUT', `/v1/clients/${clientId}`, { name: 'Ledger bench', timezone: 'UTC' });
  const before = runtime.meter.snapshot();
  const coreRequestsBefore = runtime.coreBilling.stats().requests;
  const states = recordStateChanges(runtime);
  const started = performance.now();
  const triggeredAt = Date.now();
  const timeline = new Timeline(started);
  const triggered = await call('POST', `/v1/clients/${clientId}/schedules/daily/runs`, { processingDate: PROCESSING_DATE });
  const run = await watchRun(store, triggered.runId, timeline);
  const seconds = (performance.now() - started) / 1000;
  states.stop();
  const after = runtime.meter.snapshot();
  const items = run.jobs.reduce((sum, job) => sum + job.stats.total, 0);
  const succeeded = run.jobs.reduce((sum, job) => sum + job.stats.succeeded, 0);
  return {
    ...size,
    processingDate: PROCESSING_DATE,
    status: run.status,
    items,
    itemsByJob: Object.fromEntries(run.jobs.map((job) => [job.type, job.stats.total])),
    succeeded,
    failed: items - succeeded,
    seconds: round(seconds),
    itemsPerSecond: Math.round(items / seconds),
    per1000: per1000Items(before, after, items),
    coreBillingRequestsPer1000: round(((runtime.coreBilling.stats().requests - coreRequestsBefore) / Math.max(1, items)) * 1000),
    samples: timeline.samples,
    jobTypes: run.jobs.map((job) => job.type),
    phases: phaseTimeline(states.changes, run.executionName, triggeredAt, round(seconds, 3)),
  };
}

export interface RawBatchWriteResult {
  records: number;
  writers: number;
  seconds: number;
  recordsPerSecond: number;
  /**
   * The same records written again one conditional PutItem each (rev 1 → 2, moving to the next
   * queue, as USAGE_RATING and SYNC_TRANSACTIONS write them), `conditionalConcurrency` at a time:
   * the fastest DynamoDB Local takes the kind of write every item of the sequence must make.
   */
  conditionalConcurrency: number;
  conditionalSeconds: number;
  conditionalPutsPerSecond: number;
}

/** Conditional puts in flight in the raw measurement: the worker's 8 deliveries × the ledger's 16 (dynamo-ledger.ts). */
const RAW_CONDITIONAL_PER_WRITER = 16;

/**
 * BatchWriteItem of `records` ledger records (rated usage, with their index attributes) into a
 * fresh table of the ledger's definition on the same DynamoDB Local, `writers` requests of 25 at
 * a time: the fastest way DynamoDB Local takes that many records. Then each record once more by a
 * PutItem conditional on its revision: what the jobs' writes cost at the least (a batch write
 * takes no condition, and without one a run could overwrite what another run changed).
 */
export async function rawBatchWriteRate(runtime: LocalRuntime, records: number, writers: number): Promise<RawBatchWriteResult> {
  const client = localDynamoClient(runtime.dynamoEndpoint);
  const definition = { ...LEDGER_TABLE, id: `LedgerRaw${Date.now()}` };
  const tableName = `${runtime.tablePrefix}-${definition.id}`;
  await ensureTables(client, [definition], () => tableName);
  const document = toDocumentClient(client);
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
  await mapConcurrently(groups, writers, async (group) => {
    let requests = group.map((Item) => ({ PutRequest: { Item } }));
    while (requests.length > 0) {
      const result = await document.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } }));
      requests = (result.UnprocessedItems?.[tableName] ?? []) as typeof requests;
    }
  });
  const seconds = (performance.now() - started) / 1000;

  const conditionalConcurrency = writers * RAW_CONDITIONAL_PER_WRITER;
  const conditionalStarted = performance.now();
  await mapConcurrently(items, conditionalConcurrency, async (item) => {
    await document.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...item, state: 'SYNCED', rev: 2, workPk: `CLIENT#raw#SYNCED#${shardOf(item.accountId)}` },
        ConditionExpression: 'rev = :rev',
        ExpressionAttributeValues: { ':rev': 1 },
      }),
    );
  });
  const conditionalSeconds = (performance.now() - conditionalStarted) / 1000;
  client.destroy();
  return {
    records,
    writers,
    seconds: round(seconds),
    recordsPerSecond: Math.round(records / seconds),
    conditionalConcurrency,
    conditionalSeconds: round(conditionalSeconds),
    conditionalPutsPerSecond: Math.round(records / conditionalSeconds),
  };
}

/** What a client's ledger holds after the daily sequence: what each job wrote, read back. */
export interface LedgerCensus {
  /** Usage records still waiting for rating or sync, or in suspense or sync error: 0 when every rating and sync was written. */
  usageNotSynced: number;
  /** Invoices of the accounts due on the processing date. */
  invoices: number;
  accountsDue: number;
}

/** Reads back, through the ledger's own indexes (an unmetered ledger: not part of any measurement), what the sequence left. */
export async function ledgerCensus(runtime: LocalRuntime, clientId: string): Promise<LedgerCensus> {
  const client = localDynamoClient(runtime.dynamoEndpoint);
  try {
    const ledger = new DynamoLedger(DynamoDBDocumentClient.from(client), `${runtime.tablePrefix}-${LEDGER_TABLE.id}`);
    let usageNotSynced = 0;
    for (const queue of ['UNRATED', 'SUSPENDED', 'UNSYNCED', 'SYNC_ERROR'] as const) {
      for await (const _ of ledger.usageInQueue(clientId, queue, PROCESSING_DATE)) usageNotSynced++;
    }
    const due: Array<{ accountId: string; periodId: string }> = [];
    const days = dueAnniversaryDays(PROCESSING_DATE);
    const accounts = new Map<string, number>();
    for (const day of days) {
      for await (const accountId of ledger.accountsDueOn(clientId, [day])) accounts.set(accountId, day);
    }
    for (const [accountId, day] of accounts) due.push({ accountId, periodId: billingPeriod(day, PROCESSING_DATE).periodId });
    const invoices = await ledger.getInvoices(clientId, due);
    return { usageNotSynced, invoices: invoices.size, accountsDue: due.length };
  } finally {
    client.destroy();
  }
}

/**
 * A ledger on the runtime's DynamoDB Local whose client counts its requests and capacity units
 * into `meter`, as the runtime's client does into the runtime's meter. Its client opens as many
 * connections as requests are in flight (the SDK's default caps them at 50), so that BullMQ's
 * concurrency is bounded by its own setting, not by the client.
 */
export function meteredLedger(runtime: LocalRuntime, meter: UsageMeter): { ledger: DynamoLedger; close(): void } {
  const client = localDynamoClient(runtime.dynamoEndpoint, { requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets: Infinity }) } });
  meterConsumedCapacity(client, meter);
  return { ledger: new DynamoLedger(toDocumentClient(client), `${runtime.tablePrefix}-${LEDGER_TABLE.id}`), close: () => client.destroy() };
}
