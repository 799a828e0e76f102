import { failedSequenceError } from '../../domain/run';
import { announced } from '../../domain/run-events';
import type { Clock } from '../../ports/clock';
import type { RunMetrics } from '../../ports/run-metrics';
import type { RunStore } from '../../ports/run-store';
import { loadOwnedRun } from './owned-run';
import type { CompleteRunInput, CompleteRunOutput } from './step-io';

/**
 * Ends the run after its last job: COMPLETED, or FAILED when a CONTINUE job ended FAILED (the ASL
 * reaches it as FailRun, whose RunFailed state then fails the execution, so the two agree). A
 * repeat changes nothing and counts no second run.
 */
export async function completeRun(
  deps: { runs: RunStore; clock: Clock; metrics?: RunMetrics },
  { runId, executionName }: CompleteRunInput,
): Promise<CompleteRunOutput> {
  const { runs, clock } = deps;
  const run = await loadOwnedRun(runs, runId, executionName);
  const error = failedSequenceError(run);
  const status = error ? 'FAILED' : 'COMPLETED';
  if (run.status === status) return { status };
  const endedAt = clock.now().toISOString();
  const ended = await runs.transitionRun(
    runId,
    announced(
      run,
      {
        from: ['RUNNING', 'PENDING', 'FAILED'],
        executionName,
        set: { status, endedAt, ...(error ? { error } : {}) },
        remove: error ? ['waitingUntil', 'waitingReason'] : ['error', 'waitingUntil', 'waitingReason'],
      },
      endedAt,
    ),
  );
  if (ended) deps.metrics?.runEnded({ clientId: run.clientId, status });
  return { status };
}
