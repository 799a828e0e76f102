import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { DAYS_OF_WEEK, NON_BUSINESS_DAY_RULES, type DayOfWeek, type Frequency, type NonBusinessDayRule } from '../../lambdas/domain/model';
import { nextOccurrences, type CalendarSpec } from '../../lambdas/domain/schedule-calendar';
import { occurrenceForScheduledTime } from '../../lambdas/domain/scheduled-time';

/**
 * Business-day calendars against a second implementation written here, independently of the
 * module: a naive walk over every day, with plain Date arithmetic for dates and luxon for the
 * zone. Many years, zones with DST (America/New_York, Pacific/Auckland) and without
 * (Asia/Kolkata), weekends on FRI/SAT, holidays next to month ends and on the offset day.
 */

const NUM_RUNS = 300;
const ZONES = ['America/New_York', 'Asia/Kolkata', 'Pacific/Auckland', 'Europe/London', 'UTC'] as const;

// ---------------------------------------------------------------- the naive oracle

const dayMs = 86_400_000;
const plusDays = (date: string, days: number): string => new Date(Date.parse(`${date}T00:00:00Z`) + days * dayMs).toISOString().slice(0, 10);
const weekdayOf = (date: string): DayOfWeek => DAYS_OF_WEEK[(new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7] as DayOfWeek;
const lastOfMonth = (date: string): string => {
  const value = new Date(`${date}T00:00:00Z`);
  return new Date(Date.UTC(value.getUTCFullYear(), value.getUTCMonth() + 1, 0)).toISOString().slice(0, 10);
};
const monthOf = (date: string): number => Number(date.slice(5, 7));

interface NaiveCalendar {
  weekend: DayOfWeek[];
  holidays: string[];
}

const isBusiness = (calendar: NaiveCalendar, date: string): boolean => !calendar.weekend.includes(weekdayOf(date)) && !calendar.holidays.includes(date);

/** The first day of the period a period-end frequency closes with `last`, or undefined when none does. */
function periodFirstDay(type: 'MONTH_END' | 'QUARTER_END' | 'YEAR_END', last: string): string | undefined {
  const month = monthOf(last);
  if (type === 'MONTH_END') return `${last.slice(0, 7)}-01`;
  if (type === 'QUARTER_END') return month % 3 === 0 ? `${last.slice(0, 4)}-${String(month - 2).padStart(2, '0')}-01` : undefined;
  return month === 12 ? `${last.slice(0, 4)}-01-01` : undefined;
}

/** Whether the frequency is due on a date before any non-business-day rule. */
function naiveDue(frequency: Frequency, calendar: NaiveCalendar, date: string): boolean {
  const day = Number(date.slice(8, 10));
  const last = lastOfMonth(date);
  const lastDay = Number(last.slice(8, 10));
  switch (frequency.type) {
    case 'DAILY':
      return true;
    case 'WEEKLY':
      return weekdayOf(date) === frequency.dayOfWeek;
    case 'MONTHLY':
      return day === Math.min(frequency.dayOfMonth, lastDay);
    case 'MONTH_END':
    case 'QUARTER_END':
    case 'YEAR_END': {
      const first = periodFirstDay(frequency.type, last);
      if (first === undefined) return false;
      if (frequency.offsetUnit !== 'BUSINESS_DAYS') return day === lastDay - frequency.offsetDays;
      const business: string[] = [];
      for (let d = first; d <= last; d = plusDays(d, 1)) if (isBusiness(calendar, d)) business.push(d);
      return business[business.length - 1 - frequency.offsetDays] === date;
    }
    default:
      throw new Error(`not generated: ${frequency.type}`);
  }
}

function naiveMove(calendar: NaiveCalendar, rule: NonBusinessDayRule, date: string): string | undefined {
  if (rule === 'RUN' || isBusiness(calendar, date)) return date;
  if (rule === 'SKIP') return undefined;
  let moved = date;
  while (!isBusiness(calendar, moved)) moved = plusDays(moved, rule === 'NEXT' ? 1 : -1);
  return moved;
}

/** Every processing date in [from, to], by walking each day of a wider range and moving it. */
function naiveDates(frequency: Frequency, calendar: NaiveCalendar, rule: NonBusinessDayRule, from: string, to: string): string[] {
  const dates = new Set<string>();
  // A date moves at most across a run of weekend days and holidays: 60 days covers every generated one.
  for (let date = plusDays(from, -60); date <= plusDays(to, 60); date = plusDays(date, 1)) {
    if (!naiveDue(frequency, calendar, date)) continue;
    const moved = naiveMove(calendar, rule, date);
    if (moved !== undefined && moved >= from && moved <= to) dates.add(moved);
  }
  return [...dates].sort();
}

// ---------------------------------------------------------------- generators

const weekendArb: fc.Arbitrary<DayOfWeek[]> = fc.oneof(
  fc.constant<DayOfWeek[]>(['SAT', 'SUN']),
  fc.constant<DayOfWeek[]>(['FRI', 'SAT']),
  fc.constant<DayOfWeek[]>(['SUN']),
  fc.constant<DayOfWeek[]>([]),
  fc.subarray([...DAYS_OF_WEEK], { minLength: 0, maxLength: 4 }),
);

/** Holidays on and next to month ends (the last day, the day before, the 1st), and anywhere in the year. */
function holidaysArb(year: number): fc.Arbitrary<string[]> {
  const monthEnd = fc.tuple(fc.integer({ min: 1, max: 12 }), fc.constantFrom(-1, 0, 1)).map(([month, shift]) => {
    const last = new Date(Date.UTC(year, month, 0)).toISOString().slice(0, 10);
    return plusDays(last, shift);
  });
  const anywhere = fc.integer({ min: 0, max: 364 }).map((offset) => plusDays(`${year}-01-01`, offset));
  return fc.uniqueArray(fc.oneof(monthEnd, anywhere), { maxLength: 14 });
}

const frequencyArb: fc.Arbitrary<Frequency> = fc.oneof(
  fc.constant({ type: 'DAILY' as const }),
  fc.constantFrom(...DAYS_OF_WEEK).map((dayOfWeek) => ({ type: 'WEEKLY' as const, dayOfWeek })),
  fc.integer({ min: 1, max: 31 }).map((dayOfMonth) => ({ type: 'MONTHLY' as const, dayOfMonth })),
  fc
    .record({ type: fc.constantFrom('MONTH_END' as const, 'QUARTER_END' as const, 'YEAR_END' as const), offsetDays: fc.integer({ min: 0, max: 4 }), business: fc.boolean() })
    .map(({ type, offsetDays, business }) => ({ type, offsetDays, ...(business ? { offsetUnit: 'BUSINESS_DAYS' as const } : {}) })),
);

const executionTimeArb = fc.constantFrom('00:00:00', '00:30:00', '02:30:00', '03:00:00', '12:00:00', '23:30:00');

const caseArb = fc.integer({ min: 2001, max: 2097 }).chain((year) =>
  fc.record({
    year: fc.constant(year),
    zone: fc.constantFrom(...ZONES),
    frequency: frequencyArb,
    executionTime: executionTimeArb,
    rule: fc.constantFrom(...NON_BUSINESS_DAY_RULES),
    weekend: weekendArb,
    // Holidays in the year and the next, so the walk crosses a year end with holidays on both sides.
    holidays: fc.tuple(holidaysArb(year), holidaysArb(year + 1)).map(([a, b]) => [...a, ...b]),
    fromDayOfYear: fc.integer({ min: 0, max: 364 }),
    fromSecondOfDay: fc.integer({ min: 0, max: 86_399 }),
  }),
);

// ---------------------------------------------------------------- properties

describe('business-day calendars, against a day-by-day walk', () => {
  it('gives the same processing dates, in order and once each, at the execution time of each date in the zone', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const calendar = { weekend: c.weekend, holidays: c.holidays };
        const spec: CalendarSpec = { frequency: c.frequency, executionTime: c.executionTime, timezone: c.zone, businessCalendar: calendar, nonBusinessDay: c.rule };
        const from = new Date(Date.UTC(c.year, 0, 1) + c.fromDayOfYear * dayMs + c.fromSecondOfDay * 1000);
        const fromDate = DateTime.fromMillis(from.getTime(), { zone: c.zone }).toISODate() as string;

        const occurrences = nextOccurrences(spec, from, 8);

        // Fewer than asked only when the rule drops every date (SKIP of a weekly weekend day): then none for years.
        const last = occurrences.length === 8 ? occurrences[7]!.processingDate : plusDays(fromDate, 800);
        // The from date itself is due or not by the time of day: compare the dates after it.
        const expected = naiveDates(c.frequency, calendar, c.rule, plusDays(fromDate, 1), last);
        expect(occurrences.map((o) => o.processingDate).filter((date) => date > fromDate)).toEqual(expected);
        for (const occurrence of occurrences) {
          expect(occurrence.processingDate >= fromDate).toBe(true);
          expect(Date.parse(occurrence.at)).toBeGreaterThan(from.getTime());
          const local = DateTime.fromISO(occurrence.at, { zone: c.zone });
          expect(local.toISODate()).toBe(occurrence.processingDate);
          // The execution time, or a later wall time only where the clocks jumped over it.
          if (local.toFormat('HH:mm:ss') !== c.executionTime) expect(local.offset).toBeGreaterThan(local.minus({ seconds: 1 }).offset);
          // A fire armed for it runs for it: BeginRun maps the scheduled time back to this date.
          expect(occurrenceForScheduledTime(spec, new Date(occurrence.at))).toEqual(occurrence);
        }
        const dateOfFrom = occurrences.filter((o) => o.processingDate === fromDate);
        if (dateOfFrom.length > 0) expect(naiveDates(c.frequency, calendar, c.rule, fromDate, fromDate)).toEqual([fromDate]);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('with a holiday on the offset day, BUSINESS_DAYS counts past it, and the calendar-day offset moves by the rule', () => {
    const calendar = { weekend: ['SAT', 'SUN'] as DayOfWeek[], holidays: ['2026-12-25', '2026-12-29', '2026-12-31'] };
    const at = (spec: Partial<CalendarSpec>): string[] =>
      nextOccurrences({ frequency: { type: 'YEAR_END', offsetDays: 2 }, executionTime: '06:00:00', timezone: 'America/New_York', businessCalendar: calendar, ...spec }, new Date('2026-06-01T00:00:00Z'), 1).map(
        (o) => o.processingDate,
      );

    // Business days at the end of 2026: ... 24 (Thu), 28 (Mon), 30 (Wed); 25, 29 and 31 are holidays.
    expect(at({ frequency: { type: 'YEAR_END', offsetDays: 0, offsetUnit: 'BUSINESS_DAYS' } })).toEqual(['2026-12-30']);
    expect(at({ frequency: { type: 'YEAR_END', offsetDays: 2, offsetUnit: 'BUSINESS_DAYS' } })).toEqual(['2026-12-24']);
    // Two calendar days before the 31st is the 29th, a holiday.
    expect(at({ nonBusinessDay: 'RUN' })).toEqual(['2026-12-29']);
    expect(at({ nonBusinessDay: 'PREVIOUS' })).toEqual(['2026-12-28']);
    expect(at({ nonBusinessDay: 'NEXT' })).toEqual(['2026-12-30']);
    expect(nextOccurrences({ frequency: { type: 'YEAR_END', offsetDays: 2 }, executionTime: '06:00:00', timezone: 'UTC', businessCalendar: calendar, nonBusinessDay: 'SKIP' }, new Date('2026-06-01T00:00:00Z'), 1)[0]?.processingDate).toBe(
      '2027-12-29',
    );
  });

  it('merges dates that move onto one business day: a daily schedule with NEXT runs once on Monday for the weekend', () => {
    const occurrences = nextOccurrences(
      { frequency: { type: 'DAILY' }, executionTime: '02:30:00', timezone: 'America/New_York', businessCalendar: { weekend: ['SAT', 'SUN'], holidays: ['2027-03-15'] }, nonBusinessDay: 'NEXT' },
      new Date('2027-03-12T12:00:00Z'),
      3,
    );

    // Sat 13, Sun 14 (the spring-forward day) and the holiday Mon 15 all run on Tue 16, once.
    expect(occurrences).toEqual([
      { processingDate: '2027-03-16', at: '2027-03-16T06:30:00Z' },
      { processingDate: '2027-03-17', at: '2027-03-17T06:30:00Z' },
      { processingDate: '2027-03-18', at: '2027-03-18T06:30:00Z' },
    ]);
  });
});
