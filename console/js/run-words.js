import { formatInstant, isActive, statusWord } from './format.js';

/**
 * What a run's state means to an operator: why it waits, why it was skipped and what to do, how a
 * job that never started reads. Pure functions (no DOM), unit-tested in Node.
 */

const WAITING_REASONS = {
  EXCEPTION_WINDOW: (until) => `Waiting for an exception window to close${until ? `, until ${until}` : ''}: no job starts inside it.`,
  PREVIOUS_RUN_ACTIVE: (until) => `Queued behind an earlier run of this schedule that is still active (overlap policy Queue)${until ? `; it checks again at ${until}` : ''}.`,
  DEPENDENCY: () => 'Waiting for the schedules it depends on to complete their runs for this date.',
  LEDGER_BUSY: () => 'Waiting for another run of this client to finish writing to the ledger: ledger jobs of one client never run at the same time.',
  MANUAL_JOB: () => 'Waiting for an operator to start the next job, which is set to start by hand.',
};

/** Why the run waits, in words; undefined when it does not. A run from before reasons existed waited for a window. */
export function waitingText(run, timezone) {
  const until = run.waitingUntil ? formatInstant(run.waitingUntil, timezone) : undefined;
  const code = run.waitingReason?.code ?? (run.waitingUntil ? 'EXCEPTION_WINDOW' : undefined);
  if (!code) return undefined;
  return WAITING_REASONS[code]?.(until) ?? `Waiting (${code}): ${run.waitingReason.message}`;
}

const SKIP_REASONS = {
  MISSED: 'Skipped: the occurrence was missed. No scheduler was running at its time, and it is older than the schedule’s catch-up window.',
  OVERLAP: 'Skipped: an earlier run of this schedule was still active, and the schedule’s overlap policy is Skip.',
};

/** Why a SKIPPED run was skipped and what to do about it; undefined for other runs. */
export function skipText(run) {
  if (run.status !== 'SKIPPED') return undefined;
  const code = run.skipReason?.code;
  return {
    code: code ?? 'SKIPPED',
    reason: SKIP_REASONS[code] ?? `Skipped${run.skipReason ? `: ${run.skipReason.message}` : '.'}`,
    remedy: `Nothing ran for this date. To run it now: reset this run, then run it again (attempt ${run.attempt + 1}).`,
  };
}

/** A run's item and job counts in one line; a skipped run says nothing ran. */
export function runStatsText(run, formatCount) {
  if (run.status === 'SKIPPED') return `Nothing ran: the run was skipped (${run.skipReason?.code ?? 'no reason given'}).`;
  const { items, jobs } = run.stats;
  return `${formatCount(items.total)} items: ${formatCount(items.succeeded)} succeeded · ${formatCount(items.failed)} failed · ${formatCount(items.pending)} pending · jobs ${jobs.completed}/${jobs.total} completed`;
}

/**
 * How a job of the run reads now. A job that is still PENDING in a run that has ended never
 * started (and will not, unless the run is reprocessed); the jobs of a reset run are history.
 */
export function jobState(run, job) {
  if (run.status === 'RESET') return { status: 'RESET', word: 'Reset', note: `${job.status === 'PENDING' ? 'Not started' : statusWord(job.status)} when the run was reset` };
  if (job.status === 'PENDING' && !isActive(run.status)) return { status: 'NOT_STARTED', word: 'Not started' };
  return { status: job.status, word: statusWord(job.status) };
}

/** Execution n of the attempt, from its execution name (`run_…-x3`): each reprocess starts the next. */
export function passOf(run) {
  const match = /-x(\d+)$/.exec(run.executionName ?? '');
  return match ? Number(match[1]) : 1;
}
