import { NotFoundError } from '../../domain/errors';
import type { Run } from '../../domain/model';
import { ownershipError } from '../../domain/run';
import type { RunStore } from '../../ports/run-store';

/** Loads a run for a step of an execution, read consistently; throws unless the execution still owns it. */
export async function loadOwnedRun(runs: RunStore, runId: string, executionName: string): Promise<Run> {
  const run = await runs.getRun(runId, true);
  if (!run) throw new NotFoundError(`run ${runId} does not exist`);
  const refusal = ownershipError(run, executionName);
  if (refusal) throw refusal;
  return run;
}
