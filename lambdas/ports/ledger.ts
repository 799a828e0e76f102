import type { Account, Invoice, RatePlan, Rate, RerateRequest, UsageKey, UsageRecord, UsageState } from '../domain/ledger';

/**
 * The work queues of usage records: each state that some job picks up, read through an index so
 * that collecting never scans. SYNCED records are in no queue.
 */
export type UsageQueue = 'UNRATED' | 'SUSPENDED' | 'UNSYNCED' | 'SYNC_ERROR';

export const QUEUE_OF_STATE: Record<UsageState, UsageQueue | undefined> = {
  UNRATED: 'UNRATED',
  SUSPENDED: 'SUSPENDED',
  RATED: 'UNSYNCED',
  SYNC_ERROR: 'SYNC_ERROR',
  SYNCED: undefined,
};

export interface UsageWrite {
  /** The record as it should be stored (its `rev` is ignored: the store sets expectedRev + 1). */
  record: UsageRecord;
  /** The revision read: the write applies only if the stored record still has it. */
  expectedRev: number;
}

/**
 * What the billing jobs read and write. Collect methods stream keys from indexes in a stable
 * order, never all at once; process methods work on a chunk of items with a few batched calls.
 * Every write is conditional, so a work item offered twice (at-least-once delivery) has its
 * effect once: a usage record changes only from the revision read, an invoice is created only if
 * its account has none for the period.
 */
export interface Ledger {
  /** Active accounts with one of these anniversary days: day by day, account ids ascending. */
  accountsDueOn(clientId: string, anniversaryDays: readonly number[]): AsyncIterable<string>;
  /** Usage records in a queue with a usage date on or before `throughDate`. */
  usageInQueue(clientId: string, queue: UsageQueue, throughDate: string): AsyncIterable<UsageKey>;
  /** Open rerate requests, oldest first. */
  rerateRequests(clientId: string): AsyncIterable<{ accountId: string; requestId: string }>;

  getAccounts(clientId: string, accountIds: readonly string[]): Promise<Map<string, Account>>;
  getRatePlans(clientId: string, ratePlanIds: readonly string[]): Promise<Map<string, RatePlan>>;
  /** Strongly consistent: a retry sees what the previous attempt wrote. Keyed by usageItemId. */
  getUsage(clientId: string, keys: readonly UsageKey[]): Promise<Map<string, UsageRecord>>;
  /** An account's usage records with usage dates in [fromDate, toDate], by date. */
  usageOfAccount(clientId: string, accountId: string, fromDate: string, toDate: string): Promise<UsageRecord[]>;
  /** Keyed by `accountId/periodId`. */
  getInvoices(clientId: string, keys: ReadonlyArray<{ accountId: string; periodId: string }>): Promise<Map<string, Invoice>>;
  getRerateRequest(clientId: string, accountId: string, requestId: string): Promise<RerateRequest | undefined>;

  /** Applies the writes whose expected revision still holds; returns the usage item ids of those that did not. */
  writeUsage(clientId: string, writes: readonly UsageWrite[]): Promise<Set<string>>;
  /** Creates each invoice unless its account already has one for the period; returns the account ids that had. */
  createInvoices(clientId: string, invoices: readonly Invoice[]): Promise<Set<string>>;
  deleteRerateRequest(clientId: string, accountId: string, requestId: string): Promise<void>;
}

/** Maintaining the ledger outside the run path: seeding, an operator's fixes, inspection. */
export interface LedgerAdmin {
  putAccounts(accounts: readonly Account[]): Promise<void>;
  /** The plan and its listed rates (rates not listed stay as they are). */
  putRatePlan(plan: RatePlan): Promise<void>;
  putRate(clientId: string, ratePlanId: string, rate: Rate): Promise<void>;
  /** Bulk load of new usage (seeding, ingestion): unconditional batch writes. */
  importUsage(records: readonly UsageRecord[]): Promise<void>;
  requestRerate(request: RerateRequest): Promise<void>;
  listInvoices(clientId: string, accountId: string): Promise<Invoice[]>;
}
