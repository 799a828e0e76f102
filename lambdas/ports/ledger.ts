import type { Account, Invoice, RatePlan, Rate, RerateRequest, RerateStatus, UsageKey, UsageRecord, UsageState } from '../domain/ledger';

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
  DISCARDED: undefined,
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
  /*
   * Each listing below, given the last item an interrupted collect stored (`after`), continues
   * right after it in the same order without reading the items before (a job's collectAfter).
   */
  /** Active accounts with one of these anniversary days: day by day, account ids ascending. */
  accountsDueOn(clientId: string, anniversaryDays: readonly number[], afterAccountId?: string): AsyncIterable<string>;
  /** Usage records in a queue with a usage date on or before `throughDate`. */
  usageInQueue(clientId: string, queue: UsageQueue, throughDate: string, after?: UsageKey): AsyncIterable<UsageKey>;
  /** Open rerate requests, oldest first. */
  rerateRequests(clientId: string, after?: { accountId: string; requestId: string }): AsyncIterable<{ accountId: string; requestId: string }>;

  getAccounts(clientId: string, accountIds: readonly string[]): Promise<Map<string, Account>>;
  getRatePlans(clientId: string, ratePlanIds: readonly string[]): Promise<Map<string, RatePlan>>;
  /** Strongly consistent: a retry sees what the previous attempt wrote. Keyed by usageItemId. */
  getUsage(clientId: string, keys: readonly UsageKey[]): Promise<Map<string, UsageRecord>>;
  /** An account's usage records with usage dates in [fromDate, toDate], by date. */
  usageOfAccount(clientId: string, accountId: string, fromDate: string, toDate: string): Promise<UsageRecord[]>;
  /** Keyed by `accountId/periodId`. */
  getInvoices(clientId: string, keys: ReadonlyArray<{ accountId: string; periodId: string }>): Promise<Map<string, Invoice>>;
  /** The request while it is OPEN; undefined once done or cancelled. */
  getRerateRequest(clientId: string, accountId: string, requestId: string): Promise<RerateRequest | undefined>;

  /** Applies the writes whose expected revision still holds; returns the usage item ids of those that did not. */
  writeUsage(clientId: string, writes: readonly UsageWrite[]): Promise<Set<string>>;
  /** Creates each invoice unless its account already has one for the period; returns the account ids that had. */
  createInvoices(clientId: string, invoices: readonly Invoice[]): Promise<Set<string>>;
  /** Marks the request DONE: it leaves the RERATING queue and stays listed (unless it was cancelled meanwhile). */
  completeRerateRequest(clientId: string, accountId: string, requestId: string): Promise<void>;
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

// ---------------------------------------------------------------------------------------------
// The ledger API's store (issue 12 item 4): an operator's fixes, all-or-nothing per request.

export interface PageRequest {
  limit: number;
  nextToken?: string;
}

export interface Page<T> {
  items: T[];
  /** Absent on the last page. */
  nextToken?: string;
}

export type VersionedRatePlan = RatePlan & { version: number };

/** Records one usage import may hold, and keys one discard: one transaction each (see LedgerMaintenance). */
export const MAX_USAGE_PER_TRANSACTION = 100;

export interface LedgerMaintenance {
  getRatePlan(clientId: string, ratePlanId: string): Promise<VersionedRatePlan | undefined>;
  listRatePlans(clientId: string, page: PageRequest): Promise<Page<VersionedRatePlan>>;
  /**
   * Writes the plan exactly as given (rates not listed are removed) at `version`, in one
   * transaction: created when `expectedVersion` is undefined and the plan is absent, else
   * replaced while the stored version is `expectedVersion`. StaleVersionError otherwise.
   */
  saveRatePlan(plan: RatePlan, expectedVersion: number | undefined, staleRates: readonly Rate[]): Promise<VersionedRatePlan>;
  listAccounts(clientId: string, page: PageRequest): Promise<Page<Account>>;
  /** Writes the account if its rate plan exists (ConflictError RATE_PLAN_NOT_FOUND otherwise). */
  saveAccount(account: Account): Promise<void>;
  /**
   * Creates records absent until now, MAX_USAGE_PER_TRANSACTION per transaction. Returns the
   * usage item ids not written: every record of a transaction that found one of its keys taken.
   */
  createUsage(clientId: string, records: readonly UsageRecord[]): Promise<Set<string>>;
  /** All of the writes (at most MAX_USAGE_PER_TRANSACTION) or none: false when a revision moved. */
  writeUsageTogether(clientId: string, writes: readonly UsageWrite[]): Promise<boolean>;
  listUsage(clientId: string, filter: { state: UsageState; accountId?: string }, page: PageRequest): Promise<Page<UsageRecord>>;
  /** ConflictError when the request exists (RERATE_REQUEST_EXISTS) or its account does not (ACCOUNT_NOT_FOUND). */
  createRerateRequest(request: RerateRequest): Promise<void>;
  listRerateRequests(clientId: string, status: RerateStatus | undefined, page: PageRequest): Promise<Page<RerateRequest>>;
  /** NotFoundError when absent, ConflictError (RERATE_REQUEST_DONE) once DONE; cancelling twice is fine. */
  cancelRerateRequest(clientId: string, accountId: string, requestId: string): Promise<void>;
  listInvoicePage(clientId: string, filter: { accountId?: string; periodId?: string }, page: PageRequest): Promise<Page<Invoice>>;
}
