import type { Clock } from '../../ports/clock';
import type { RunMetrics } from '../../ports/run-metrics';
import type { RunStore } from '../../ports/run-store';
import { loadOwnedRun } from './owned-run';
import type { CompleteRunInput } from './step-io';

/** Ends the run COMPLETED after its last job; a repeat changes nothing and counts no second run. */
export async function completeRun(
  deps: { runs: RunStore; clock: Clock; metrics?: RunMetrics },
  { runId, executionName }: CompleteRunInput,
): Promise<Record<string, never>> {
  const { runs, clock } = deps;
  const run = await loadOwnedRun(runs, runId, executionName);
  if (run.status === 'COMPLETED') return {};
  const completed = await runs.transitionRun(runId, {
    from: ['RUNNING', 'PENDING', 'FAILED'],
    executionName,
    set: { status: 'COMPLETED', endedAt: clock.now().toISOString() },
    remove: ['error', 'waitingUntil', 'waitingReason'],
  });
  if (completed) deps.metrics?.runEnded({ clientId: run.clientId, status: 'COMPLETED' });
  return {};
}
