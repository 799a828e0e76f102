import { assertNever } from './assert-never';
import { BusinessDays, type BusinessCalendar } from './business-calendar';
import { civilDate, daysInMonth, epochDay, formatIsoDate } from './calendar-dates';
import { ValidationError, type ErrorDetail } from './errors';
import { nextDueDay } from './frequency-dates';
import type { Frequency, NonBusinessDayRule } from './model';

/*
 * A client's business days applied to a frequency's due dates: the BUSINESS_DAYS offset of the
 * period-end frequencies, then the nonBusinessDay rule (semantics at CalendarSpec, schedule-calendar.ts).
 */

/** What decides a schedule's due dates: its frequency and, with a calendar, the business-day rules. */
export interface DueDateRules {
  frequency: Frequency;
  /** The calendar the schedule's calendarId names, loaded by the caller: this module does no I/O. */
  businessCalendar?: BusinessCalendar;
  /** With a businessCalendar. @default 'RUN' */
  nonBusinessDay?: NonBusinessDayRule;
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
 * The due-day function of a schedule: the first local date on or after an epoch day that has an
 * occurrence, with the business-day offset and the non-business-day rule applied. Moving a date
 * never reorders dates (an earlier date never moves past a later one), so walking the
 * frequency's dates in order and dropping those that land before `from` is exact.
 */
export function dueDaysOf(rules: DueDateRules): (from: number) => number | undefined {
  const { frequency, businessCalendar } = rules;
  if (!businessCalendar) {
    if (countsBusinessDays(frequency)) {
      throw new ValidationError('offsetUnit BUSINESS_DAYS needs a calendar', [{ path: 'frequency.offsetUnit', message: 'BUSINESS_DAYS needs a calendar: name one in calendarId' }]);
    }
    return (from) => nextDueDay(frequency, from);
  }
  const days = new BusinessDays(businessCalendar);
  const base = countsBusinessDays(frequency) ? (from: number) => nextBusinessOffsetDay(frequency, days, from) : (from: number) => nextDueDay(frequency, from);
  const rule = rules.nonBusinessDay ?? 'RUN';
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

/** Holidays lie in 2000..2099; past them only the weekend counts, which repeats, so these periods show every case. */
const FIRST_CHECKED_YEAR = 2000;
const LAST_CHECKED_YEAR = 2099;

/**
 * A calendar's fields without a calendar, a business-day offset that some period of the
 * calendar cannot hold, and a rule under which the schedule never runs (SKIP of a weekly day
 * that is a weekend day).
 */
export function businessDayProblems(rules: DueDateRules): ErrorDetail[] {
  const { frequency, businessCalendar } = rules;
  if (!businessCalendar) {
    const details: ErrorDetail[] = [];
    if (countsBusinessDays(frequency)) details.push({ path: 'frequency.offsetUnit', message: 'BUSINESS_DAYS needs a calendar: name one in calendarId' });
    if (rules.nonBusinessDay !== undefined) details.push({ path: 'nonBusinessDay', message: 'needs a calendar: name one in calendarId' });
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
  if (frequency.type !== 'MANUAL' && dueDaysOf(rules)(epochDay(FIRST_CHECKED_YEAR, 1, 1)) === undefined) {
    return [{ path: 'nonBusinessDay', message: `with this calendar and ${rules.nonBusinessDay ?? 'RUN'} the schedule never runs` }];
  }
  return [];
}
