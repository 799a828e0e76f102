import type { ErrorInfo, ItemStatus } from '../domain/model';

/** A persisted batch of work items: its members are fixed at collect time, forever. */
export interface BatchRecord {
  runId: string;
  seq: number;
  batchNo: number;
  itemIds: string[];
  /** Per item, aligned with itemIds. */
  status: ItemStatus[];
  attempts: number[];
  /** The job generation in which each item last finished (see RunJob.generation). */
  generations: number[];
  /** Epoch milliseconds of each item's last outcome (0 = never). */
  updated: number[];
  /** Errors of failed items, by index into itemIds. */
  errors: Record<number, ErrorInfo>;
  /** Optimistic-concurrency version of the outcome; 0 when collect wrote it. */
  version: number;
}

export interface BatchLease {
  holder: string;
  untilMs: number;
}

export interface BatchSummary {
  batchNo: number;
  total: number;
  succeeded: number;
  failed: number;
  /** Lowest generation any item of the batch finished in (-1: some item never finished). */
  minGeneration: number;
}

/** How far an interrupted first collect of a job got: everything before is in stored batches. */
export interface CollectCursor {
  /** The number of the next batch to write. */
  nextBatchNo: number;
  /** The last item id in a stored batch (the job type's collectAfter continues after it). */
  afterItemId: string;
  /** Items in the stored batches. */
  items: number;
}

/**
 * A job's batches of work items, their leases and their outcomes. Implementation:
 * DynamoBatchStore. Writes are per batch, never per item.
 */
export interface BatchStore {
  /** Persists a job's batches; safe to repeat (same batch numbers overwrite nothing already processed). */
  putBatches(runId: string, seq: number, batches: Array<{ batchNo: number; itemIds: string[] }>): Promise<void>;
  getBatch(runId: string, seq: number, batchNo: number): Promise<BatchRecord | undefined>;
  /**
   * Takes the batch for one worker until `untilMs` (epoch ms), if its version is still
   * `expectedVersion` and no other holder's lease is running: a duplicate delivery of a batch
   * that is being processed must not process it too. False when the batch is taken or changed.
   */
  leaseBatch(batch: Pick<BatchRecord, 'runId' | 'seq' | 'batchNo'>, expectedVersion: number, lease: BatchLease, nowMs: number): Promise<boolean>;
  /**
   * Writes a batch's outcome if its version is still `expectedVersion`; false when another writer
   * won. With `lease`, the lease is kept (a checkpoint); without, it is released.
   */
  saveBatchOutcome(batch: BatchRecord, expectedVersion: number, lease?: BatchLease): Promise<boolean>;
  getCollectCursor(runId: string, seq: number): Promise<CollectCursor | undefined>;
  /** Saved after each page of batches a first collect writes. */
  saveCollectCursor(runId: string, seq: number, cursor: CollectCursor): Promise<void>;
  /** Streams the counts of every batch of a job, in batch order. */
  batchSummaries(runId: string, seq: number): AsyncIterable<BatchSummary>;
}
