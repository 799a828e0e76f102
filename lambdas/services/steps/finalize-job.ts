import { DomainError } from '../../domain/errors';
import { writesLedger } from '../../domain/job-registry';
import { continuesOnItemFailure, jobOf, jobStatsFromOutcomes } from '../../domain/run';
import type { Clock } from '../../ports/clock';
import type { LedgerLocks } from '../../ports/ledger-lock';
import type { RunStore } from '../../ports/run-store';
import { loadOwnedRun } from './owned-run';
import type { FinalizeJobInput } from './step-io';

/** A job whose items did not all succeed: FinalizeJob fails the execution with it. */
export class JobFailedError extends DomainError {
  readonly code = 'JOB_FAILED';
}

/**
 * Ends the job with its exact statistics and returns the index of the next one. A job whose items
 * did not all succeed is FAILED: with onItemFailure CONTINUE the sequence goes on (CompleteRun
 * ends the run FAILED), otherwise it throws JobFailedError. A ledger job frees its client's ledger
 * lock once its end is recorded, so a run waiting for it (LEDGER_BUSY) goes on at its next check.
 */
export async function finalizeJob(deps: { runs: RunStore; clock: Clock; ledgerLocks?: LedgerLocks }, { runId, seq, index, executionName }: FinalizeJobInput): Promise<number> {
  const { runs, clock } = deps;
  const run = await loadOwnedRun(runs, runId, executionName);
  const job = jobOf(run, seq);
  const releaseLedger = async (): Promise<void> => {
    if (deps.ledgerLocks && writesLedger(job.type)) await deps.ledgerLocks.release(run.clientId, runId);
  };
  const stats = await jobStatsFromOutcomes(job, () => runs.batchSummaries(runId, seq));
  const endedAt = clock.now().toISOString();
  if (stats.failed > 0 || stats.pending > 0) {
    const error = { code: 'ITEMS_NOT_SUCCEEDED', message: `${stats.failed} failed and ${stats.pending} unfinished work items` };
    await runs.putJob(runId, { ...job, status: 'FAILED', stats, endedAt, error });
    await releaseLedger();
    if (continuesOnItemFailure(job)) return index + 1;
    throw new JobFailedError(`job ${seq} (${job.type}): ${error.message}`);
  }
  const { error: _error, ...rest } = job;
  await runs.putJob(runId, { ...rest, status: 'COMPLETED', stats, endedAt });
  await releaseLedger();
  return index + 1;
}
