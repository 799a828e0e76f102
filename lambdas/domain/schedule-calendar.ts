import type { IANAZone } from 'luxon';
import { assertNever } from './assert-never';
import { BusinessDays, type BusinessCalendar } from './business-calendar';
import { civilDate, daysInMonth, epochDay, formatIsoDate, formatLocalTime, isoWeekday, parseIsoDate, parseLocalTime } from './calendar-dates';
import { formatInstant, localDayOf, resolveLocal, zoneOf } from './calendar-zone';
import { cronMatchesDay, MIN_CRON_YEAR, nextCronDay, parseCron, type CronExpression } from './cron-expression';
import { ValidationError, type ErrorDetail } from './errors';
import { DAYS_OF_WEEK, type ExceptionWindow, type Frequency, type NonBusinessDayRule } from './model';

/**
 * When schedules are due. Pure: no AWS, no I/O; the API's nextRuns and schedule preview, the
 * schedulers and BeginRun all ask this module, so they can never disagree.
 *
 * Semantics (DESIGN.md §3):
 * - A frequency decides which local dates are due (`isDue`); the occurrence of a due date is its
 *   executionTime, wall-clock time in the schedule's zone. CRON carries its own times and ignores
 *   executionTime; its time zone still applies. MANUAL is never due.
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
 */
export interface CalendarSpec {
  frequency: Frequency;
  /** HH:MM:SS, wall-clock time in `timezone`. */
  executionTime: string;
  timezone: string;
  /** The calendar the schedule's calendarId names, loaded by the caller: this module does no I/O. */
  businessCalendar?: BusinessCalendar;
  /** With a businessCalendar. @default 'RUN' */
  nonBusinessDay?: NonBusinessDayRule;
}

export interface Occurrence {
  /** The local date (YYYY-MM-DD) in the schedule's zone: the run's processing date. */
  processingDate: string;
  /** The UTC instant the occurrence fires, ISO-8601. */
  at: string;
}

/** How far, by default, a scheduler's fire time may be after the occurrence it stands for. */
export const SCHEDULED_TIME_LATE_TOLERANCE_MS = 3_600_000;

const cronCache = new Map<string, CronExpression>();

/** Parses through a small cache: the same few expressions are evaluated over and over. */
function cronOf(expression: string): CronExpression {
  let cron = cronCache.get(expression);
  if (!cron) {
    cron = parseCron(expression);
    if (cronCache.size >= 500) cronCache.clear();
    cronCache.set(expression, cron);
  }
  return cron;
}

function requireZone(timezone: string, path = 'timezone'): IANAZone {
  const zone = zoneOf(timezone);
  if (!zone) {
    throw new ValidationError(`Unknown time zone "${timezone}"`, [{ path, message: 'an IANA time zone such as America/New_York' }]);
  }
  return zone;
}

function requireDay(localDate: string): number {
  const day = parseIsoDate(localDate);
  if (day === undefined) {
    throw new ValidationError(`Not a calendar date: "${localDate}"`, [{ path: 'processingDate', message: 'a date YYYY-MM-DD' }]);
  }
  return day;
}

function requireInstant(instant: Date, path: string): number {
  const ms = instant instanceof Date ? instant.getTime() : Number.NaN;
  if (Number.isNaN(ms)) throw new ValidationError(`Not a valid instant: ${String(instant)}`, [{ path, message: 'a valid date-time' }]);
  return ms;
}

/** The frequencies whose due date is a day of the month. */
type MonthBasedFrequency = Extract<Frequency, { type: 'MONTHLY' | 'MONTH_END' | 'QUARTER_END' | 'YEAR_END' }>;

/** The due day of a month for a month-based frequency, undefined when the month has none. */
function dueDayOfMonth(frequency: MonthBasedFrequency, year: number, month: number): number | undefined {
  const lastDay = daysInMonth(year, month);
  const beforeEnd = (offsetDays: number | undefined): number => Math.max(1, lastDay - (offsetDays ?? 0));
  switch (frequency.type) {
    case 'MONTHLY':
      return Math.min(frequency.dayOfMonth, lastDay);
    case 'MONTH_END':
      return beforeEnd(frequency.offsetDays);
    case 'QUARTER_END':
      return month % 3 === 0 ? beforeEnd(frequency.offsetDays) : undefined;
    case 'YEAR_END':
      return month === 12 ? beforeEnd(frequency.offsetDays) : undefined;
    default:
      return assertNever(frequency);
  }
}

function isDueDay(frequency: Frequency, day: number): boolean {
  switch (frequency.type) {
    case 'DAILY':
      return true;
    case 'WEEKLY':
      return isoWeekday(day) === DAYS_OF_WEEK.indexOf(frequency.dayOfWeek) + 1;
    case 'CRON':
      return cronMatchesDay(cronOf(frequency.expression), day);
    case 'MANUAL':
      return false;
    case 'MONTHLY':
    case 'MONTH_END':
    case 'QUARTER_END':
    case 'YEAR_END': {
      const { year, month, day: dayOfMonth } = civilDate(day);
      return dueDayOfMonth(frequency, year, month) === dayOfMonth;
    }
    default:
      return assertNever(frequency);
  }
}

/** The first due day on or after `from` (epoch days); jumps straight to it, never day by day. */
function nextDueDay(frequency: Frequency, from: number): number | undefined {
  switch (frequency.type) {
    case 'DAILY':
      return from;
    case 'WEEKLY':
      return from + ((DAYS_OF_WEEK.indexOf(frequency.dayOfWeek) + 1 - isoWeekday(from) + 7) % 7);
    case 'CRON':
      return nextCronDay(cronOf(frequency.expression), Math.max(from, epochDay(MIN_CRON_YEAR, 1, 1)));
    case 'MANUAL':
      return undefined;
    case 'MONTHLY':
    case 'MONTH_END':
    case 'QUARTER_END':
    case 'YEAR_END': {
      let { year, month } = civilDate(from);
      // Every month-based frequency has a due day at least once a year.
      for (let step = 0; step < 13; step++) {
        const dayOfMonth = dueDayOfMonth(frequency, year, month);
        if (dayOfMonth !== undefined && epochDay(year, month, dayOfMonth) >= from) return epochDay(year, month, dayOfMonth);
        [year, month] = month === 12 ? [year + 1, 1] : [year, month + 1];
      }
      return undefined;
    }
    default:
      return assertNever(frequency);
  }
}

/** The last year any occurrence is computed for: EventBridge's last cron year, and far past every holiday. */
const LAST_CALENDAR_DAY = epochDay(2199, 12, 31);

type PeriodEndFrequency = Extract<Frequency, { type: 'MONTH_END' | 'QUARTER_END' | 'YEAR_END' }>;

function countsBusinessDays(frequency: Frequency): frequency is PeriodEndFrequency {
  return (frequency.type === 'MONTH_END' || frequency.type === 'QUARTER_END' || frequency.type === 'YEAR_END') && frequency.offsetUnit === 'BUSINESS_DAYS';
}

/** The first day of the period that ends with `month`, or undefined when no period of the frequency ends then. */
function periodStart(frequency: PeriodEndFrequency, year: number, month: number): number | undefined {
  switch (frequency.type) {
    case 'MONTH_END':
      return epochDay(year, month, 1);
    case 'QUARTER_END':
      return month % 3 === 0 ? epochDay(year, month - 2, 1) : undefined;
    case 'YEAR_END':
      return month === 12 ? epochDay(year, 1, 1) : undefined;
    default:
      return assertNever(frequency);
  }
}

/** The first business-day offset due day on or after `from`: period by period, each at most a year away. */
function nextBusinessOffsetDay(frequency: PeriodEndFrequency, days: BusinessDays, from: number): number | undefined {
  let { year, month } = civilDate(from);
  while (epochDay(year, month, 1) <= LAST_CALENDAR_DAY) {
    const first = periodStart(frequency, year, month);
    if (first !== undefined) {
      const due = days.fromEnd(first, epochDay(year, month, daysInMonth(year, month)), frequency.offsetDays);
      if (due !== undefined && due >= from) return due;
    }
    [year, month] = month === 12 ? [year + 1, 1] : [year, month + 1];
  }
  return undefined;
}

/**
 * The due-day function of a spec: the first local date on or after an epoch day that has an
 * occurrence, with the business-day offset and the non-business-day rule applied. Moving a date
 * never reorders dates (an earlier date never moves past a later one), so walking the
 * frequency's dates in order and dropping those that land before `from` is exact.
 */
function dueDaysOf(spec: CalendarSpec): (from: number) => number | undefined {
  const { frequency, businessCalendar } = spec;
  if (!businessCalendar) {
    if (countsBusinessDays(frequency)) {
      throw new ValidationError('offsetUnit BUSINESS_DAYS needs a calendar', [{ path: 'frequency.offsetUnit', message: 'BUSINESS_DAYS needs a calendar: name one in calendarId' }]);
    }
    return (from) => nextDueDay(frequency, from);
  }
  const days = new BusinessDays(businessCalendar);
  const base = countsBusinessDays(frequency) ? (from: number) => nextBusinessOffsetDay(frequency, days, from) : (from: number) => nextDueDay(frequency, from);
  const rule = spec.nonBusinessDay ?? 'RUN';
  if (rule === 'RUN') return base;
  const moved = (day: number): number | undefined => {
    switch (rule) {
      case 'SKIP':
        return days.isBusinessDay(day) ? day : undefined;
      case 'PREVIOUS':
        return days.onOrBefore(day);
      case 'NEXT':
        return days.onOrAfter(day);
      default:
        return assertNever(rule);
    }
  };
  return (from) => {
    // NEXT: a due date after the last business day before `from` may move onto `from` or later.
    let candidate = rule === 'NEXT' ? (days.onOrBefore(from - 1) ?? from - 1) + 1 : from;
    while (candidate <= LAST_CALENDAR_DAY) {
      const due = base(candidate);
      if (due === undefined) return undefined;
      const day = moved(due);
      if (day !== undefined && day >= from) return day;
      candidate = due + 1;
    }
    return undefined;
  };
}

/** Whether a schedule with this frequency runs on a local date (YYYY-MM-DD). MANUAL never does. */
export function isDue(frequency: Frequency, localDate: string): boolean {
  return isDueDay(frequency, requireDay(localDate));
}

/** The first due local date on or after `localDate`, or undefined (MANUAL, a CRON that has no more). */
export function nextDueDate(frequency: Frequency, localDate: string): string | undefined {
  const day = nextDueDay(frequency, requireDay(localDate));
  return day === undefined ? undefined : formatIsoDate(day);
}

/**
 * The UTC instant of a local date and wall time in a zone, by the DST rule above: a time in a
 * spring-forward gap gives the first valid instant after it, a repeated time its earlier instant.
 */
export function localTimeToInstant(localDate: string, localTime: string, timezone: string): Date {
  const seconds = parseLocalTime(localTime);
  if (seconds === undefined) throw new ValidationError(`Not a local time: "${localTime}"`, [{ path: 'executionTime', message: 'a local time HH:MM:SS' }]);
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
  let times: readonly number[];
  if (frequency.type === 'CRON') {
    times = cronOf(frequency.expression).secondsOfDay;
  } else {
    const seconds = parseLocalTime(spec.executionTime);
    if (seconds === undefined) {
      throw new ValidationError(`Not a local time: "${spec.executionTime}"`, [{ path: 'executionTime', message: 'a local time HH:MM:SS' }]);
    }
    times = [seconds];
  }
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

export interface ScheduledTimeOptions {
  /** How long after an occurrence a fire still stands for it. @default SCHEDULED_TIME_LATE_TOLERANCE_MS (1 hour) */
  lateToleranceMs?: number;
}

/**
 * The occurrence a scheduler's fire at `scheduledTime` stands for, or undefined when there is
 * none (the date is not due, or the fire is too far from any occurrence): BeginRun creates a run
 * for its processing date, or skips.
 *
 * Which occurrence: one in the same minute as the fire, else the latest one before it, at most
 * `lateToleranceMs` (one hour by default) before.
 * - Same minute, even if a few seconds later than the fire: EventBridge schedules have minute
 *   precision, so an executionTime of 02:30:15 fires with scheduled time 02:30:00.
 * - Late: a fire can be delivered late (retries, a scheduler catching up, a caller passing the
 *   time it ran rather than the time it was scheduled). The default stays well below a day so a
 *   daily trigger on a date that is not due never maps to the previous day's occurrence.
 * The processing date is the occurrence's, not the fire's local date: a 23:59:30 occurrence
 * fired at 00:00:10 still runs for the day before.
 */
export function occurrenceForScheduledTime(spec: CalendarSpec, scheduledTime: Date, options: ScheduledTimeOptions = {}): Occurrence | undefined {
  const fired = requireInstant(scheduledTime, 'scheduledTime');
  const earliest = fired - Math.max(0, options.lateToleranceMs ?? SCHEDULED_TIME_LATE_TOLERANCE_MS);
  const minuteStart = fired - (((fired % 60_000) + 60_000) % 60_000);
  let latestBefore: Occurrence | undefined;
  for (const occurrence of occurrencesAfter(spec, new Date(Math.min(earliest, minuteStart) - 1))) {
    const at = Date.parse(occurrence.at);
    if (at >= minuteStart + 60_000) break;
    if (at >= minuteStart) return occurrence;
    if (at >= earliest) latestBefore = occurrence;
  }
  return latestBefore;
}

interface ParsedWindow {
  start: number;
  end: number;
}

function parseWindows(windows: readonly ExceptionWindow[]): ParsedWindow[] {
  return windows.flatMap((window) => {
    const start = parseLocalTime(window.start);
    const end = parseLocalTime(window.end);
    return start === undefined || end === undefined || start === end ? [] : [{ start, end }];
  });
}

/**
 * If `instant` falls inside one of the exception windows, the instant that window ends (after
 * windows that follow back to back or overlap, the end of the last one); otherwise undefined.
 *
 * A window is local wall-clock times, start inclusive, end exclusive, wrapping midnight when end
 * < start. On a local date it covers the instants from the first moment the wall clock shows
 * `start` to the last moment it shows `end`, times in a gap moving to the first valid instant
 * after them. So on a fall-back day a window 00:30-01:30 lasts two real hours, covering both
 * passes through 01:00-01:30 (no job starts while the wall clock reads inside the window), and
 * on a spring-forward day a window 01:00-02:30 ends when the clocks jump to 03:00.
 */
export function exceptionWindowEnd(windows: readonly ExceptionWindow[], instant: Date, timezone: string): Date | undefined {
  const parsed = parseWindows(windows);
  if (parsed.length === 0) return undefined;
  const zone = requireZone(timezone);
  const endOfWindowsAround = (ms: number): number | undefined => {
    let end: number | undefined;
    const today = localDayOf(zone, ms);
    for (let day = today - 1; day <= today + 1; day++) {
      for (const window of parsed) {
        const startsAt = resolveLocal(zone, day, window.start, 'earliest');
        const endsAt = resolveLocal(zone, window.end < window.start ? day + 1 : day, window.end, 'latest');
        if (startsAt <= ms && ms < endsAt && (end === undefined || endsAt > end)) end = endsAt;
      }
    }
    return end;
  };
  let end = endOfWindowsAround(requireInstant(instant, 'instant'));
  if (end === undefined) return undefined;
  // Each hop moves past one window; validated windows never cover the whole day, so this ends
  // within one turn of the clock. The bound only protects against unvalidated input.
  for (let hop = 0; hop <= 2 * parsed.length + 2; hop++) {
    const next = endOfWindowsAround(end);
    if (next === undefined) break;
    end = next;
  }
  return new Date(end);
}

const SECONDS_PER_DAY = 86_400;

/** A window as arcs of the day's seconds, [from, to). */
function arcsOf(window: ParsedWindow): Array<[number, number]> {
  return window.start < window.end
    ? [[window.start, window.end]]
    : [
        [window.start, SECONDS_PER_DAY],
        [0, window.end],
      ];
}

/** The problems of a list of exception windows, as error details (empty when valid). */
export function exceptionWindowProblems(windows: readonly ExceptionWindow[], path = 'exceptionWindows'): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  const parsed: Array<ParsedWindow | undefined> = windows.map((window, index) => {
    const start = parseLocalTime(window.start);
    const end = parseLocalTime(window.end);
    if (start === undefined) details.push({ path: `${path}[${index}].start`, message: 'a local time HH:MM:SS' });
    if (end === undefined) details.push({ path: `${path}[${index}].end`, message: 'a local time HH:MM:SS' });
    if (start === undefined || end === undefined) return undefined;
    if (start === end) {
      details.push({ path: `${path}[${index}]`, message: `start and end are both ${window.start}: the window is empty` });
      return undefined;
    }
    return { start, end };
  });
  parsed.forEach((window, index) => {
    if (!window) return;
    for (let other = 0; other < index; other++) {
      const earlier = parsed[other];
      if (!earlier) continue;
      const overlaps = arcsOf(window).some(([from, to]) => arcsOf(earlier).some(([otherFrom, otherTo]) => Math.max(from, otherFrom) < Math.min(to, otherTo)));
      if (overlaps) {
        const range = `${formatLocalTime(earlier.start)}-${formatLocalTime(earlier.end)}`;
        details.push({ path: `${path}[${index}]`, message: `overlaps ${path}[${other}] (${range}); windows may touch but not overlap` });
        break;
      }
    }
  });
  if (details.length === 0) {
    const covered = parsed.reduce((sum, window) => sum + (window ? arcsOf(window).reduce((length, [from, to]) => length + to - from, 0) : 0), 0);
    if (covered >= SECONDS_PER_DAY) {
      details.push({ path, message: 'the windows cover the whole day, so no job could ever start' });
    }
  }
  return details;
}

/**
 * Throws a ValidationError (details with paths like `exceptionWindows[1]`) for a malformed or
 * empty window (start == end), for windows that overlap (also across midnight) and for windows
 * that together cover the whole day. Windows may touch: 22:00-02:00 then 02:00-03:00 chain.
 */
export function validateExceptionWindows(windows: readonly ExceptionWindow[]): void {
  const details = exceptionWindowProblems(windows);
  if (details.length > 0) throw new ValidationError(`Invalid exception windows: ${describe(details)}`, details);
}

function describe(details: readonly ErrorDetail[]): string {
  return details.map((detail) => (detail.path ? `${detail.path}: ${detail.message}` : detail.message)).join('; ');
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
  if (details.length > 0) throw new ValidationError(`Invalid schedule: ${describe(details)}`, details);
}

/** Holidays lie in 2000..2099; past them only the weekend counts, which repeats, so these periods show every case. */
const FIRST_CHECKED_YEAR = 2000;
const LAST_CHECKED_YEAR = 2099;

/**
 * A calendar's fields without a calendar, a business-day offset that some period of the
 * calendar cannot hold, and a rule under which the schedule never runs (SKIP of a weekly day
 * that is a weekend day).
 */
function businessDayProblems(spec: CalendarSpec): ErrorDetail[] {
  const { frequency, businessCalendar } = spec;
  if (!businessCalendar) {
    const details: ErrorDetail[] = [];
    if (countsBusinessDays(frequency)) details.push({ path: 'frequency.offsetUnit', message: 'BUSINESS_DAYS needs a calendar: name one in calendarId' });
    if (spec.nonBusinessDay !== undefined) details.push({ path: 'nonBusinessDay', message: 'needs a calendar: name one in calendarId' });
    return details;
  }
  if (countsBusinessDays(frequency)) {
    const days = new BusinessDays(businessCalendar);
    for (let year = FIRST_CHECKED_YEAR; year <= LAST_CHECKED_YEAR; year++) {
      for (let month = 1; month <= 12; month++) {
        const first = periodStart(frequency, year, month);
        if (first === undefined) continue;
        const count = days.countBetween(first, epochDay(year, month, daysInMonth(year, month)));
        if (frequency.offsetDays >= count) {
          const period = `the period ending ${formatIsoDate(epochDay(year, month, daysInMonth(year, month)))}`;
          return [{ path: 'frequency.offsetDays', message: `${frequency.offsetDays} business days before the last one is more than ${period} has (${count} business days)` }];
        }
      }
    }
  }
  if (frequency.type !== 'MANUAL' && dueDaysOf(spec)(epochDay(FIRST_CHECKED_YEAR, 1, 1)) === undefined) {
    return [{ path: 'nonBusinessDay', message: `with this calendar and ${spec.nonBusinessDay ?? 'RUN'} the schedule never runs` }];
  }
  return [];
}
