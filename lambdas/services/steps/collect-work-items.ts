import { JobTooLargeError, MAX_JOB_BATCHES, type JobRegistry } from '../../domain/job-registry';
import { emptyStats, type ItemStats, type Run, type RunJob } from '../../domain/model';
import { jobContext, jobOf } from '../../domain/run';
import type { Clock } from '../../ports/clock';
import type { RunStore } from '../../ports/run-store';
import { loadOwnedRun } from './owned-run';
import type { JobStepInput } from './step-io';

/** Batches written per BatchWriteItem round while collecting. */
const BATCH_WRITE_GROUP = 25;
/** Stored batches read at once while a reprocessed job collects again. */
const BATCH_READ_CONCURRENCY = 10;

type Deps = { runs: RunStore; registry: JobRegistry; clock: Clock };

/**
 * The batch numbers the job's Map runs. The first call streams the job type's items into
 * batches, persisted before batchCount is recorded, saving a cursor after each page of batches:
 * a retry after the Lambda timed out continues from there when the job type can seek
 * (collectAfter), and from the first item otherwise (same batch numbers, nothing twice). Any call
 * after batchCount is recorded (a retry, a redrive) returns the stored batches that still have
 * work, never collecting again. A job a reprocess reopened (collectAgain) first adds batches for
 * the items that became due since.
 */
export async function collectWorkItems(deps: Deps, { runId, seq, executionName, failedOnly }: JobStepInput): Promise<{ batches: number[] }> {
  const { runs } = deps;
  const run = await loadOwnedRun(runs, runId, executionName);
  let job = jobOf(run, seq);

  if (failedOnly) {
    const batches: number[] = [];
    for await (const summary of runs.batchSummaries(runId, seq)) {
      if (summary.batchNo < (job.batchCount ?? 0) && summary.failed > 0) batches.push(summary.batchNo);
    }
    return { batches };
  }
  if (job.batchCount === undefined) {
    const { batchCount } = await collect(deps, run.runId, job, ...(await firstCollect(deps, run, job)));
    return { batches: Array.from({ length: batchCount }, (_, i) => i) };
  }
  if (job.collectAgain) job = await collectNewItems(deps, run, job, job.batchCount);

  const batches: number[] = [];
  for await (const summary of runs.batchSummaries(runId, seq)) {
    if (summary.batchNo >= (job.batchCount ?? 0)) continue;
    if (summary.succeeded < summary.total || summary.minGeneration < job.generation) batches.push(summary.batchNo);
  }
  return { batches };
}

/** The items of a first collect, and where its batches start: after the saved cursor where the job type can seek. */
async function firstCollect(deps: Deps, run: Run, job: RunJob): Promise<[AsyncIterable<string>, CollectStart]> {
  const handler = deps.registry.get(job.type);
  const cursor = await deps.runs.getCollectCursor(run.runId, job.seq);
  if (!cursor || !handler.collectAfter) return [jobItems(deps, run, job), { firstBatchNo: 0, stats: emptyStats(), resumable: true }];
  const stats = { ...emptyStats(), total: cursor.items, pending: cursor.items };
  return [handler.collectAfter(jobContext(run, job), cursor.afterItemId), { firstBatchNo: cursor.nextBatchNo, stats, resumable: true }];
}

interface CollectStart {
  firstBatchNo: number;
  stats: ItemStats;
  /** A first collect saves its cursor after each page; a reprocess's collect of new items does not (it filters what is stored). */
  resumable?: boolean;
}

function jobItems(deps: Deps, run: Run, job: RunJob): AsyncIterable<string> {
  return deps.registry.get(job.type).collect(jobContext(run, job));
}

/**
 * The items due now that no batch of the job holds yet, in new batches numbered after the stored
 * ones: each item stays in the one batch that has its outcome, so none is processed twice. Until
 * the job records the new batchCount (and drops collectAgain), the new batches are not the job's,
 * so a retry of this step writes them again, over the same numbers, instead of adding more.
 */
async function collectNewItems(deps: Deps, run: Run, job: RunJob, storedCount: number): Promise<RunJob> {
  const stored = await StoredItems.load((batchNo) => deps.runs.getBatch(run.runId, job.seq, batchNo), storedCount);
  async function* newItems(): AsyncIterable<string> {
    for await (const itemId of jobItems(deps, run, job)) if (!(await stored.has(itemId))) yield itemId;
  }
  return (await collect(deps, run.runId, job, newItems(), { firstBatchNo: storedCount, stats: job.stats })).job;
}

/** Batch numbers (a job has at most 40,000: MAX_JOB_BATCHES) fit in 20 bits below a 32-bit hash: 52 bits, exact in a double. */
const FINGERPRINT_BATCH_BITS = 20;
const BATCH_SPAN = 2 ** FINGERPRINT_BATCH_BITS;

type BatchReader = (batchNo: number) => Promise<{ itemIds: string[] } | undefined>;

/**
 * Which stored batch holds an item, without holding the ids: a sorted array of (32-bit hash of
 * the id, batch number), 8 bytes an item (80 MB at 10 M items, where a Set of the ids took
 * about 1 GB), read from the stored batches a page at a time. A hash match is confirmed in the
 * batch itself, so a collision costs a read, never a lost item; the ids of a re-collect arrive
 * in batch order, so the last batch read answers most of them.
 */
export class StoredItems {
  private lastBatch: { batchNo: number; ids: Set<string> } | undefined;

  private constructor(
    private readonly fingerprints: Float64Array,
    private readonly readBatch: BatchReader,
    private readonly hash: (itemId: string) => number,
  ) {}

  static async load(readBatch: BatchReader, storedCount: number, hash: (itemId: string) => number = hash32): Promise<StoredItems> {
    const chunks: Float64Array[] = [];
    let size = 0;
    for (let start = 0; start < storedCount; start += BATCH_READ_CONCURRENCY) {
      const numbers = Array.from({ length: Math.min(BATCH_READ_CONCURRENCY, storedCount - start) }, (_, i) => start + i);
      const batches = await Promise.all(numbers.map(readBatch));
      batches.forEach((batch, i) => {
        const ids = batch?.itemIds ?? [];
        const chunk = new Float64Array(ids.length);
        ids.forEach((itemId, j) => (chunk[j] = hash(itemId) * BATCH_SPAN + numbers[i]!));
        chunks.push(chunk);
        size += ids.length;
      });
    }
    const fingerprints = new Float64Array(size);
    let offset = 0;
    for (const chunk of chunks) {
      fingerprints.set(chunk, offset);
      offset += chunk.length;
    }
    return new StoredItems(fingerprints.sort(), readBatch, hash);
  }

  /** Bytes held for the stored items. */
  get bytes(): number {
    return this.fingerprints.byteLength;
  }

  async has(itemId: string): Promise<boolean> {
    const low = this.hash(itemId) * BATCH_SPAN;
    for (let i = lowerBound(this.fingerprints, low); i < this.fingerprints.length && this.fingerprints[i]! < low + BATCH_SPAN; i++) {
      const batchNo = this.fingerprints[i]! - low;
      if (this.lastBatch?.batchNo !== batchNo) this.lastBatch = { batchNo, ids: new Set((await this.readBatch(batchNo))?.itemIds ?? []) };
      if (this.lastBatch.ids.has(itemId)) return true;
    }
    return false;
  }
}

function lowerBound(sorted: Float64Array, value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! < value) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** FNV-1a, 32 bits. */
function hash32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** Streams items into batches numbered from `firstBatchNo`, persists them, then records the job's batchCount and its statistics with the items added. */
async function collect(
  deps: Deps,
  runId: string,
  job: RunJob,
  items: AsyncIterable<string>,
  { firstBatchNo, stats, resumable = false }: CollectStart,
): Promise<{ batchCount: number; job: RunJob }> {
  const { runs, registry, clock } = deps;
  const handler = registry.get(job.type);
  const batchSize = handler.batchSizeFor?.(job.settings ?? {}) ?? handler.batchSize;
  let pending: Array<{ batchNo: number; itemIds: string[] }> = [];
  let current: string[] = [];
  let batchCount = firstBatchNo;
  let added = 0;
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    await runs.putBatches(runId, job.seq, pending);
    const last = pending[pending.length - 1]!;
    pending = [];
    // Every item so far is in a stored batch: a page costs one more write, a timeout at most a page.
    if (resumable && current.length === 0) {
      await runs.saveCollectCursor(runId, job.seq, { nextBatchNo: batchCount, afterItemId: last.itemIds[last.itemIds.length - 1]!, items: stats.total + added });
    }
  };
  for await (const itemId of items) {
    // Refused before the Map gets a state it could not carry, with what an operator can change.
    if (batchCount === MAX_JOB_BATCHES) throw new JobTooLargeError(stats.total + added, batchSize);
    current.push(itemId);
    added++;
    if (current.length === batchSize) {
      pending.push({ batchNo: batchCount++, itemIds: current });
      current = [];
      if (pending.length === BATCH_WRITE_GROUP) await flush();
    }
  }
  if (current.length > 0) pending.push({ batchNo: batchCount++, itemIds: current });
  await flush();
  const { collectAgain: _collectAgain, ...rest } = job;
  const collected: RunJob = {
    ...rest,
    batchCount,
    stats: { ...stats, total: stats.total + added, pending: stats.pending + added },
    startedAt: job.startedAt ?? clock.now().toISOString(),
  };
  await runs.putJob(runId, collected);
  return { batchCount, job: collected };
}
