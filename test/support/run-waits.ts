import type { LocalRuntime } from '../../lambdas/composition/local-runtime';
import type { RunView } from '../../lambdas/domain/run';

/**
 * Reads a run every 25 ms until `accept` holds of it, for a state the run passes through (a
 * wait, RUNNING) rather than ends in (waitForRun in local-runtime.ts); the error names its
 * status and waiting reason.
 */
export async function runReaches(runtime: LocalRuntime, clientId: string, runId: string, accept: (run: RunView) => boolean, timeoutMs = 30_000): Promise<RunView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await runtime.engine.runs.getRun(clientId, runId);
    if (accept(run)) return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} never got there: ${JSON.stringify({ status: run.status, waitingReason: run.waitingReason })}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
