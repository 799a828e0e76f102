import { failedSequenceError } from '../../domain/run';
import { exceptionWindowEnd } from '../../domain/schedule-calendar';
import type { Clock } from '../../ports/clock';
import type { RunStore } from '../../ports/run-store';
import { loadOwnedRun } from './owned-run';
import type { BeginJobInput, BeginJobOutput } from './step-io';

/** Starts the job at `index` once no exception window is open (WAIT until it closes); after the last job COMPLETE, or FAIL when a CONTINUE job ended FAILED. */
export async function beginJob(deps: { runs: RunStore; clock: Clock }, { runId, index, executionName }: BeginJobInput): Promise<BeginJobOutput> {
  const { runs, clock } = deps;
  const run = await loadOwnedRun(runs, runId, executionName);
  const job = run.jobs[index];
  if (!job) return { action: failedSequenceError(run) ? 'FAIL' : 'COMPLETE' };
  const now = clock.now();
  const windowEnd = exceptionWindowEnd(run.config.exceptionWindows, now, run.config.timezone);
  if (windowEnd) {
    const waitUntil = windowEnd.toISOString();
    const waitingReason = { code: 'EXCEPTION_WINDOW' as const, message: `an exception window is open: job ${job.seq} (${job.type}) starts when it closes at ${waitUntil}` };
    await runs.transitionRun(runId, { from: ['RUNNING'], executionName, set: { waitingUntil: waitUntil, waitingReason } });
    return { action: 'WAIT', seq: job.seq, waitUntil };
  }
  if (run.waitingUntil || run.waitingReason) {
    await runs.transitionRun(runId, { from: ['RUNNING'], executionName, set: {}, remove: ['waitingUntil', 'waitingReason'] });
  }
  if (job.status !== 'RUNNING') {
    const { endedAt: _endedAt, error: _error, ...rest } = job;
    await runs.putJob(runId, { ...rest, status: 'RUNNING', startedAt: job.startedAt ?? now.toISOString() });
  }
  return { action: 'RUN', seq: job.seq };
}
