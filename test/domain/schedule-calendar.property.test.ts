import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { DAYS_OF_WEEK, type Frequency } from '../../lambdas/domain/model';
import { isDue, nextDueDate } from '../../lambdas/domain/frequency-dates';
import { nextOccurrences, type CalendarSpec, type Occurrence } from '../../lambdas/domain/schedule-calendar';
import { instantNearTransitionsArb, localDate, localTime, MAX_MS, MIN_MS, offsetAt, zoneArb, ZONES } from './calendar-test-support';

/**
 * Properties of the calendar over real zones, 2000-2100 and every frequency. The oracles here
 * are written independently of the module: luxon for local dates and times, plain date
 * arithmetic for which dates are due, and a semantic description of each generated cron field.
 */

const NUM_RUNS = 150;

// ---------------------------------------------------------------- dates, independent of the module

function isoOf(year: number, month: number, day: number): string {
  return new Date(Date.UTC(year, month - 1, day)).toISOString().slice(0, 10);
}

function partsOf(date: string): { year: number; month: number; day: number; daysInMonth: number; isoWeekday: number } {
  const value = new Date(`${date}T00:00:00Z`);
  const [year, month] = [value.getUTCFullYear(), value.getUTCMonth() + 1];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return { year, month, day: value.getUTCDate(), daysInMonth, isoWeekday: value.getUTCDay() || 7 };
}

function plusDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** A local date the zone skipped entirely (Pacific/Apia, 2011-12-30) has no instant, so no occurrence. */
function dateExists(zone: string, date: string): boolean {
  return DateTime.fromISO(date, { zone }).toISODate() === date;
}

function expectedDue(frequency: Frequency, date: string): boolean {
  const { month, day, daysInMonth, isoWeekday } = partsOf(date);
  switch (frequency.type) {
    case 'DAILY':
      return true;
    case 'WEEKLY':
      return DAYS_OF_WEEK[isoWeekday - 1] === frequency.dayOfWeek;
    case 'MONTHLY':
      return day === Math.min(frequency.dayOfMonth, daysInMonth);
    case 'MONTH_END':
      return day === daysInMonth - frequency.offsetDays;
    case 'QUARTER_END':
      return [3, 6, 9, 12].includes(month) && day === daysInMonth - frequency.offsetDays;
    case 'YEAR_END':
      return month === 12 && day === 31 - frequency.offsetDays;
    default:
      throw new Error(`no oracle for ${frequency.type}`);
  }
}

// ---------------------------------------------------------------- generators

const offsetDaysArb = fc.integer({ min: 0, max: 27 });
const simpleFrequencyArb: fc.Arbitrary<Frequency> = fc.oneof(
  fc.constant({ type: 'DAILY' as const }),
  fc.constantFrom(...DAYS_OF_WEEK).map((dayOfWeek) => ({ type: 'WEEKLY' as const, dayOfWeek })),
  fc.integer({ min: 1, max: 31 }).map((dayOfMonth) => ({ type: 'MONTHLY' as const, dayOfMonth })),
  offsetDaysArb.map((offsetDays) => ({ type: 'MONTH_END' as const, offsetDays })),
  offsetDaysArb.map((offsetDays) => ({ type: 'QUARTER_END' as const, offsetDays })),
  offsetDaysArb.map((offsetDays) => ({ type: 'YEAR_END' as const, offsetDays })),
);

/** Times around the usual DST transitions (00:00-03:00) half of the time. */
const executionTimeArb = fc.oneof(
  fc.constantFrom('00:00:00', '00:30:00', '01:00:00', '01:30:00', '02:00:00', '02:30:00', '02:45:00', '03:00:00', '03:15:00', '23:30:00'),
  fc
    .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 59 }))
    .map(([h, m, s]) => [h, m, s].map((n) => String(n).padStart(2, '0')).join(':')),
);

interface GeneratedCron {
  expression: string;
  /** Independent meaning of the day fields. */
  matchesDate: (date: string) => boolean;
  /** Independent meaning of minutes x hours, seconds of the day. */
  secondsOfDay: Set<number>;
}

interface CronField {
  text: string;
  values: number[];
}

const range = (from: number, to: number, step = 1): number[] => Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => from + i * step);

function numericFieldArb(min: number, max: number, favourites: number[]): fc.Arbitrary<CronField> {
  const valueArb = fc.oneof(fc.constantFrom(...favourites), fc.integer({ min, max }));
  return fc.oneof(
    valueArb.map((value) => ({ text: String(value), values: [value] })),
    fc.tuple(valueArb, valueArb).map(([a, b]) => ({ text: `${Math.min(a, b)}-${Math.max(a, b)}`, values: range(Math.min(a, b), Math.max(a, b)) })),
    fc.integer({ min: 1, max: max - min }).map((step) => ({ text: `*/${step}`, values: range(min, max, step) })),
    fc.tuple(valueArb, fc.integer({ min: 1, max: max - min })).map(([start, step]) => ({ text: `${start}/${step}`, values: range(start, max, step) })),
    fc.uniqueArray(valueArb, { minLength: 2, maxLength: 3 }).map((values) => ({ text: values.join(','), values })),
  );
}

const minutesArb = fc.oneof(numericFieldArb(0, 59, [0, 15, 30, 45]), fc.constant({ text: '*', values: range(0, 59) }));
const hoursArb = fc.oneof({ weight: 3, arbitrary: numericFieldArb(0, 23, [0, 1, 2, 3, 23]) }, { weight: 1, arbitrary: fc.constant({ text: '*', values: range(0, 23) }) });

type DayField = { text: string; matches: (date: string) => boolean };

const dayOfMonthArb: fc.Arbitrary<DayField> = fc.oneof(
  fc.constant({ text: '*', matches: () => true }),
  fc.integer({ min: 1, max: 31 }).map((n) => ({ text: String(n), matches: (date: string) => partsOf(date).day === n })),
  fc.tuple(fc.integer({ min: 1, max: 31 }), fc.integer({ min: 1, max: 31 })).map(([a, b]) => ({
    text: `${Math.min(a, b)}-${Math.max(a, b)}`,
    matches: (date: string) => partsOf(date).day >= Math.min(a, b) && partsOf(date).day <= Math.max(a, b),
  })),
  fc.tuple(fc.integer({ min: 1, max: 31 }), fc.integer({ min: 1, max: 15 })).map(([start, step]) => ({
    text: `${start}/${step}`,
    matches: (date: string) => partsOf(date).day >= start && (partsOf(date).day - start) % step === 0,
  })),
  fc.constant({ text: 'L', matches: (date: string) => partsOf(date).day === partsOf(date).daysInMonth }),
  fc.constant({
    text: 'LW',
    matches: (date: string) => {
      const { day, daysInMonth, isoWeekday } = partsOf(date);
      // A weekday with only weekend days after it in the month.
      return isoWeekday <= 5 && range(day + 1, daysInMonth).every((later) => partsOf(plusDays(date, later - day)).isoWeekday >= 6);
    },
  }),
  fc.integer({ min: 1, max: 31 }).map((n) => ({
    text: `${n}W`,
    matches: (date: string) => {
      const { year, month, day, daysInMonth, isoWeekday } = partsOf(date);
      if (n > daysInMonth || isoWeekday > 5) return false;
      // The weekday of the month nearest to the nth (ties cannot happen).
      const weekdays = range(1, daysInMonth).filter((d) => partsOf(isoOf(year, month, d)).isoWeekday <= 5);
      const nearest = weekdays.reduce((best, d) => (Math.abs(d - n) < Math.abs(best - n) ? d : best));
      return day === nearest;
    },
  })),
);

const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
/** EventBridge day of week 1 = SUN ... 7 = SAT, from an ISO weekday 1 = MON ... 7 = SUN. */
const eventBridgeWeekday = (isoWeekday: number): number => (isoWeekday % 7) + 1;
const dayTokenArb = fc.integer({ min: 1, max: 7 }).chain((n) => fc.constantFrom({ n, text: String(n) }, { n, text: DAY_NAMES[n - 1] as string }));

const dayOfWeekArb: fc.Arbitrary<DayField> = fc.oneof(
  fc.constant({ text: '*', matches: () => true }),
  fc.constant({ text: 'MON-FRI', matches: (date: string) => partsOf(date).isoWeekday <= 5 }),
  dayTokenArb.map(({ n, text }) => ({ text, matches: (date: string) => eventBridgeWeekday(partsOf(date).isoWeekday) === n })),
  fc.uniqueArray(dayTokenArb, { minLength: 2, maxLength: 3, selector: (token) => token.n }).map((tokens) => ({
    text: tokens.map((token) => token.text).join(','),
    matches: (date: string) => tokens.some((token) => eventBridgeWeekday(partsOf(date).isoWeekday) === token.n),
  })),
  dayTokenArb.map(({ n, text }) => ({
    text: `${text}L`,
    matches: (date: string) => eventBridgeWeekday(partsOf(date).isoWeekday) === n && partsOf(date).day + 7 > partsOf(date).daysInMonth,
  })),
  fc.tuple(dayTokenArb, fc.integer({ min: 1, max: 5 })).map(([{ n, text }, k]) => ({
    text: `${text}#${k}`,
    matches: (date: string) => eventBridgeWeekday(partsOf(date).isoWeekday) === n && Math.ceil(partsOf(date).day / 7) === k,
  })),
  fc.constant({ text: 'L', matches: (date: string) => partsOf(date).isoWeekday === 6 }),
);

const monthArb: fc.Arbitrary<CronField> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({ text: '*', values: range(1, 12) }) },
  { weight: 1, arbitrary: fc.constant({ text: 'JAN-JUN', values: range(1, 6) }) },
  { weight: 1, arbitrary: fc.constant<CronField>({ text: 'MAR,SEP,NOV', values: [3, 9, 11] }) },
  { weight: 1, arbitrary: fc.constant<CronField>({ text: '*/3', values: [1, 4, 7, 10] }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 12 }).map((m) => ({ text: String(m), values: [m] })) },
);

const yearArb: fc.Arbitrary<CronField> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ text: '*', values: range(1970, 2199) }) },
  { weight: 1, arbitrary: fc.constant({ text: '2000-2100', values: range(2000, 2100) }) },
  { weight: 1, arbitrary: fc.constant({ text: '2000/3', values: range(2000, 2199, 3) }) },
);

const cronArb: fc.Arbitrary<GeneratedCron> = fc
  .record({ minutes: minutesArb, hours: hoursArb, useDayOfMonth: fc.boolean(), dom: dayOfMonthArb, dow: dayOfWeekArb, month: monthArb, year: yearArb })
  .map(({ minutes, hours, useDayOfMonth, dom, dow, month, year }) => {
    const day = useDayOfMonth ? dom : dow;
    const expression = [minutes.text, hours.text, useDayOfMonth ? dom.text : '?', month.text, useDayOfMonth ? '?' : dow.text, year.text].join(' ');
    return {
      expression,
      // Counterexamples show the expression, not the functions and sets.
      [fc.toStringMethod]: () => JSON.stringify(expression),
      matchesDate: (date: string) => year.values.includes(partsOf(date).year) && month.values.includes(partsOf(date).month) && day.matches(date),
      secondsOfDay: new Set(hours.values.flatMap((h) => minutes.values.map((m) => h * 3600 + m * 60))),
    };
  });

// ---------------------------------------------------------------- checks shared by the properties

/** Seconds since local midnight of the wall time shown at an instant. */
function wallSecondsOf(zone: string, ms: number): number {
  const value = DateTime.fromMillis(ms, { zone });
  return value.hour * 3600 + value.minute * 60 + value.second;
}

/**
 * `at` shows one of the wanted wall times on its date and is its first instant (no instant up to
 * two hours earlier shows the same date and time), or the wanted time does not exist that day
 * and `at` is the instant the clocks jumped over it.
 */
function expectWallTimeRule(zone: string, occurrence: Occurrence, wanted: Set<number>): void {
  const at = Date.parse(occurrence.at);
  const shown = wallSecondsOf(zone, at);
  if (wanted.has(shown)) {
    for (const minutesEarlier of [30, 60, 90, 120]) {
      const earlier = at - minutesEarlier * 60_000;
      const sameWallTime = localDate(zone, earlier) === occurrence.processingDate && localTime(zone, earlier) === localTime(zone, at);
      expect(sameWallTime, `${occurrence.at} is not the first ${localTime(zone, at)} in ${zone}`).toBe(false);
    }
    return;
  }
  expect(offsetAt(zone, at - 1), `${occurrence.at} (${localTime(zone, at)}) in ${zone} is neither a wanted time nor a DST jump`).toBeLessThan(offsetAt(zone, at));
  const shownBefore = localDate(zone, at - 1000) === occurrence.processingDate ? wallSecondsOf(zone, at - 1000) : -1;
  const skipped = [...wanted].filter((seconds) => seconds > shownBefore && seconds < shown);
  expect(skipped.length, `no wanted time of ${occurrence.processingDate} falls in the gap before ${occurrence.at}`).toBeGreaterThan(0);
}

/** Every date strictly between two dates is not due, or does not exist in the zone. */
function expectNoDueDateBetween(zone: string, from: string, to: string, due: (date: string) => boolean): void {
  for (let date = plusDays(from, 1); date < to; date = plusDays(date, 1)) {
    if (due(date)) expect(dateExists(zone, date), `due date ${date} was skipped in ${zone}`).toBe(false);
  }
}

function expectOccurrenceInvariants(calendar: CalendarSpec, after: number, occurrences: Occurrence[], wanted: Set<number>, due: (date: string) => boolean): void {
  const zone = calendar.timezone;
  let previous = after;
  let previousDate = localDate(zone, after);
  for (const occurrence of occurrences) {
    const at = Date.parse(occurrence.at);
    expect(at).toBeGreaterThan(previous);
    expect(occurrence.at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(occurrence.processingDate).toBe(localDate(zone, at));
    expect(isDue(calendar.frequency, occurrence.processingDate)).toBe(true);
    expect(due(occurrence.processingDate)).toBe(true);
    expectWallTimeRule(zone, occurrence, wanted);
    expectNoDueDateBetween(zone, previousDate, occurrence.processingDate, due);
    previous = at;
    previousDate = occurrence.processingDate;
  }
}

// ---------------------------------------------------------------- properties

describe('calendar properties (random zones, 2000-2100)', () => {
  it('DAILY, WEEKLY, MONTHLY, MONTH_END, QUARTER_END, YEAR_END: increasing, due, at executionTime or its DST adjustment, none missed', () => {
    const caseArb = zoneArb.chain((timezone) =>
      fc.record({ timezone: fc.constant(timezone), frequency: simpleFrequencyArb, executionTime: executionTimeArb, after: instantNearTransitionsArb(timezone), count: fc.integer({ min: 1, max: 12 }) }),
    );
    fc.assert(
      fc.property(caseArb, ({ timezone, frequency, executionTime, after, count }) => {
        const calendar: CalendarSpec = { frequency, executionTime, timezone };
        const occurrences = nextOccurrences(calendar, new Date(after), count);
        expect(occurrences).toHaveLength(count);
        const [h, m, s] = executionTime.split(':').map(Number) as [number, number, number];
        expectOccurrenceInvariants(calendar, after, occurrences, new Set([h * 3600 + m * 60 + s]), (date) => expectedDue(frequency, date));
      }),
      { numRuns: NUM_RUNS * 2 },
    );
  });

  it('CRON: dates match the fields, times are the expression times or their DST adjustment, no matching date missed', () => {
    const caseArb = zoneArb.chain((timezone) =>
      fc.record({ timezone: fc.constant(timezone), cron: cronArb, after: instantNearTransitionsArb(timezone), count: fc.integer({ min: 1, max: 10 }) }),
    );
    fc.assert(
      fc.property(caseArb, ({ timezone, cron, after, count }) => {
        const calendar: CalendarSpec = { frequency: { type: 'CRON', expression: cron.expression }, executionTime: '12:00:00', timezone };
        const occurrences = nextOccurrences(calendar, new Date(after), count);
        expect(occurrences.length).toBeLessThanOrEqual(count);
        expectOccurrenceInvariants(calendar, after, occurrences, cron.secondsOfDay, cron.matchesDate);
      }),
      { numRuns: NUM_RUNS * 2 },
    );
  });

  it('isDue agrees with plain date arithmetic, and with the generated meaning of a cron expression', () => {
    const dateArb = fc.integer({ min: 0, max: 36_889 }).map((days) => plusDays('2000-01-01', days));
    fc.assert(
      fc.property(simpleFrequencyArb, dateArb, (frequency, date) => {
        expect(isDue(frequency, date)).toBe(expectedDue(frequency, date));
      }),
      { numRuns: NUM_RUNS * 4 },
    );
    fc.assert(
      fc.property(cronArb, fc.array(dateArb, { minLength: 5, maxLength: 5 }), (cron, dates) => {
        for (const date of dates) expect(isDue({ type: 'CRON', expression: cron.expression }, date), `${cron.expression} on ${date}`).toBe(cron.matchesDate(date));
      }),
      { numRuns: NUM_RUNS * 2 },
    );
  });

  it('nextDueDate is the first due date on or after its argument', () => {
    const dateArb = fc.integer({ min: 0, max: 36_500 }).map((days) => plusDays('2000-01-01', days));
    fc.assert(
      fc.property(simpleFrequencyArb, dateArb, (frequency, date) => {
        const due = nextDueDate(frequency, date) as string;
        expect(expectedDue(frequency, due)).toBe(true);
        expectNoDueDateBetween('UTC', plusDays(date, -1), due, (d) => expectedDue(frequency, d));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('MONTH_END lands offsetDays before the last day of February, in leap and common years', () => {
    fc.assert(
      fc.property(zoneArb, fc.integer({ min: 2000, max: 2100 }), offsetDaysArb, fc.constantFrom('00:30:00', '12:00:00', '23:30:00'), (timezone, year, offsetDays, executionTime) => {
        const occurrences = nextOccurrences({ frequency: { type: 'MONTH_END', offsetDays }, executionTime, timezone }, new Date(Date.UTC(year, 0, 1)), 3);
        const february = occurrences.find((occurrence) => occurrence.processingDate.startsWith(`${year}-02-`));
        const lastDay = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
        expect(february?.processingDate).toBe(isoOf(year, 2, lastDay - offsetDays));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('MONTHLY on the 29th-31st clamps to the last day of shorter months, every month once', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ZONES), fc.integer({ min: 2000, max: 2099 }), fc.integer({ min: 28, max: 31 }), (timezone, year, dayOfMonth) => {
        const occurrences = nextOccurrences({ frequency: { type: 'MONTHLY', dayOfMonth }, executionTime: '12:00:00', timezone }, new Date(Date.UTC(year - 1, 11, 20)), 13);
        const inYear = occurrences.filter((occurrence) => occurrence.processingDate.startsWith(`${year}-`));
        expect(inYear.map((occurrence) => occurrence.processingDate)).toEqual(
          range(1, 12)
            .map((month) => [month, Math.min(dayOfMonth, DateTime.utc(year, month).daysInMonth as number)] as const)
            .map(([month, day]) => isoOf(year, month, day))
            .filter((date) => dateExists(timezone, date)),
        );
      }),
      { numRuns: NUM_RUNS / 2 },
    );
  });

  it('QUARTER_END runs in March, June, September and December, one quarter after the other', () => {
    fc.assert(
      fc.property(zoneArb, fc.integer({ min: MIN_MS, max: MAX_MS }), offsetDaysArb, (timezone, after, offsetDays) => {
        const occurrences = nextOccurrences({ frequency: { type: 'QUARTER_END', offsetDays }, executionTime: '06:00:00', timezone }, new Date(after), 6);
        const months = occurrences.map((occurrence) => partsOf(occurrence.processingDate));
        for (const [index, { year, month, day, daysInMonth }] of months.entries()) {
          expect([3, 6, 9, 12]).toContain(month);
          expect(day).toBe(daysInMonth - offsetDays);
          const previous = months[index - 1];
          if (previous) expect(year * 12 + month - (previous.year * 12 + previous.month)).toBe(3);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('YEAR_END runs on December 31 minus offsetDays, once a year', () => {
    fc.assert(
      fc.property(zoneArb, fc.integer({ min: MIN_MS, max: MAX_MS }), offsetDaysArb, (timezone, after, offsetDays) => {
        const occurrences = nextOccurrences({ frequency: { type: 'YEAR_END', offsetDays }, executionTime: '06:00:00', timezone }, new Date(after), 4);
        const years = occurrences.map((occurrence) => Number(occurrence.processingDate.slice(0, 4)));
        expect(occurrences.map((occurrence) => occurrence.processingDate)).toEqual(years.map((year) => isoOf(year, 12, 31 - offsetDays)));
        expect(years).toEqual(range(years[0] as number, (years[0] as number) + 3));
      }),
      { numRuns: NUM_RUNS / 2 },
    );
  });
});
