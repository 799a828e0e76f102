import { exceptionWindowEnd } from '../../domain/exception-windows';
import { writesLedger } from '../../domain/job-registry';
import type { Run, RunJob } from '../../domain/model';
import { failedSequenceError, nextCheckAt, waitNote } from '../../domain/run';
import type { Clock } from '../../ports/clock';
import type { LedgerLockHolder, LedgerLocks } from '../../ports/ledger-lock';
import type { RunStore } from '../../ports/run-store';
import { loadOwnedRun } from './owned-run';
import { DEFAULT_JOB_WAIT_POLL_SECONDS, type BeginJobInput, type BeginJobOutput, type StepSettings } from './step-io';

export interface BeginJobDeps {
  runs: RunStore;
  clock: Clock;
  settings: StepSettings;
  /** The per-client ledger lock; without it (a test engine) ledger jobs of two runs may overlap. */
  ledgerLocks?: LedgerLocks;
}

/**
 * Starts the job at `index` once nothing holds it back: an open exception window (WAIT), a MANUAL
 * job no operator has started (WAIT_MANUAL), or another run of the client writing the ledger
 * (WAIT_LEDGER); each is asked again at `waitUntil`. After the last job COMPLETE, or FAIL when a
 * CONTINUE job ended FAILED.
 */
export async function beginJob(deps: BeginJobDeps, { runId, index, executionName }: BeginJobInput): Promise<BeginJobOutput> {
  const { runs, clock, settings } = deps;
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
  const pollSeconds = settings.jobWaitPollSeconds ?? DEFAULT_JOB_WAIT_POLL_SECONDS;
  if (awaitsManualStart(job)) {
    const note = waitNote(run, 'MANUAL_JOB', `job ${job.seq} (${job.type}) starts when an operator starts it`, now, [{ seq: job.seq }]);
    const waitUntil = nextCheckAt(note, now, pollSeconds);
    await runs.transitionRun(runId, { from: ['RUNNING'], executionName, set: { waitingUntil: waitUntil, waitingReason: note } });
    return { action: 'WAIT_MANUAL', seq: job.seq, waitUntil };
  }
  if (deps.ledgerLocks && writesLedger(job.type)) {
    const holder = await takeLedger(runs, deps.ledgerLocks, run, { runId, seq: job.seq, executionName, since: now.toISOString() });
    if (holder) {
      const other = `run ${holder.run?.runId ?? holder.lock.runId} (${holder.run ? `${holder.run.scheduleName}, ${holder.run.processingDate}, ` : ''}job ${holder.lock.seq})`;
      const waitingFor = [{ runId: holder.lock.runId, seq: holder.lock.seq, ...(holder.run ? { scheduleId: holder.run.scheduleId, status: holder.run.status } : {}) }];
      const note = waitNote(run, 'LEDGER_BUSY', `job ${job.seq} (${job.type}) starts when ${other} has finished writing the ledger`, now, waitingFor);
      const waitUntil = nextCheckAt(note, now, pollSeconds);
      await runs.transitionRun(runId, { from: ['RUNNING'], executionName, set: { waitingUntil: waitUntil, waitingReason: { ...note, message: `${note.message}; checks again at ${waitUntil}` } } });
      return { action: 'WAIT_LEDGER', seq: job.seq, waitUntil };
    }
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

/** A MANUAL job that has not begun and that no operator has started (a reprocess keeps an earlier start). */
function awaitsManualStart(job: RunJob): boolean {
  return job.start === 'MANUAL' && !job.manualStart && job.status === 'PENDING';
}

/**
 * Takes the client's ledger lock for this job; undefined when taken, otherwise who holds it. A
 * holder that can no longer be writing — its run ended, was reset or reprocessed (another
 * execution), or its job ended — is taken over, so no run waits behind a dead one.
 */
async function takeLedger(runs: RunStore, locks: LedgerLocks, run: Run, me: LedgerLockHolder): Promise<{ lock: LedgerLockHolder; run?: Run } | undefined> {
  const first = await locks.acquire(run.clientId, me);
  if (first.acquired) return undefined;
  const holderRun = await runs.getRun(first.holder.runId, true);
  if (!isLiveHolder(first.holder, holderRun)) {
    const second = await locks.acquire(run.clientId, me, first.holder);
    if (second.acquired) return undefined;
    return second.holder.runId === first.holder.runId ? { lock: second.holder, ...(holderRun ? { run: holderRun } : {}) } : { lock: second.holder };
  }
  return { lock: first.holder, ...(holderRun ? { run: holderRun } : {}) };
}

function isLiveHolder(lock: LedgerLockHolder, run: Run | undefined): boolean {
  if (!run || run.status !== 'RUNNING' || run.executionName !== lock.executionName) return false;
  const job = run.jobs.find((candidate) => candidate.seq === lock.seq);
  return job !== undefined && job.status !== 'COMPLETED' && job.status !== 'FAILED' && job.status !== 'SKIPPED';
}
