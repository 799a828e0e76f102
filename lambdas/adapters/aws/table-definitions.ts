/**
 * The DynamoDB tables, defined once: the CDK storage construct and the local runtime's table
 * bootstrap both create tables from these, so local and deployed keys can never drift apart.
 * Every key attribute is a string.
 */
export interface IndexDefinition {
  indexName: string;
  partitionKey: string;
  sortKey?: string;
  /**
   * Which attributes the index holds. KEYS_ONLY suits an index that is only read for keys (the
   * table's and the index's): smaller, and an update of other attributes costs it no write.
   * `{ include }`: the keys and those attributes (an update that changes one costs the index one
   * write; one that changes a key costs two: the entry is deleted and put again).
   * @default 'ALL'
   */
  projection?: 'ALL' | 'KEYS_ONLY' | { include: readonly string[] };
}

export interface TableDefinition {
  /** Construct id in CDK and suffix of the local table name. */
  id: string;
  partitionKey: string;
  sortKey: string;
  globalIndexes: IndexDefinition[];
  timeToLiveAttribute?: string;
}

/**
 * Clients and schedules, one partition per client:
 * - `CLIENT#<clientId>` / `CLIENT`                 the client
 * - `CLIENT#<clientId>` / `SCHEDULE#<scheduleId>`  a schedule
 * - `CLIENT#<clientId>` / `NAME#<lower-case name>` guard that keeps schedule names unique per client
 * - `CLIENT#<clientId>` / `VERSION#<scheduleId>#<000001>`  a schedule as saved at one version
 * - `CLIENT#<clientId>` / `CALENDAR#<calendarId>`  a business-day calendar, with the count of schedules using it
 * - `PRINCIPAL#<iam arn>` / `PRINCIPAL`            the client ids an IAM principal may act for
 * - `RECONCILE` / `TRIGGERS`                       where the reconciler's pass over schedule triggers continues
 * Indexes:
 * - selfFiringSchedules: sparse, only the schedules that fire by themselves (enabled, not MANUAL),
 *   whole items (the reconciler settles and arms from the full schedule; schedules are small), over
 *   eight partitions `SELF_FIRING#<0-7>` by a hash of client and schedule (dynamo-trigger-pages.ts),
 *   sorted by `<clientId>#<scheduleId>`: the reconciler reads it a shard and a page at a time
 */
export const CONFIG_TABLE: TableDefinition = {
  id: 'Config',
  partitionKey: 'pk',
  sortKey: 'sk',
  globalIndexes: [{ indexName: 'selfFiringSchedules', partitionKey: 'selfFiringPk', sortKey: 'selfFiringSk' }],
};

/**
 * Runs, jobs and batches of work-item outcomes:
 * - `RUN#<runId>` / `RUN`, `JOB#<seq>`                 a run header and its jobs: one Query reads a run
 * - `RUN#<runId>#J#<seq>#S#<shard>` / `B#<batchNo>`    a batch: item ids and per-item outcomes, shard = batchNo mod 8
 * - `DATE#<clientId>#<scheduleId>#<date>` / `CURRENT`  which run holds a schedule's date (idempotent trigger)
 * - `EXEC#<executionName>` / `EXEC`                    which run an execution works for (status events)
 * - `CURSOR#<clientId>#<scheduleId>` / `CURSOR`       how far a schedule's occurrences are settled (fired or recorded missed)
 * Indexes:
 * - byClientDate: run headers by client and processing date (run list of a day)
 * - runsByClient (keys and status): run headers by client, sorted by processing date, schedule
 *   and attempt: a date range is one Query, newest first (the failure inbox); a header's updates
 *   other than its status cost this index nothing
 * - `RECONCILE` / `CURSOR`                            where the reconciler's pass over active runs continues
 * - failedBatchKeys (KEYS_ONLY): sparse, only batches with failed items, one partition per job
 *   (`RUN#<runId>#J#<seq>`: a batch's key enters it once, on its first failure) (failed-item listing
 *   without reading successes); the listing reads the batches themselves by key, so a 240 KB
 *   batch is not copied into the index on every outcome it saves
 * - activeRunsOfSchedule: sparse, PENDING/RUNNING run headers by (client, schedule), with just
 *   what BeginRun's overlap and queue check read: each run reads its own schedule's partition
 * - activeRunShards: sparse, PENDING/RUNNING run headers over ACTIVE_SHARDS partitions
 *   (dynamo-run-table.ts), with what the reconciler compares (resume after a restart, reconciliation)
 */
export const RUNS_TABLE: TableDefinition = {
  id: 'Runs',
  partitionKey: 'pk',
  sortKey: 'sk',
  globalIndexes: [
    { indexName: 'byClientDate', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    { indexName: 'runsByClient', partitionKey: 'clientRunsPk', sortKey: 'clientRunsSk', projection: { include: ['status'] } },
    { indexName: 'failedBatchKeys', partitionKey: 'failedPk', sortKey: 'sk', projection: 'KEYS_ONLY' },
    {
      indexName: 'activeRunsOfSchedule',
      partitionKey: 'runSchedule',
      sortKey: 'activeSk',
      projection: { include: ['runId', 'processingDate', 'status', 'createdAt', 'startedAt'] },
    },
    { indexName: 'activeRunShards', partitionKey: 'activePk', sortKey: 'activeSk', projection: { include: ['runId', 'executionName', 'status', 'updatedAt'] } },
  ],
  timeToLiveAttribute: 'expiresAt',
};

/**
 * The billing ledger the job catalogue works on (lambdas/domain/ledger.ts), one partition per
 * account so that an account's usage, invoices and rerate requests are one Query away:
 * - `CLIENT#<c>#ACCOUNT#<a>` / `ACCOUNT`                   the account
 * - `CLIENT#<c>#ACCOUNT#<a>` / `USAGE#<date>#<usageId>`    a usage record, rated or not (by date: billing reads a period)
 * - `CLIENT#<c>#ACCOUNT#<a>` / `INVOICE#<YYYY-MM>`         the one invoice of a period (created conditionally)
 * - `CLIENT#<c>#ACCOUNT#<a>` / `RERATE#<requestId>`        an open rerate request
 * - `CLIENT#<c>#PLAN#<p>` / `PLAN`, `RATE#<type>#<from>`   a rate plan and its dated rates (one Query)
 * Indexes, both sparse, so that collecting a job's work items reads only keys, and never scans:
 * - accountsByBillingDay (KEYS_ONLY): active accounts by (client, anniversary day); BILLING reads
 *   the due days
 * - openWork (keys and `state`): usage records that some job still picks up (UNRATED, SUSPENDED,
 *   RATED and not yet synced, SYNC_ERROR) by (client, OPEN, shard), by date, and open rerate
 *   requests (client, RERATE). A record keeps its index keys while it moves between those states,
 *   so rating it rewrites its index entry's `state` (one write unit) instead of deleting the entry
 *   and putting it into another partition (two); a queue is read as its state, filtered. The
 *   shard (a hash of the account id, 0-7) spreads a client's open records over eight index
 *   partitions, so ingesting or rating millions of records is not capped by one partition's
 *   write rate.
 */
export const LEDGER_TABLE: TableDefinition = {
  id: 'Ledger',
  partitionKey: 'pk',
  sortKey: 'sk',
  globalIndexes: [
    { indexName: 'accountsByBillingDay', partitionKey: 'billDayPk', sortKey: 'billDaySk', projection: 'KEYS_ONLY' },
    { indexName: 'openWork', partitionKey: 'workPk', sortKey: 'workSk', projection: { include: ['state'] } },
  ],
};

/**
 * The audit trail (lambdas/ports/audit-log.ts), append-only: the API function may put and query
 * here, never update or delete. Apart from what it describes, so a deletion keeps its history.
 * - `CLIENT#<clientId>` / `<at>#<random>`  one change, sorted by time (a range of instants is one Query)
 */
export const AUDIT_TABLE: TableDefinition = {
  id: 'Audit',
  partitionKey: 'pk',
  sortKey: 'sk',
  globalIndexes: [],
};

export const TABLES = [CONFIG_TABLE, RUNS_TABLE, LEDGER_TABLE, AUDIT_TABLE] as const;
