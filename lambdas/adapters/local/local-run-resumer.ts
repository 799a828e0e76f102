import type { Logger } from '@aws-lambda-powertools/logger';
import { executionInputOf } from '../../domain/run';
import type { Orchestrator } from '../../ports/orchestrator';
import type { RunStore } from '../../ports/run-store';

/**
 * Starts again the executions of the runs that were PENDING or RUNNING when the runtime stopped;
 * returns their run ids. The interpreter keeps no history, so after a restart no such run has an
 * execution (ReconcileService would start only PENDING ones, after a grace period).
 */
export async function resumeActiveRuns(runs: Pick<RunStore, 'listActiveRuns'>, orchestrator: Orchestrator, logger: Logger): Promise<string[]> {
  const resumed: string[] = [];
  for (const run of await runs.listActiveRuns()) {
    // From the beginning, as a redrive: every step is idempotent (the run is claimed with a
    // conditional write, Collect returns the stored batches, workers skip succeeded items,
    // Finalize recomputes).
    await orchestrator.startExecution(run.executionName, executionInputOf(run));
    resumed.push(run.runId);
  }
  if (resumed.length > 0) logger.info('resumed runs that were active when the runtime stopped', { runs: resumed });
  return resumed;
}
