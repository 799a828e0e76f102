import { businessDayProblems, dueDaysOf, type DueDateRules } from './business-day-rules';
import { epochDay, formatIsoDate, parseLocalTime } from './calendar-dates';
import { describeDetails, requireDay, requireInstant, requireLocalTime, requireZone } from './calendar-input';
import { formatInstant, localDayOf, resolveLocal, zoneOf } from './calendar-zone';
import { MIN_CRON_YEAR, nextCronDay, parseCron } from './cron-expression';
import { ValidationError, type ErrorDetail } from './errors';
import { exceptionWindowProblems } from './exception-windows';
import { cronOf } from './frequency-dates';
import type { ExceptionWindow } from './model';

/**
 * When schedules are due. Pure: no AWS, no I/O; the API's nextRuns and schedule preview, the
 * schedulers and BeginRun all ask this module, so they can never disagree.
 *
 * Semantics (DESIGN.md §3):
 * - A frequency decides which local dates are due (`isDue`, in frequency-dates.ts); the
 *   occurrence of a due date is its executionTime, wall-clock time in the schedule's zone. CRON
 *   carries its own times and ignores executionTime; its time zone still applies. MANUAL is never due.
 * - MONTHLY day 29-31 clamps to the month's last day. MONTH_END offsetDays counts back from the
 *   last day (2 = two days before it: the 26th of a common-year February). QUARTER_END is the
 *   same in March, June, September and December; YEAR_END in December.
 * - DST: a wall time that does not exist (spring forward) runs at the first valid instant after
 *   it (the instant the clocks jump: 02:30 → 03:00); a wall time that exists twice (fall back)
 *   runs once, at the earlier instant. Several CRON times falling into one gap run once. A date
 *   the zone skips entirely, or whose time falls in a gap that runs into the next date, has no
 *   occurrence (Pacific/Apia skipped 2011-12-30). The processing date is always the local date
 *   of the occurrence.
 * - Business days (a client's calendar, passed in as `businessCalendar`): MONTH_END, QUARTER_END
 *   and YEAR_END with offsetUnit BUSINESS_DAYS are due on the offsetDays-th business day before
 *   the period's last business day (a period without that many has none). Then `nonBusinessDay`
 *   applies to every due date on a weekend day or holiday: RUN it, SKIP it, or move it to the
 *   PREVIOUS or NEXT business day; dates that land on one day are one occurrence, on that day.
 *
 * Its parts: frequency-dates.ts (the dates a frequency makes due), business-day-rules.ts,
 * exception-windows.ts, and scheduled-time.ts (the occurrence a scheduler's fire stands for).
 */
export interface CalendarSpec extends DueDateRules {
  /** HH:MM:SS, wall-clock time in `timezone`. */
  executionTime: string;
  timezone: string;
}

export interface Occurrence {
  /** The local date (YYYY-MM-DD) in the schedule's zone: the run's processing date. */
  processingDate: string;
  /** The UTC instant the occurrence fires, ISO-8601. */
  at: string;
}

/**
 * The UTC instant of a local date and wall time in a zone, by the DST rule above: a time in a
 * spring-forward gap gives the first valid instant after it, a repeated time its earlier instant.
 */
export function localTimeToInstant(localDate: string, localTime: string, timezone: string): Date {
  const seconds = requireLocalTime(localTime);
  return new Date(resolveLocal(requireZone(timezone), requireDay(localDate), seconds, 'earliest'));
}

/**
 * Every occurrence strictly after `after`, in increasing order, lazily: take what you need.
 * Ends for MANUAL and for a CRON expression with no further matching date (the last year
 * EventBridge accepts is 2199); runs on for every other frequency.
 */
export function* occurrencesAfter(spec: CalendarSpec, after: Date): Generator<Occurrence, void, undefined> {
  const { frequency } = spec;
  let last = requireInstant(after, 'from');
  if (frequency.type === 'MANUAL') return;
  const zone = requireZone(spec.timezone);
  const times: readonly number[] = frequency.type === 'CRON' ? cronOf(frequency.expression).secondsOfDay : [requireLocalTime(spec.executionTime)];
  const nextDay = dueDaysOf(spec);
  // The day before the local date of `after`: a local date can repeat across a fall-back at midnight.
  let day = nextDay(localDayOf(zone, last) - 1);
  while (day !== undefined) {
    const dueDay = day;
    const instantOf = (index: number): number => resolveLocal(zone, dueDay, times[index] as number, 'earliest');
    // The instants of one date's wall times never decrease, so bisect past `last` (a CRON can
    // have 1,440 times a day).
    let low = 0;
    let high = times.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (instantOf(middle) <= last) low = middle + 1;
      else high = middle;
    }
    for (let index = low; index < times.length; index++) {
      const at = instantOf(index);
      if (at <= last || localDayOf(zone, at) !== dueDay) continue;
      last = at;
      yield { processingDate: formatIsoDate(dueDay), at: formatInstant(at) };
    }
    day = nextDay(dueDay + 1);
  }
}

/** The next `count` occurrences strictly after `after` (fewer when the schedule has no more). */
export function nextOccurrences(spec: CalendarSpec, after: Date, count: number): Occurrence[] {
  const result: Occurrence[] = [];
  const wanted = Math.floor(count);
  if (!(wanted >= 1)) return result;
  for (const occurrence of occurrencesAfter(spec, after)) {
    result.push(occurrence);
    if (result.length >= wanted) break;
  }
  return result;
}

/** The processing date of an instant: its local date in the schedule's zone. */
export function processingDateOf(instant: Date, timezone: string): string {
  return formatIsoDate(localDayOf(requireZone(timezone), requireInstant(instant, 'instant')));
}

/**
 * Validates what the calendar needs of a schedule, so the API can answer 400 with details: the
 * time zone, executionTime, the CRON expression (`frequency.expression`; also refused when it
 * can never fire, like `0 0 30 FEB ? *`) and the exception windows.
 */
export function validateCalendarSpec(spec: CalendarSpec & { exceptionWindows?: readonly ExceptionWindow[] }): void {
  const details: ErrorDetail[] = [];
  if (!zoneOf(spec.timezone)) details.push({ path: 'timezone', message: `"${spec.timezone}" is not an IANA time zone such as America/New_York` });
  if (parseLocalTime(spec.executionTime) === undefined) details.push({ path: 'executionTime', message: 'a local time HH:MM:SS' });
  const { frequency } = spec;
  if (frequency.type === 'CRON') {
    try {
      const cron = parseCron(frequency.expression, 'frequency.expression');
      if (nextCronDay(cron, epochDay(MIN_CRON_YEAR, 1, 1)) === undefined) {
        details.push({ path: 'frequency.expression', message: `"${frequency.expression}" never fires: no date matches it` });
      }
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      details.push(...error.details);
    }
  }
  details.push(...exceptionWindowProblems(spec.exceptionWindows ?? []));
  if (details.length === 0) details.push(...businessDayProblems(spec));
  if (details.length > 0) throw new ValidationError(`Invalid schedule: ${describeDetails(details)}`, details);
}
