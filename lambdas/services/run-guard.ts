import { NotFoundError, RunResetError, SupersededExecutionError } from '../domain/errors';
import type { Run, RunJob } from '../domain/model';
import type { RunStore } from '../ports/run-store';

/**
 * Loads a run for a step of an execution and checks the execution still owns it: a reset run or
 * a superseded execution (an old one redriven after a reprocess started a new one) must stop
 * before it writes anything.
 */
export async function loadOwnedRun(runs: RunStore, runId: string, executionName: string): Promise<Run> {
  const run = await runs.getRun(runId, true);
  if (!run) throw new NotFoundError(`run ${runId} does not exist`);
  if (run.status === 'RESET') throw new RunResetError(`run ${runId} was reset; execution ${executionName} stops`);
  if (run.executionName !== executionName) {
    throw new SupersededExecutionError(`run ${runId} is now owned by execution ${run.executionName}; ${executionName} stops`);
  }
  return run;
}

export function jobOf(run: Run, seq: number): RunJob {
  const job = run.jobs.find((j) => j.seq === seq);
  if (!job) throw new NotFoundError(`run ${run.runId} has no job ${seq}`);
  return job;
}
