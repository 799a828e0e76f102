import { entryOf } from './catalogue.js';
import { formatInstant, isActive, statusWord } from './format.js';

/**
 * What a run's state means to an operator: why it waits, why it was skipped and what to do, how a
 * job that never started reads. Pure functions (no DOM), unit-tested in Node. The reasons' words
 * come from the API's catalogue; a reason it does not know shows the run's own message.
 */

/** Why the run waits, in words; undefined when it does not. A run from before reasons existed waited for a window. */
export function waitingText(run, timezone) {
  const until = run.waitingUntil ? formatInstant(run.waitingUntil, timezone) : undefined;
  const code = run.waitingReason?.code ?? (run.waitingUntil ? 'EXCEPTION_WINDOW' : undefined);
  if (!code) return undefined;
  const reason = entryOf('waitingReasons', code);
  if (!reason) return `Waiting (${code}): ${run.waitingReason?.message ?? ''}`;
  return until ? `${reason.words} ${reason.until} ${until}.` : reason.words;
}

/** Why a SKIPPED run was skipped and what to do about it; undefined for other runs. */
export function skipText(run) {
  if (run.status !== 'SKIPPED') return undefined;
  const code = run.skipReason?.code;
  return {
    code: code ?? 'SKIPPED',
    reason: entryOf('skipReasons', code)?.words ?? `Skipped${run.skipReason ? `: ${run.skipReason.message}` : '.'}`,
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

/**
 * The job an operator must start, when the run waits at one (waitingReason MANUAL_JOB): the
 * reason's own seq when it names one, otherwise the first job that has not started.
 */
export function manualJobOf(run) {
  if (run.waitingReason?.code !== 'MANUAL_JOB' || !isActive(run.status)) return undefined;
  const seq = run.waitingReason.seq ?? run.jobs.find((job) => job.status === 'PENDING')?.seq;
  return run.jobs.find((job) => job.seq === seq);
}
