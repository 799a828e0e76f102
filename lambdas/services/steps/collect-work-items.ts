import type { JobRegistry } from '../../domain/job-registry';
import { jobContext, jobOf } from '../../domain/run';
import type { Clock } from '../../ports/clock';
import type { RunStore } from '../../ports/run-store';
import { loadOwnedRun } from './owned-run';
import type { JobStepInput } from './step-io';

/** Batches written per BatchWriteItem round while collecting. */
const BATCH_WRITE_GROUP = 25;

/**
 * The batch numbers the job's Map runs. The first call streams the job type's items into
 * batches, persisted before batchCount is recorded; any later call (a retry, a redrive, a
 * reprocess) returns the stored batches that still have work, never collecting again.
 */
export async function collectWorkItems(
  deps: { runs: RunStore; registry: JobRegistry; clock: Clock },
  { runId, seq, executionName, failedOnly }: JobStepInput,
): Promise<{ batches: number[] }> {
  const { runs, registry, clock } = deps;
  const run = await loadOwnedRun(runs, runId, executionName);
  const job = jobOf(run, seq);

  if (failedOnly) {
    const batches: number[] = [];
    for await (const summary of runs.batchSummaries(runId, seq)) {
      if (summary.batchNo < (job.batchCount ?? 0) && summary.failed > 0) batches.push(summary.batchNo);
    }
    return { batches };
  }
  if (job.batchCount !== undefined) {
    const batches: number[] = [];
    for await (const summary of runs.batchSummaries(runId, seq)) {
      if (summary.batchNo >= job.batchCount) continue;
      if (summary.succeeded < summary.total || summary.minGeneration < job.generation) batches.push(summary.batchNo);
    }
    return { batches };
  }

  const handler = registry.get(job.type);
  const settings = job.settings ?? {};
  const batchSize = handler.batchSizeFor?.(settings) ?? handler.batchSize;
  let pending: Array<{ batchNo: number; itemIds: string[] }> = [];
  let current: string[] = [];
  let batchCount = 0;
  let total = 0;
  const flush = async (): Promise<void> => {
    if (pending.length > 0) await runs.putBatches(runId, seq, pending);
    pending = [];
  };
  for await (const itemId of handler.collect(jobContext(run, job))) {
    current.push(itemId);
    total++;
    if (current.length === batchSize) {
      pending.push({ batchNo: batchCount++, itemIds: current });
      current = [];
      if (pending.length === BATCH_WRITE_GROUP) await flush();
    }
  }
  if (current.length > 0) pending.push({ batchNo: batchCount++, itemIds: current });
  await flush();
  await runs.putJob(runId, {
    ...job,
    batchCount,
    stats: { total, succeeded: 0, failed: 0, pending: total },
    startedAt: job.startedAt ?? clock.now().toISOString(),
  });
  return { batches: Array.from({ length: batchCount }, (_, i) => i) };
}
