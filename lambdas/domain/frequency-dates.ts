import { assertNever } from './assert-never';
import { civilDate, daysInMonth, epochDay, formatIsoDate, isoWeekday } from './calendar-dates';
import { requireDay } from './calendar-input';
import { cronMatchesDay, MIN_CRON_YEAR, nextCronDay, parseCron, type CronExpression } from './cron-expression';
import { DAYS_OF_WEEK, type Frequency } from './model';

/*
 * Which local dates a frequency makes due, on epoch days, before any business-day rule
 * (business-day-rules.ts) and any time of day: the rules are CalendarSpec's, in schedule-calendar.ts.
 */

const cronCache = new Map<string, CronExpression>();

/** Parses through a small cache: the same few expressions are evaluated over and over. */
export function cronOf(expression: string): CronExpression {
  let cron = cronCache.get(expression);
  if (!cron) {
    cron = parseCron(expression);
    if (cronCache.size >= 500) cronCache.clear();
    cronCache.set(expression, cron);
  }
  return cron;
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
export function nextDueDay(frequency: Frequency, from: number): number | undefined {
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

/** Whether a schedule with this frequency runs on a local date (YYYY-MM-DD). MANUAL never does. */
export function isDue(frequency: Frequency, localDate: string): boolean {
  return isDueDay(frequency, requireDay(localDate));
}

/** The first due local date on or after `localDate`, or undefined (MANUAL, a CRON that has no more). */
export function nextDueDate(frequency: Frequency, localDate: string): string | undefined {
  const day = nextDueDay(frequency, requireDay(localDate));
  return day === undefined ? undefined : formatIsoDate(day);
}
