/**
 * The DynamoDB tables, defined once: the CDK storage construct and the local runtime's table
 * bootstrap both create tables from these, so local and deployed keys can never drift apart.
 * Every key attribute is a string.
 */
export interface IndexDefinition {
  indexName: string;
  partitionKey: string;
  sortKey?: string;
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
 * - `PRINCIPAL#<iam arn>` / `PRINCIPAL`            the client ids an IAM principal may act for
 */
export const CONFIG_TABLE: TableDefinition = {
  id: 'Config',
  partitionKey: 'pk',
  sortKey: 'sk',
  globalIndexes: [],
};

/**
 * Runs, jobs and batches of work-item outcomes:
 * - `RUN#<runId>` / `RUN`, `JOB#<seq>`                 a run header and its jobs: one Query reads a run
 * - `RUN#<runId>#J#<seq>` / `B#<batchNo>`              a batch: item ids and per-item outcomes
 * - `DATE#<clientId>#<scheduleId>#<date>` / `CURRENT`  which run holds a schedule's date (idempotent trigger)
 * - `EXEC#<executionName>` / `EXEC`                    which run an execution works for (status events)
 * - `CURSOR#<clientId>#<scheduleId>` / `CURSOR`       how far a schedule's occurrences are settled (fired or recorded missed)
 * Indexes:
 * - byClientDate: run headers by client and processing date (run list of a day)
 * - failedBatches: sparse, only batches with failed items (failed-item listing without reading successes)
 * - activeRuns: sparse, only PENDING/RUNNING run headers (resume after a restart, reconciliation)
 */
export const RUNS_TABLE: TableDefinition = {
  id: 'Runs',
  partitionKey: 'pk',
  sortKey: 'sk',
  globalIndexes: [
    { indexName: 'byClientDate', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
    { indexName: 'failedBatches', partitionKey: 'failedPk', sortKey: 'sk' },
    { indexName: 'activeRuns', partitionKey: 'activePk', sortKey: 'activeSk' },
  ],
  timeToLiveAttribute: 'expiresAt',
};

export const TABLES = [CONFIG_TABLE, RUNS_TABLE] as const;
