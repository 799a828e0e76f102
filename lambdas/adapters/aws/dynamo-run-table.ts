import type { ErrorInfo, ItemStatus } from '../../domain/model';
import type { BatchRecord } from '../../ports/batch-store';

/** Keys of the runs table (RUNS_TABLE in table-definitions.ts), shared by the run store, the batch store and item pages. */
export const pad = (n: number, width: number): string => String(n).padStart(width, '0');
export const runPk = (runId: string): string => `RUN#${runId}`;
/** A run's header: its status, times and the keys of the indexes that find it. */
export const runHeaderKey = (runId: string): { pk: string; sk: string } => ({ pk: runPk(runId), sk: 'RUN' });
export const jobSk = (seq: number): string => `JOB#${pad(seq, 3)}`;
/** A job's key: the failedBatchKeys index's partition (one per job: at most one index write per batch, ever). */
export const batchJobKey = (runId: string, seq: number): string => `RUN#${runId}#J#${pad(seq, 3)}`;
/**
 * A job's batches are spread over BATCH_SHARDS partitions by batchNo mod BATCH_SHARDS, so the
 * workers of a 10 M-item job write to eight partitions (8 x 1,000 WCU/s), not one. A batch is
 * still one GetItem by its number; a listing of a job's batches (batchSummaries) queries the
 * eight shards, which costs seven more Query calls per listing, not per item: eight keeps that
 * small while a job's peak (MaxConcurrency workers, a write each per checkpoint) stays far
 * below the shards' sum.
 */
export const BATCH_SHARDS = 8;
export const batchShardPk = (runId: string, seq: number, shard: number): string => `${batchJobKey(runId, seq)}#S#${shard}`;
export const batchPk = (runId: string, seq: number, batchNo: number): string => batchShardPk(runId, seq, batchNo % BATCH_SHARDS);
export const batchSk = (batchNo: number): string => `B#${pad(batchNo, 7)}`;
export const datePk = (clientId: string, scheduleId: string, date: string): string => `DATE#${clientId}#${scheduleId}#${date}`;
export const execPk = (name: string): string => `EXEC#${name}`;
/**
 * The sparse activeRunShards index: only PENDING and RUNNING run headers carry activePk, spread
 * over ACTIVE_SHARDS partitions by their run id, so that a thousand runs claimed at midnight
 * write to sixteen index partitions, not one. Only a reader of every active run (the
 * reconciler, the local resumer) queries it, shard by shard.
 */
export const ACTIVE_SHARDS = 16;
export const activeShardPkOf = (shard: number): string => `ACTIVE#${pad(shard, 2)}`;
export const activeShardPk = (runId: string): string => activeShardPkOf(shardOf(runId, ACTIVE_SHARDS));
/**
 * A run header's schedule, kept for the header's whole life: the partition key of the
 * activeRunsOfSchedule index, which holds the header only while its sort key (activeSk) is set,
 * i.e. while the run is active. BeginRun and the queue check read one schedule's partition.
 */
export const runScheduleKey = (clientId: string, scheduleId: string): string => `CLIENT#${clientId}#SCHEDULE#${scheduleId}`;

/** A stable shard of a key (FNV-1a): the same key always lands in the same shard. */
export function shardOf(key: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % shards;
}

const STATUS_CODES: Record<ItemStatus, string> = { PENDING: 'P', SUCCEEDED: 'S', FAILED: 'F' };
const STATUS_OF_CODE: Record<string, ItemStatus> = { P: 'PENDING', S: 'SUCCEEDED', F: 'FAILED' };

/**
 * A batch as stored: per-item arrays as JSON text and statuses as one letter each (an item's
 * outcome costs bytes, not a write), plus the counts that batchSummaries reads alone.
 */
export type BatchItem = {
  pk: string;
  sk: string;
  runId: string;
  seq: number;
  batchNo: number;
  ids: string;
  st: string;
  at: string;
  gn: string;
  up: string;
  er: string;
  version: number;
  total: number;
  succeeded: number;
  failed: number;
  minGen: number;
  /** Only batches with a failed item carry it: the sparse failedBatches index. */
  failedPk?: string;
  expiresAt: number;
};

export function toBatchItem(batch: BatchRecord, retentionDays: number): BatchItem {
  let succeeded = 0;
  let failed = 0;
  let minGen = Number.POSITIVE_INFINITY;
  const codes: string[] = [];
  batch.status.forEach((status, i) => {
    codes.push(STATUS_CODES[status]);
    if (status === 'SUCCEEDED') succeeded++;
    if (status === 'FAILED') failed++;
    minGen = Math.min(minGen, status === 'PENDING' ? -1 : (batch.generations[i] ?? -1));
  });
  return {
    pk: batchPk(batch.runId, batch.seq, batch.batchNo),
    sk: batchSk(batch.batchNo),
    runId: batch.runId,
    seq: batch.seq,
    batchNo: batch.batchNo,
    ids: JSON.stringify(batch.itemIds),
    st: codes.join(''),
    at: JSON.stringify(batch.attempts),
    gn: JSON.stringify(batch.generations),
    up: JSON.stringify(batch.updated),
    er: JSON.stringify(batch.errors),
    version: batch.version,
    total: batch.itemIds.length,
    succeeded,
    failed,
    minGen: Number.isFinite(minGen) ? minGen : -1,
    ...(failed > 0 ? { failedPk: batchJobKey(batch.runId, batch.seq) } : {}),
    expiresAt: Math.floor(Date.now() / 1000) + retentionDays * 86_400,
  };
}

export function toBatchRecord(item: BatchItem): BatchRecord {
  return {
    runId: item.runId,
    seq: Number(item.seq),
    batchNo: Number(item.batchNo),
    itemIds: JSON.parse(item.ids) as string[],
    status: [...item.st].map((code) => STATUS_OF_CODE[code] ?? 'PENDING'),
    attempts: JSON.parse(item.at) as number[],
    generations: JSON.parse(item.gn) as number[],
    updated: JSON.parse(item.up) as number[],
    errors: JSON.parse(item.er) as Record<number, ErrorInfo>,
    version: Number(item.version),
  };
}
