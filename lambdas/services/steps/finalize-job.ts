import { DomainError } from '../../domain/errors';
import { jobOf, jobStatsFromOutcomes } from '../../domain/run';
import type { Clock } from '../../ports/clock';
import type { RunStore } from '../../ports/run-store';
import { loadOwnedRun } from './owned-run';
import type { FinalizeJobInput } from './step-io';

/** A job whose items did not all succeed: FinalizeJob fails the execution with it. */
export class JobFailedError extends DomainError {
  readonly code = 'JOB_FAILED';
}

/** Ends the job with its exact statistics and returns the index of the next one; throws JobFailedError when an item did not succeed. */
export async function finalizeJob(deps: { runs: RunStore; clock: Clock }, { runId, seq, index, executionName }: FinalizeJobInput): Promise<number> {
  const { runs, clock } = deps;
  const run = await loadOwnedRun(runs, runId, executionName);
  const job = jobOf(run, seq);
  const stats = await jobStatsFromOutcomes(job, () => runs.batchSummaries(runId, seq));
  const endedAt = clock.now().toISOString();
  if (stats.failed > 0 || stats.pending > 0) {
    const error = { code: 'ITEMS_NOT_SUCCEEDED', message: `${stats.failed} failed and ${stats.pending} unfinished work items` };
    await runs.putJob(runId, { ...job, status: 'FAILED', stats, endedAt, error });
    throw new JobFailedError(`job ${seq} (${job.type}): ${error.message}`);
  }
  const { error: _error, ...rest } = job;
  await runs.putJob(runId, { ...rest, status: 'COMPLETED', stats, endedAt });
  return index + 1;
}
