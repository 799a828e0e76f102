import { isoWeekday, parseIsoDate } from './calendar-dates';
import { DAYS_OF_WEEK, type DayOfWeek } from './model';

/** What the calendar module needs of a client's calendar: its weekend days and holidays (YYYY-MM-DD). */
export interface BusinessCalendar {
  weekend: readonly DayOfWeek[];
  holidays: readonly string[];
}

/**
 * Business days of one calendar, on epoch days. A weekend never covers the whole week (the
 * schema refuses it) and holidays are finite, so a business day is at most
 * `7 * (holidays + 1)` days away in either direction; the bound only guards unvalidated input.
 */
export class BusinessDays {
  private readonly weekend: ReadonlySet<number>;
  private readonly holidays: ReadonlySet<number>;
  private readonly maxSearch: number;

  constructor(calendar: BusinessCalendar) {
    this.weekend = new Set(calendar.weekend.map((day) => DAYS_OF_WEEK.indexOf(day) + 1));
    this.holidays = new Set(calendar.holidays.flatMap((date) => parseIsoDate(date) ?? []));
    this.maxSearch = 7 * (this.holidays.size + 1);
  }

  isBusinessDay(day: number): boolean {
    return !this.weekend.has(isoWeekday(day)) && !this.holidays.has(day);
  }

  /** The latest business day on or before `day`; undefined only for a calendar without business days. */
  onOrBefore(day: number): number | undefined {
    for (let step = 0; step <= this.maxSearch; step++) if (this.isBusinessDay(day - step)) return day - step;
    return undefined;
  }

  /** The earliest business day on or after `day`; undefined only for a calendar without business days. */
  onOrAfter(day: number): number | undefined {
    for (let step = 0; step <= this.maxSearch; step++) if (this.isBusinessDay(day + step)) return day + step;
    return undefined;
  }

  /**
   * The `offset`-th business day before the last business day of [first, last] (offset 0: the
   * last business day itself), or undefined when the range has no more than `offset` business days.
   */
  fromEnd(first: number, last: number, offset: number): number | undefined {
    let remaining = offset;
    for (let day = last; day >= first; day--) {
      if (!this.isBusinessDay(day)) continue;
      if (remaining === 0) return day;
      remaining--;
    }
    return undefined;
  }

  /** How many business days [first, last] has. */
  countBetween(first: number, last: number): number {
    let count = 0;
    for (let day = first; day <= last; day++) if (this.isBusinessDay(day)) count++;
    return count;
  }
}
