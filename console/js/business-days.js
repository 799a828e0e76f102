import { catalogue } from './catalogue.js';
import { daysOfMonth, isIsoDate, weekdayIndex } from './format.js';

/**
 * A business-day calendar as the console reads it (API.md "Business-day calendars"): weekend days
 * and holidays, the year seen month by month. Pure functions (no DOM), unit-tested in Node.
 */

/** The API's weekday code of a date: the catalogue lists the weekdays from Monday, as weekdayIndex counts. */
export function dayCodeOf(date) {
  return catalogue().weekdays[weekdayIndex(date)].value;
}

/** How a date reads in the calendar: 'holiday', 'weekend' or 'business'. */
export function dayKind(calendar, date) {
  if (calendar.holidays?.includes(date)) return 'holiday';
  if (calendar.weekend?.includes(dayCodeOf(date))) return 'weekend';
  return 'business';
}

/** The twelve months of `year`, each `{ month: 'YYYY-MM', days: [{ date, kind }], businessDays }`. */
export function yearView(calendar, year) {
  return Array.from({ length: 12 }, (_, index) => {
    const month = `${year}-${String(index + 1).padStart(2, '0')}`;
    const days = daysOfMonth(month).map((date) => ({ date, kind: dayKind(calendar, date) }));
    return { month, days, businessDays: days.filter((day) => day.kind === 'business').length };
  });
}

/**
 * Holidays as people type them: dates separated by commas, spaces or new lines. `{ dates, invalid }`:
 * dates sorted without duplicates, invalid the entries that are not a YYYY-MM-DD date.
 */
export function parseHolidays(text) {
  const entries = String(text ?? '')
    .split(/[\s,;]+/)
    .filter(Boolean);
  const invalid = entries.filter((entry) => !isIsoDate(entry));
  const dates = [...new Set(entries.filter((entry) => isIsoDate(entry)))].sort();
  return { dates, invalid };
}
