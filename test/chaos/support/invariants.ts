import { readFileSync, existsSync } from 'node:fs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import { DynamoLedger } from '../../../lambdas/adapters/aws/dynamo-ledger';
import { DynamoRunStore } from '../../../lambdas/adapters/aws/dynamo-run-store';
import { LEDGER_TABLE, RUNS_TABLE } from '../../../lambdas/adapters/aws/table-definitions';
import type { AcceptedTransaction } from '../../../lambdas/adapters/local/core-billing-stand-in';
import { localDynamoClient } from '../../../lambdas/adapters/local/dynamo-local';
import { billingPeriod, isBillDate } from '../../../lambdas/domain/billing-calendar';
import { rateUsage } from '../../../lambdas/domain/billing-rating';
import { idempotencyKeyOf, usageItemId, type Account, type Invoice, type UsageRecord } from '../../../lambdas/domain/ledger';
import type { ItemStats, Run } from '../../../lambdas/domain/model';
import type { Ledger, LedgerAdmin } from '../../../lambdas/ports/ledger';
import type { BatchRecord } from '../../../lambdas/ports/batch-store';
import type { RunStore } from '../../../lambdas/ports/run-store';
import { toRunView } from '../../../lambdas/domain/run';

/**
 * The invariants every chaos scenario ends with, whatever fault it injected:
 *
 * - expectRunSettled: the run is not PENDING or RUNNING, and the statistics of the run and of
 *   each job equal the item outcomes actually stored in the run's batch records (read one batch
 *   at a time, consistently, not from the statistics); job and run statuses agree with them.
 * - expectOutcomesTruthful: an item recorded SUCCEEDED really had its effect in the ledger.
 * - expectLedgerExactlyOnce: every account due on a billed date has exactly one invoice for its
 *   period (and no other), covering exactly that period's rated usage; every usage record that
 *   should be synced is SYNCED, and core billing holds exactly one accepted transaction per usage
 *   record, under the record's idempotency key, with the record's amount; nothing was rated twice
 *   (rating version 1, the price the plan gives).
 *
 * They take a ChaosSubject, the narrow part of a LocalRuntime they read, so that they also work on
 * a runtime restarted over the same data, or on a runtime in another process (subjectOnTables).
 */
export interface ChaosSubject {
  runStore: Pick<RunStore, 'getRun' | 'getBatch'>;
  ledger: Pick<Ledger, 'accountsDueOn' | 'usageOfAccount' | 'getAccounts' | 'getRatePlans'> & Pick<LedgerAdmin, 'listInvoices'>;
  /** Core billing's accepted transactions, every client's (LocalRuntime.coreBilling, or coreBillingFromStoreFile). */
  coreBilling: { transactions(): readonly AcceptedTransaction[] | Promise<readonly AcceptedTransaction[]> };
}

/** Statuses a run ends in; PENDING and RUNNING are not settled. */
export const SETTLED_RUN_STATUSES = ['COMPLETED', 'FAILED', 'SKIPPED', 'RESET'] as const;

/** Every anniversary day: accountsDueOn with these lists every active account. */
const ALL_DAYS = Array.from({ length: 31 }, (_, i) => i + 1);
/** Ledger reads in flight at once while checking. */
const READ_CONCURRENCY = 16;
/** Problems listed in a failure message; the count says how many there were. */
const PROBLEMS_SHOWN = 25;

/**
 * The run store and ledger on a runtime's tables, for a runtime in another process: its DynamoDB
 * Local endpoint and table prefix, and core billing's accepted transactions from a store file
 * (coreBillingFromStoreFile) or anything else with `transactions()`.
 */
export function subjectOnTables(options: {
  dynamoEndpoint: string;
  tablePrefix: string;
  coreBilling: ChaosSubject['coreBilling'];
}): ChaosSubject & { runStore: DynamoRunStore; ledger: DynamoLedger; close(): void } {
  const client = localDynamoClient(options.dynamoEndpoint);
  const document = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return {
    runStore: new DynamoRunStore(document, `${options.tablePrefix}-${RUNS_TABLE.id}`),
    ledger: new DynamoLedger(document, `${options.tablePrefix}-${LEDGER_TABLE.id}`),
    coreBilling: options.coreBilling,
    close: () => client.destroy(),
  };
}

/**
 * Core billing's accepted transactions as its stand-in appended them to its store file (the
 * runtime's `DATA_DIR/core-billing/accepted.jsonl`). Every line is returned, so a key stored twice
 * (across a restart, say) shows up as a duplicate instead of being folded away.
 */
export function coreBillingFromStoreFile(path: string): ChaosSubject['coreBilling'] {
  return {
    transactions: () => {
      if (!existsSync(path)) return [];
      return readFileSync(path, 'utf8')
        .split('\n')
        .filter((line) => line.trim())
        .map((line) => JSON.parse(line) as AcceptedTransaction);
    },
  };
}

/** Polls the run store until the run is no longer PENDING or RUNNING; returns it. */
export async function waitUntilSettled(subject: Pick<ChaosSubject, 'runStore'>, runId: string, timeoutMs: number): Promise<Run> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await subject.runStore.getRun(runId, true);
    if (run && (SETTLED_RUN_STATUSES as readonly string[]).includes(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} is ${run?.status ?? 'missing'} after ${timeoutMs} ms, not settled`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A job's statistics as its stored batch records say, and its batches (batch numbers below batchCount). */
export async function storedJobOutcomes(subject: Pick<ChaosSubject, 'runStore'>, run: Run, seq: number): Promise<{ stats: ItemStats; batches: BatchRecord[] }> {
  const job = run.jobs.find((j) => j.seq === seq);
  if (!job) throw new Error(`run ${run.runId} has no job ${seq}`);
  const batches: BatchRecord[] = [];
  const stats: ItemStats = { total: 0, succeeded: 0, failed: 0, pending: 0 };
  for (let batchNo = 0; batchNo < (job.batchCount ?? 0); batchNo++) {
    const batch = await subject.runStore.getBatch(run.runId, seq, batchNo);
    if (!batch) throw new Error(`batch ${batchNo} of job ${seq} of run ${run.runId} is missing (batchCount ${job.batchCount})`);
    batches.push(batch);
    for (const status of batch.status) {
      stats.total++;
      if (status === 'SUCCEEDED') stats.succeeded++;
      else if (status === 'FAILED') stats.failed++;
      else stats.pending++;
    }
  }
  return { stats, batches };
}

/**
 * The run is settled (not PENDING or RUNNING), and its statistics are the truth: each job's equal
 * the outcomes stored in its batch records, the run's are their sum, a COMPLETED job has every
 * item succeeded in its current generation, no job of a settled run is RUNNING (unless the run was
 * RESET mid-flight), a COMPLETED run has every job COMPLETED or SKIPPED, a FAILED run names why.
 * Returns the run as read.
 */
export async function expectRunSettled(subject: Pick<ChaosSubject, 'runStore'>, clientId: string, runId: string): Promise<Run> {
  const run = await subject.runStore.getRun(runId, true);
  expect(run, `run ${runId}`).toBeDefined();
  if (!run) throw new Error('unreachable');
  expect(run.clientId).toBe(clientId);
  expect(SETTLED_RUN_STATUSES as readonly string[], `run ${runId} status`).toContain(run.status);

  const problems: string[] = [];
  const outcomeTotals: ItemStats = { total: 0, succeeded: 0, failed: 0, pending: 0 };
  for (const job of run.jobs) {
    const { stats, batches } = await storedJobOutcomes(subject, run, job.seq);
    for (const key of ['total', 'succeeded', 'failed', 'pending'] as const) outcomeTotals[key] += stats[key];
    const where = `job ${job.seq} (${job.type}, ${job.status})`;
    if (job.batchCount !== undefined && !statsEqual(job.stats, stats)) {
      problems.push(`${where}: statistics ${JSON.stringify(job.stats)} but stored outcomes ${JSON.stringify(stats)}`);
    }
    if (job.batchCount === undefined && job.stats.total + job.stats.succeeded + job.stats.failed !== 0) {
      problems.push(`${where}: never collected, yet statistics ${JSON.stringify(job.stats)}`);
    }
    if (job.status === 'COMPLETED') {
      if (job.batchCount === undefined) problems.push(`${where}: COMPLETED without collected batches`);
      if (stats.failed + stats.pending > 0) problems.push(`${where}: COMPLETED with ${stats.failed} failed and ${stats.pending} pending items`);
      const stale = batches.flatMap((batch) => batch.itemIds.filter((_, i) => (batch.generations[i] ?? -1) < job.generation));
      if (stale.length > 0) problems.push(`${where}: COMPLETED with ${stale.length} items not run in generation ${job.generation}, e.g. ${stale[0]}`);
    }
    if (job.status === 'FAILED' && stats.failed + stats.pending === 0 && !job.error) problems.push(`${where}: FAILED with every item succeeded and no error`);
    if (job.status === 'RUNNING' && run.status !== 'RESET') problems.push(`${where}: RUNNING in a ${run.status} run`);
    for (const batch of batches) {
      batch.status.forEach((status, i) => {
        if (status !== 'PENDING' && (batch.attempts[i] ?? 0) < 1) problems.push(`${where}: item ${batch.itemIds[i]} is ${status} after 0 attempts`);
        if (status === 'FAILED' && !batch.errors[i]) problems.push(`${where}: item ${batch.itemIds[i]} FAILED without an error`);
      });
    }
  }
  const view = toRunView(run);
  if (!statsEqual(view.stats.items, outcomeTotals)) {
    problems.push(`run statistics ${JSON.stringify(view.stats.items)} but stored outcomes ${JSON.stringify(outcomeTotals)}`);
  }
  if (run.status === 'COMPLETED') {
    const open = run.jobs.filter((job) => job.status !== 'COMPLETED' && job.status !== 'SKIPPED');
    if (open.length > 0) problems.push(`COMPLETED run with jobs ${open.map((job) => `${job.seq}:${job.status}`).join(', ')}`);
  }
  if (run.status === 'FAILED' && !run.error) problems.push('FAILED run without an error');
  if (run.status === 'FAILED' && !run.jobs.some((job) => job.status === 'FAILED') && run.error?.seq !== undefined) {
    problems.push(`FAILED run names job ${run.error.seq}, but no job is FAILED`);
  }
  expectNoProblems(problems, `run ${runId} (${run.status})`);
  return run;
}

/**
 * Items a run recorded SUCCEEDED had their effect: a rated usage record (USAGE_RATING,
 * SUSPENSE_REPROCESSING), a SYNCED one (SYNC_TRANSACTIONS, SYNC_ERROR_REPROCESSING), an invoice for
 * the account's period when it was due (BILLING). Other job types are not checked.
 */
export async function expectOutcomesTruthful(subject: Pick<ChaosSubject, 'runStore' | 'ledger'>, clientId: string, runId: string): Promise<void> {
  const run = await subject.runStore.getRun(runId, true);
  if (!run) throw new Error(`run ${runId} does not exist`);
  const problems: string[] = [];
  const ledger = await readLedger(subject, clientId);
  for (const job of run.jobs) {
    const { batches } = await storedJobOutcomes(subject, run, job.seq);
    const succeeded = batches.flatMap((batch) => batch.itemIds.filter((_, i) => batch.status[i] === 'SUCCEEDED'));
    for (const itemId of succeeded) {
      if (job.type === 'USAGE_RATING' || job.type === 'SUSPENSE_REPROCESSING') {
        const record = ledger.usage.get(itemId);
        if (record && (record.state === 'UNRATED' || record.state === 'SUSPENDED')) problems.push(`${job.type} ${itemId} SUCCEEDED but the record is ${record.state}`);
      } else if (job.type === 'SYNC_TRANSACTIONS' || job.type === 'SYNC_ERROR_REPROCESSING') {
        const record = ledger.usage.get(itemId);
        if (record && record.state !== 'SYNCED') problems.push(`${job.type} ${itemId} SUCCEEDED but the record is ${record.state}`);
      } else if (job.type === 'BILLING') {
        const account = ledger.accounts.get(itemId);
        if (!account || !isBillDate(account.anniversaryDay, run.processingDate)) continue;
        const periodId = billingPeriod(account.anniversaryDay, run.processingDate).periodId;
        if (!ledger.invoices.get(itemId)?.some((invoice) => invoice.periodId === periodId)) problems.push(`BILLING ${itemId} SUCCEEDED but has no invoice for ${periodId}`);
      }
    }
  }
  expectNoProblems(problems, `outcomes of run ${runId}`);
}

export interface LedgerExpectation {
  /** Processing dates whose daily run completed BILLING: their due accounts have exactly one invoice each. */
  billedDates: readonly string[];
  /** Dates whose BILLING may have billed part of their due accounts (its run failed or was reset): at most one invoice each. */
  partlyBilledDates?: readonly string[];
  /**
   * Every usage record dated on or before this is SYNCED, and core billing holds nothing for a
   * record that is not. @default the latest billed date (no check when there is none)
   */
  syncedThrough?: string;
}

/**
 * The ledger of a client after chaos: every account billed exactly once per billed date's period
 * (and nowhere else), every transaction synced exactly once, nothing rated twice.
 */
export async function expectLedgerExactlyOnce(subject: ChaosSubject, clientId: string, expectation: LedgerExpectation): Promise<void> {
  const problems: string[] = [];
  const ledger = await readLedger(subject, clientId);
  const plans = await subject.ledger.getRatePlans(clientId, [...new Set([...ledger.accounts.values()].map((account) => account.ratePlanId))]);
  const syncedThrough = expectation.syncedThrough ?? [...expectation.billedDates].sort().at(-1);

  // Billing: exactly the expected periods, one invoice each, covering exactly the period's usage.
  for (const [accountId, account] of ledger.accounts) {
    const expected = new Map<string, string>();
    for (const date of expectation.billedDates) {
      if (isBillDate(account.anniversaryDay, date)) expected.set(billingPeriod(account.anniversaryDay, date).periodId, date);
    }
    const allowed = new Map(expected);
    for (const date of expectation.partlyBilledDates ?? []) {
      if (isBillDate(account.anniversaryDay, date)) allowed.set(billingPeriod(account.anniversaryDay, date).periodId, date);
    }
    const invoices = ledger.invoices.get(accountId) ?? [];
    const periods = invoices.map((invoice) => invoice.periodId);
    if (new Set(periods).size !== periods.length) problems.push(`${accountId}: two invoices for one period: ${periods.join(', ')}`);
    for (const [periodId, date] of expected) {
      const found = invoices.filter((invoice) => invoice.periodId === periodId);
      if (found.length !== 1) problems.push(`${accountId} (day ${account.anniversaryDay}): ${found.length} invoices for ${periodId}, billed on ${date}; expected 1`);
    }
    for (const invoice of invoices) {
      if (!allowed.has(invoice.periodId) || allowed.get(invoice.periodId) !== invoice.billedOn) {
        problems.push(`${accountId} (day ${account.anniversaryDay}): unexpected invoice for ${invoice.periodId} billed on ${invoice.billedOn}`);
        continue;
      }
      const covered = (ledger.usageOf.get(accountId) ?? []).filter((record) => record.usageDate >= invoice.periodStart && record.usageDate <= invoice.periodEnd);
      const charged = covered.reduce((sum, record) => sum + (record.rating?.amountMinor ?? 0), 0);
      if (invoice.transactionCount !== covered.length || invoice.usageChargeMinor !== charged) {
        problems.push(`${accountId} ${invoice.periodId}: invoice of ${invoice.transactionCount} records / ${invoice.usageChargeMinor}, but the period has ${covered.length} / ${charged}`);
      }
    }
  }

  // Rating: at most once, at the plan's price.
  for (const [itemId, record] of ledger.usage) {
    if (!record.rating) continue;
    if (record.rating.version !== 1) problems.push(`${itemId}: rating version ${record.rating.version}, rated more than once`);
    const account = ledger.accounts.get(record.accountId);
    const priced = account ? rateUsage(record, account.ratePlanId, plans.get(account.ratePlanId)) : undefined;
    if (!priced?.ok || priced.priced.amountMinor !== record.rating.amountMinor) {
      problems.push(`${itemId}: rated ${record.rating.amountMinor}, the plan says ${priced?.ok ? priced.priced.amountMinor : 'unratable'}`);
    }
  }

  // Sync: each record at most once at core, under its key; every record due is SYNCED.
  const accepted = (await subject.coreBilling.transactions()).filter((entry) => entry.clientId === clientId);
  const byKey = new Map<string, AcceptedTransaction[]>();
  const byItem = new Map<string, AcceptedTransaction[]>();
  for (const entry of accepted) {
    byKey.set(entry.transaction.idempotencyKey, [...(byKey.get(entry.transaction.idempotencyKey) ?? []), entry]);
    byItem.set(entry.transaction.transactionId, [...(byItem.get(entry.transaction.transactionId) ?? []), entry]);
  }
  for (const [key, entries] of byKey) if (entries.length > 1) problems.push(`core billing accepted key ${key} ${entries.length} times`);
  for (const [itemId, entries] of byItem) {
    if (entries.length > 1) problems.push(`core billing accepted ${itemId} ${entries.length} times (keys ${entries.map((e) => e.transaction.idempotencyKey).join(', ')})`);
    const record = ledger.usage.get(itemId);
    const entry = entries[0] as AcceptedTransaction;
    if (!record) {
      problems.push(`core billing accepted ${itemId}, which is not in the ledger`);
      continue;
    }
    if (!record.rating || record.state === 'UNRATED' || record.state === 'SUSPENDED') {
      problems.push(`core billing accepted ${itemId}, which is ${record.state}`);
      continue;
    }
    if (entry.transaction.idempotencyKey !== idempotencyKeyOf(clientId, record, record.rating.version)) problems.push(`${itemId}: core holds key ${entry.transaction.idempotencyKey}, not the record's`);
    if (entry.transaction.amountMinor !== record.rating.amountMinor) problems.push(`${itemId}: core holds ${entry.transaction.amountMinor}, the record ${record.rating.amountMinor}`);
    if (syncedThrough && record.state !== 'SYNCED') problems.push(`${itemId}: core billing accepted it, but the record is ${record.state}`);
  }
  for (const [itemId, record] of ledger.usage) {
    if (record.state === 'SYNCED') {
      const entries = byItem.get(itemId) ?? [];
      if (entries.length !== 1) problems.push(`${itemId}: SYNCED, but core billing accepted it ${entries.length} times`);
      else if (entries[0]?.coreRef !== record.sync?.coreRef) problems.push(`${itemId}: SYNCED as ${record.sync?.coreRef}, core billing has ${entries[0]?.coreRef}`);
    } else if (syncedThrough && record.usageDate <= syncedThrough) {
      problems.push(`${itemId} (${record.usageDate}): ${record.state}, not SYNCED by ${syncedThrough}`);
    }
  }
  expectNoProblems(problems, `ledger of ${clientId}`);
}

interface LedgerSnapshot {
  accounts: Map<string, Account>;
  /** By usage item id. */
  usage: Map<string, UsageRecord>;
  usageOf: Map<string, UsageRecord[]>;
  invoices: Map<string, Invoice[]>;
}

/** Every active account of the client, with all its usage and invoices (consistent reads). */
async function readLedger(subject: Pick<ChaosSubject, 'ledger'>, clientId: string): Promise<LedgerSnapshot> {
  const ids: string[] = [];
  for await (const accountId of subject.ledger.accountsDueOn(clientId, ALL_DAYS)) ids.push(accountId);
  const accounts = await subject.ledger.getAccounts(clientId, ids);
  const usage = new Map<string, UsageRecord>();
  const usageOf = new Map<string, UsageRecord[]>();
  const invoices = new Map<string, Invoice[]>();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(READ_CONCURRENCY, ids.length) }, async () => {
      while (next < ids.length) {
        const accountId = ids[next++] as string;
        const [records, issued] = await Promise.all([
          subject.ledger.usageOfAccount(clientId, accountId, '0001-01-01', '9999-12-31'),
          subject.ledger.listInvoices(clientId, accountId),
        ]);
        usageOf.set(accountId, records);
        for (const record of records) usage.set(usageItemId(record), record);
        invoices.set(accountId, issued);
      }
    }),
  );
  return { accounts, usage, usageOf, invoices };
}

function statsEqual(a: ItemStats, b: ItemStats): boolean {
  return a.total === b.total && a.succeeded === b.succeeded && a.failed === b.failed && a.pending === b.pending;
}

function expectNoProblems(problems: string[], what: string): void {
  if (problems.length === 0) return;
  const shown = problems.slice(0, PROBLEMS_SHOWN);
  expect.fail(`${what}: ${problems.length} problem(s)\n  ${shown.join('\n  ')}${problems.length > shown.length ? `\n  … and ${problems.length - shown.length} more` : ''}`);
}
