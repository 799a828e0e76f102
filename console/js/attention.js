import { addDays } from './format.js';

/**
 * What needs a person (issue 13): failed runs, runs past their deadline, occurrences that were
 * missed. Pure functions (no DOM), unit-tested in Node; the Needs attention screen and the
 * schedule × date grid draw with them.
 */

/** Why a run needs a person, most pressing first; empty when it does not. A reset run is history. */
export function attentionReasons(run) {
  if (run.status === 'RESET') return [];
  const reasons = [];
  if (run.status === 'FAILED') reasons.push('FAILED');
  if (run.late === true) reasons.push('LATE');
  if (run.status === 'SKIPPED' && run.skipReason?.code === 'MISSED') reasons.push('MISSED');
  return reasons;
}

/** The runs that need a person, oldest processing date first (the longest waiting is read first). */
export function needsAttention(runs) {
  return runs
    .filter((run) => attentionReasons(run).length > 0)
    .sort((a, b) => a.processingDate.localeCompare(b.processingDate) || String(a.createdAt).localeCompare(String(b.createdAt)) || a.clientId.localeCompare(b.clientId));
}

/** The dates from `days - 1` days before `today` up to `today`, oldest first. */
export function lastDays(today, days) {
  return Array.from({ length: days }, (_, index) => addDays(today, index - days + 1));
}

/**
 * The schedule × date grid: a row per schedule, a cell per date holding the date's current run
 * (the attempt that is not RESET; the newest when every attempt was reset), or undefined.
 */
export function runGrid(schedules, runs, dates) {
  const byKey = new Map();
  for (const run of runs) {
    const key = `${run.scheduleId}|${run.processingDate}`;
    const held = byKey.get(key);
    if (!held || currentOf(run, held) === run) byKey.set(key, run);
  }
  return schedules.map((schedule) => ({ schedule, cells: dates.map((date) => ({ date, run: byKey.get(`${schedule.scheduleId}|${date}`) })) }));
}

function currentOf(a, b) {
  if ((a.status === 'RESET') !== (b.status === 'RESET')) return a.status === 'RESET' ? b : a;
  return a.attempt >= b.attempt ? a : b;
}
