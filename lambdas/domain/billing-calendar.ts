import { civilDate, daysInMonth, epochDay, formatIsoDate, parseIsoDate } from './calendar-dates';
import { ValidationError } from './errors';

/**
 * When an account is billed, and for which period: the 28/31-day rules.
 *
 * An account with anniversary day A is billed once a month, on its bill date: day A, or the
 * month's last day when the month is shorter than A (29, 30 and 31 in February; 31 in a 30-day
 * month). The period a bill closes is named by the bill date's month (YYYY-MM) and runs from the
 * day after the previous month's bill date through the bill date. Because every account has
 * exactly one bill date per month, the due days of a month's dates partition 1..31: whatever
 * order the dates are processed in, and however often, each account is due once per period.
 */

export interface BillingPeriod {
  /** YYYY-MM of the bill date: with the account, the key of the period's one invoice. */
  periodId: string;
  /** First usage date the period covers (the day after the previous bill date). */
  start: string;
  /** The bill date, the period's last usage date. */
  end: string;
}

function epochDayOf(date: string): number {
  const day = parseIsoDate(date);
  if (day === undefined) throw new ValidationError(`${date} is not a calendar date (YYYY-MM-DD)`);
  return day;
}

function checkAnniversaryDay(anniversaryDay: number): void {
  if (!Number.isInteger(anniversaryDay) || anniversaryDay < 1 || anniversaryDay > 31) {
    throw new ValidationError(`anniversary day ${anniversaryDay} is not a day of the month 1-31`);
  }
}

/** The anniversary days billed on a date: its own day, plus every later day when it is the month's last. */
export function dueAnniversaryDays(processingDate: string): number[] {
  const { year, month, day } = civilDate(epochDayOf(processingDate));
  const last = daysInMonth(year, month);
  if (day < last) return [day];
  return Array.from({ length: 31 - day + 1 }, (_, i) => day + i);
}

/** The epoch day an account with this anniversary day is billed on in a month. */
function billDay(anniversaryDay: number, year: number, month: number): number {
  return epochDay(year, month, Math.min(anniversaryDay, daysInMonth(year, month)));
}

/** Whether an account with this anniversary day is billed on the date. */
export function isBillDate(anniversaryDay: number, date: string): boolean {
  checkAnniversaryDay(anniversaryDay);
  const day = epochDayOf(date);
  const { year, month } = civilDate(day);
  return billDay(anniversaryDay, year, month) === day;
}

function periodEndingOn(anniversaryDay: number, year: number, month: number): BillingPeriod {
  const end = billDay(anniversaryDay, year, month);
  const previous = month === 1 ? billDay(anniversaryDay, year - 1, 12) : billDay(anniversaryDay, year, month - 1);
  return {
    periodId: `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}`,
    start: formatIsoDate(previous + 1),
    end: formatIsoDate(end),
  };
}

/** The period an account billed on `billDate` closes. */
export function billingPeriod(anniversaryDay: number, billDate: string): BillingPeriod {
  checkAnniversaryDay(anniversaryDay);
  const { year, month } = civilDate(epochDayOf(billDate));
  return periodEndingOn(anniversaryDay, year, month);
}

/** The period whose invoice covers usage on `usageDate`: this month's if on or before the bill date, else next month's. */
export function periodContaining(anniversaryDay: number, usageDate: string): BillingPeriod {
  checkAnniversaryDay(anniversaryDay);
  const day = epochDayOf(usageDate);
  const { year, month } = civilDate(day);
  if (day <= billDay(anniversaryDay, year, month)) return periodEndingOn(anniversaryDay, year, month);
  return month === 12 ? periodEndingOn(anniversaryDay, year + 1, 1) : periodEndingOn(anniversaryDay, year, month + 1);
}

/** The date after `date` (YYYY-MM-DD). */
export function nextDate(date: string): string {
  return formatIsoDate(epochDayOf(date) + 1);
}
