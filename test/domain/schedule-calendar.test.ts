import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lambdas/domain/errors';
import type { Frequency } from '../../lambdas/domain/model';
import { isDue, nextDueDate } from '../../lambdas/domain/frequency-dates';
import { localTimeToInstant, nextOccurrences, occurrencesAfter, processingDateOf, validateCalendarSpec, type CalendarSpec } from '../../lambdas/domain/schedule-calendar';
import { occurrenceForScheduledTime } from '../../lambdas/domain/scheduled-time';

const spec = (frequency: Frequency, executionTime = '02:30:00', timezone = 'America/New_York'): CalendarSpec => ({ frequency, executionTime, timezone });
const DAILY: Frequency = { type: 'DAILY' };

function next(calendar: CalendarSpec, after: string, count: number): Array<[string, string]> {
  return nextOccurrences(calendar, new Date(after), count).map((occurrence) => [occurrence.processingDate, occurrence.at]);
}

function dates(calendar: CalendarSpec, after: string, count: number): string[] {
  return nextOccurrences(calendar, new Date(after), count).map((occurrence) => occurrence.processingDate);
}

function caught(action: () => unknown): ValidationError {
  try {
    action();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('frequencies', () => {
  it('DAILY runs every day at executionTime, strictly after `after`', () => {
    expect(next(spec(DAILY, '02:30:00'), '2027-01-10T07:30:00Z', 2)).toEqual([
      ['2027-01-11', '2027-01-11T07:30:00Z'],
      ['2027-01-12', '2027-01-12T07:30:00Z'],
    ]);
    expect(next(spec(DAILY, '02:30:00'), '2027-01-10T07:29:59Z', 1)).toEqual([['2027-01-10', '2027-01-10T07:30:00Z']]);
  });

  it('WEEKLY runs on its day of week', () => {
    // 2027-01-01 is a Friday.
    expect(dates(spec({ type: 'WEEKLY', dayOfWeek: 'FRI' }), '2027-01-01T00:00:00Z', 3)).toEqual(['2027-01-01', '2027-01-08', '2027-01-15']);
    expect(dates(spec({ type: 'WEEKLY', dayOfWeek: 'SUN' }), '2027-01-01T00:00:00Z', 2)).toEqual(['2027-01-03', '2027-01-10']);
    expect(isDue({ type: 'WEEKLY', dayOfWeek: 'MON' }, '2027-01-04')).toBe(true);
    expect(isDue({ type: 'WEEKLY', dayOfWeek: 'MON' }, '2027-01-05')).toBe(false);
  });

  it('MONTHLY clamps day 31 to the last day of shorter months', () => {
    expect(dates(spec({ type: 'MONTHLY', dayOfMonth: 31 }), '2027-01-01T00:00:00Z', 6)).toEqual([
      '2027-01-31',
      '2027-02-28',
      '2027-03-31',
      '2027-04-30',
      '2027-05-31',
      '2027-06-30',
    ]);
    expect(dates(spec({ type: 'MONTHLY', dayOfMonth: 30 }), '2028-02-01T00:00:00Z', 2)).toEqual(['2028-02-29', '2028-03-30']);
    expect(dates(spec({ type: 'MONTHLY', dayOfMonth: 15 }), '2027-01-20T00:00:00Z', 2)).toEqual(['2027-02-15', '2027-03-15']);
  });

  it('MONTH_END counts offsetDays back from the last day, also in February', () => {
    const monthEnd = (offsetDays: number): Frequency => ({ type: 'MONTH_END', offsetDays });
    expect(dates(spec(monthEnd(0)), '2027-01-01T00:00:00Z', 3)).toEqual(['2027-01-31', '2027-02-28', '2027-03-31']);
    expect(dates(spec(monthEnd(2)), '2027-01-01T00:00:00Z', 4)).toEqual(['2027-01-29', '2027-02-26', '2027-03-29', '2027-04-28']);
    expect(dates(spec(monthEnd(2)), '2028-02-01T00:00:00Z', 1)).toEqual(['2028-02-27']);
    expect(dates(spec(monthEnd(27)), '2027-02-01T00:00:00Z', 2)).toEqual(['2027-02-01', '2027-03-04']);
    expect(dates(spec(monthEnd(0)), '2100-02-01T00:00:00Z', 1)).toEqual(['2100-02-28']); // 2100 is not a leap year
    expect(dates(spec(monthEnd(0)), '2000-02-01T00:00:00Z', 1)).toEqual(['2000-02-29']); // 2000 is
  });

  it('the API example: MONTH_END offset 2 at 00:30 New York', () => {
    expect(next(spec({ type: 'MONTH_END', offsetDays: 2 }, '00:30:00'), '2026-11-01T00:00:00Z', 1)).toEqual([['2026-11-28', '2026-11-28T05:30:00Z']]);
  });

  it('QUARTER_END runs at the ends of March, June, September and December', () => {
    expect(dates(spec({ type: 'QUARTER_END', offsetDays: 0 }), '2027-01-01T00:00:00Z', 5)).toEqual([
      '2027-03-31',
      '2027-06-30',
      '2027-09-30',
      '2027-12-31',
      '2028-03-31',
    ]);
    expect(dates(spec({ type: 'QUARTER_END', offsetDays: 1 }), '2027-04-01T00:00:00Z', 2)).toEqual(['2027-06-29', '2027-09-29']);
  });

  it('YEAR_END runs on December 31 minus offsetDays, and jumps years without walking days', () => {
    expect(dates(spec({ type: 'YEAR_END', offsetDays: 0 }), '2027-01-01T00:00:00Z', 3)).toEqual(['2027-12-31', '2028-12-31', '2029-12-31']);
    expect(dates(spec({ type: 'YEAR_END', offsetDays: 5 }), '2027-12-27T00:00:00Z', 1)).toEqual(['2028-12-26']);
    const started = performance.now();
    expect(nextOccurrences(spec({ type: 'YEAR_END', offsetDays: 0 }), new Date('2000-01-01T00:00:00Z'), 100)).toHaveLength(100);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('CRON carries its own time and ignores executionTime; the zone still applies', () => {
    const cron = spec({ type: 'CRON', expression: '30 0 ? * MON-FRI *' }, '17:00:00', 'America/New_York');
    expect(next(cron, '2027-01-01T00:00:00Z', 3)).toEqual([
      ['2027-01-01', '2027-01-01T05:30:00Z'],
      ['2027-01-04', '2027-01-04T05:30:00Z'],
      ['2027-01-05', '2027-01-05T05:30:00Z'],
    ]);
  });

  it('CRON that can never fire returns nothing, quickly', () => {
    const started = performance.now();
    expect(nextOccurrences(spec({ type: 'CRON', expression: '0 0 30 FEB ? *' }), new Date('2027-01-01T00:00:00Z'), 5)).toEqual([]);
    expect(nextOccurrences(spec({ type: 'CRON', expression: '0 0 ? * 2#5 2027' }), new Date('2027-01-01T00:00:00Z'), 10)).toHaveLength(4);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('CRON stops after its last year', () => {
    expect(dates(spec({ type: 'CRON', expression: '0 12 L DEC ? 2198-2199' }), '2100-01-01T00:00:00Z', 5)).toEqual(['2198-12-31', '2199-12-31']);
  });

  it('MANUAL is never due and has no occurrences', () => {
    expect(isDue({ type: 'MANUAL' }, '2027-01-01')).toBe(false);
    expect(nextOccurrences(spec({ type: 'MANUAL' }), new Date('2027-01-01T00:00:00Z'), 5)).toEqual([]);
    expect(nextDueDate({ type: 'MANUAL' }, '2027-01-01')).toBeUndefined();
  });

  it('refuses a frequency it has no rule for instead of treating it as month-based and never firing', () => {
    const unknown = { type: 'FORTNIGHTLY' } as unknown as Frequency;

    expect(() => isDue(unknown, '2027-01-01')).toThrow(/Unhandled case: \{"type":"FORTNIGHTLY"\}/);
    expect(() => nextOccurrences(spec(unknown), new Date('2027-01-01T00:00:00Z'), 1)).toThrow(/FORTNIGHTLY/);
  });

  it('nextDueDate finds the first due date on or after a date', () => {
    expect(nextDueDate({ type: 'MONTH_END', offsetDays: 2 }, '2027-02-27')).toBe('2027-03-29');
    expect(nextDueDate({ type: 'MONTH_END', offsetDays: 2 }, '2027-02-26')).toBe('2027-02-26');
    expect(nextDueDate({ type: 'CRON', expression: '0 9 ? * 6L *' }, '2027-01-01')).toBe('2027-01-29');
  });

  it('count below 1 gives nothing; the generator can be taken from lazily', () => {
    expect(nextOccurrences(spec(DAILY), new Date('2027-01-01T00:00:00Z'), 0)).toEqual([]);
    const iterator = occurrencesAfter(spec({ type: 'CRON', expression: '* * * * ? *' }), new Date('2027-01-01T00:00:00Z'));
    expect(iterator.next().value).toEqual({ processingDate: '2026-12-31', at: '2027-01-01T00:01:00Z' });
  });

  it('rejects malformed input with a ValidationError', () => {
    expect(caught(() => isDue(DAILY, '2027-02-30')).details[0]?.message).toBe('a date YYYY-MM-DD');
    expect(caught(() => nextOccurrences(spec(DAILY, '02:30:00', 'Mars/Olympus'), new Date(), 1)).details[0]?.path).toBe('timezone');
    expect(caught(() => nextOccurrences(spec(DAILY, '25:00:00'), new Date(), 1)).details[0]?.path).toBe('executionTime');
    expect(caught(() => nextOccurrences(spec(DAILY), new Date(Number.NaN), 1)).details[0]?.path).toBe('from');
    expect(caught(() => nextOccurrences(spec({ type: 'CRON', expression: '0 10 * * * *' }), new Date(), 1)).details[0]?.path).toBe('frequency.expression');
  });
});

describe('time zones and DST', () => {
  const at = (timezone: string, day: string, time: string): string => localTimeToInstant(day, time, timezone).toISOString();
  const onDay = (timezone: string, day: string, time: string): Array<[string, string]> => {
    const dayStart = DateTime.fromISO(day, { zone: timezone }).startOf('day').minus({ hours: 1 });
    return next(spec(DAILY, time, timezone), dayStart.toUTC().toISO() as string, 1);
  };

  it('luxon alone would get both DST cases wrong (why the module resolves local times itself)', () => {
    const gap = DateTime.fromObject({ year: 2027, month: 3, day: 14, hour: 2, minute: 30 }, { zone: 'America/New_York' });
    const overlap = DateTime.fromObject({ year: 2027, month: 11, day: 7, hour: 1, minute: 30 }, { zone: 'America/New_York' });
    expect(gap.toUTC().toISO()).toBe('2027-03-14T07:30:00.000Z'); // 03:30 EDT, not the first valid instant 03:00
    expect(overlap.toUTC().toISO()).toBe('2027-11-07T06:30:00.000Z'); // the second 01:30 (EST), not the first
  });

  describe('America/New_York (spring forward 2027-03-14 02:00 → 03:00, fall back 2027-11-07 02:00 → 01:00)', () => {
    it('a time in the gap runs at the first valid instant after it: 02:30 → 03:00 EDT', () => {
      expect(onDay('America/New_York', '2027-03-14', '02:30:00')).toEqual([['2027-03-14', '2027-03-14T07:00:00Z']]);
      expect(onDay('America/New_York', '2027-03-14', '02:00:00')).toEqual([['2027-03-14', '2027-03-14T07:00:00Z']]);
      expect(onDay('America/New_York', '2027-03-14', '01:59:59')).toEqual([['2027-03-14', '2027-03-14T06:59:59Z']]);
      expect(onDay('America/New_York', '2027-03-14', '03:00:00')).toEqual([['2027-03-14', '2027-03-14T07:00:00Z']]);
    });

    it('the days around keep their wall time: the API preview example', () => {
      expect(next(spec(DAILY, '02:30:00'), '2027-03-12T00:00:00Z', 4)).toEqual([
        ['2027-03-12', '2027-03-12T07:30:00Z'],
        ['2027-03-13', '2027-03-13T07:30:00Z'],
        ['2027-03-14', '2027-03-14T07:00:00Z'],
        ['2027-03-15', '2027-03-15T06:30:00Z'],
      ]);
    });

    it('a repeated time runs once, at its first (EDT) occurrence', () => {
      expect(next(spec(DAILY, '01:30:00'), '2027-11-06T12:00:00Z', 2)).toEqual([
        ['2027-11-07', '2027-11-07T05:30:00Z'],
        ['2027-11-08', '2027-11-08T06:30:00Z'],
      ]);
      // Even when asked from between the two passes: the second 01:30 is not another occurrence.
      expect(next(spec(DAILY, '01:30:00'), '2027-11-07T05:45:00Z', 1)).toEqual([['2027-11-08', '2027-11-08T06:30:00Z']]);
      expect(onDay('America/New_York', '2027-11-07', '02:30:00')).toEqual([['2027-11-07', '2027-11-07T07:30:00Z']]);
    });

    it('a CRON every 15 minutes: the skipped hour collapses into 03:00, the repeated hour runs once', () => {
      const every15 = spec({ type: 'CRON', expression: '0/15 1-3 ? * SUN *' });
      expect(next(every15, '2027-03-14T05:00:00Z', 6).map(([, instant]) => instant)).toEqual([
        '2027-03-14T06:00:00Z',
        '2027-03-14T06:15:00Z',
        '2027-03-14T06:30:00Z',
        '2027-03-14T06:45:00Z',
        '2027-03-14T07:00:00Z', // 02:00-02:45 do not exist; they and 03:00 itself run once, at 03:00 EDT
        '2027-03-14T07:15:00Z',
      ]);
      expect(next(every15, '2027-11-07T04:00:00Z', 6).map(([, instant]) => instant)).toEqual([
        '2027-11-07T05:00:00Z',
        '2027-11-07T05:15:00Z',
        '2027-11-07T05:30:00Z',
        '2027-11-07T05:45:00Z',
        '2027-11-07T07:00:00Z', // 02:00 EST: the second pass through 01:xx does not run again
        '2027-11-07T07:15:00Z',
      ]);
    });
  });

  describe('Europe/London (spring forward 2027-03-28 01:00 → 02:00, fall back 2027-10-31 02:00 → 01:00)', () => {
    it('01:30 on the spring-forward day runs at 02:00 BST, which is 01:00Z', () => {
      expect(at('Europe/London', '2027-03-28', '01:30:00')).toBe('2027-03-28T01:00:00.000Z');
      expect(at('Europe/London', '2027-03-28', '02:30:00')).toBe('2027-03-28T01:30:00.000Z');
    });

    it('01:30 on the fall-back day runs at the BST one, 00:30Z', () => {
      expect(at('Europe/London', '2027-10-31', '01:30:00')).toBe('2027-10-31T00:30:00.000Z');
      expect(at('Europe/London', '2027-11-01', '01:30:00')).toBe('2027-11-01T01:30:00.000Z');
    });
  });

  describe('Australia/Sydney (southern hemisphere: DST starts 2027-10-03, ends 2027-04-04)', () => {
    it('DST starts in October: 02:30 does not exist and runs at 03:00 AEDT', () => {
      expect(onDay('Australia/Sydney', '2027-10-03', '02:30:00')).toEqual([['2027-10-03', '2027-10-02T16:00:00Z']]);
      expect(onDay('Australia/Sydney', '2027-10-04', '02:30:00')).toEqual([['2027-10-04', '2027-10-03T15:30:00Z']]);
    });

    it('DST ends in April: 02:30 happens twice and runs at the first one (AEDT, +11)', () => {
      expect(onDay('Australia/Sydney', '2027-04-04', '02:30:00')).toEqual([['2027-04-04', '2027-04-03T15:30:00Z']]);
      expect(onDay('Australia/Sydney', '2027-04-05', '02:30:00')).toEqual([['2027-04-05', '2027-04-04T16:30:00Z']]);
    });

    it('the processing date is the local date, a day ahead of the UTC date', () => {
      expect(next(spec(DAILY, '08:00:00', 'Australia/Sydney'), '2027-06-30T00:00:00Z', 1)).toEqual([['2027-07-01', '2027-06-30T22:00:00Z']]);
    });
  });

  describe('Asia/Kolkata (no DST, +05:30)', () => {
    it('every day at the same UTC instant, the processing date being the local one', () => {
      expect(next(spec(DAILY, '02:30:00', 'Asia/Kolkata'), '2027-03-12T00:00:00Z', 3)).toEqual([
        ['2027-03-13', '2027-03-12T21:00:00Z'],
        ['2027-03-14', '2027-03-13T21:00:00Z'],
        ['2027-03-15', '2027-03-14T21:00:00Z'],
      ]);
      expect(processingDateOf(new Date('2027-03-12T18:29:59Z'), 'Asia/Kolkata')).toBe('2027-03-12');
      expect(processingDateOf(new Date('2027-03-12T18:30:00Z'), 'Asia/Kolkata')).toBe('2027-03-13');
    });
  });

  describe('zones that change at midnight or skip a day', () => {
    it('America/Sao_Paulo 2018-11-04: 00:30 does not exist and runs at 01:00 the same date', () => {
      expect(onDay('America/Sao_Paulo', '2018-11-04', '00:30:00')).toEqual([['2018-11-04', '2018-11-04T03:00:00Z']]);
    });

    it('America/Sao_Paulo 2018-02-17: 23:30 happens twice (midnight falls back to 23:00) and runs once, first', () => {
      expect(next(spec(DAILY, '23:30:00', 'America/Sao_Paulo'), '2018-02-17T12:00:00Z', 2)).toEqual([
        ['2018-02-17', '2018-02-18T01:30:00Z'],
        ['2018-02-18', '2018-02-19T02:30:00Z'],
      ]);
    });

    it('Pacific/Apia skipped 2011-12-30: that date has no occurrence', () => {
      expect(next(spec(DAILY, '10:00:00', 'Pacific/Apia'), '2011-12-28T00:00:00Z', 3)).toEqual([
        ['2011-12-28', '2011-12-28T20:00:00Z'],
        ['2011-12-29', '2011-12-29T20:00:00Z'],
        ['2011-12-31', '2011-12-30T20:00:00Z'],
      ]);
    });

    it('Pacific/Chatham changes at 02:45 local: 03:00 on the spring-forward day runs at 03:45', () => {
      expect(onDay('Pacific/Chatham', '2027-09-26', '03:00:00')).toEqual([['2027-09-26', '2027-09-25T14:00:00Z']]);
    });
  });
});

describe('occurrenceForScheduledTime', () => {
  const daily = spec(DAILY, '02:30:00');

  it('maps a fire at the occurrence to it, also on a DST day', () => {
    expect(occurrenceForScheduledTime(daily, new Date('2027-03-13T07:30:00Z'))).toEqual({ processingDate: '2027-03-13', at: '2027-03-13T07:30:00Z' });
    expect(occurrenceForScheduledTime(daily, new Date('2027-03-14T07:00:00Z'))).toEqual({ processingDate: '2027-03-14', at: '2027-03-14T07:00:00Z' });
  });

  it('tolerates a fire in the same minute (EventBridge has minute precision) and up to an hour late (by default)', () => {
    const withSeconds = spec(DAILY, '02:30:15');
    expect(occurrenceForScheduledTime(withSeconds, new Date('2027-01-10T07:30:00Z'))?.at).toBe('2027-01-10T07:30:15Z');
    expect(occurrenceForScheduledTime(daily, new Date('2027-01-10T07:29:59Z'))).toBeUndefined();
    expect(occurrenceForScheduledTime(daily, new Date('2027-01-10T07:30:00Z'), { lateToleranceMs: 0 })?.processingDate).toBe('2027-01-10');
    expect(occurrenceForScheduledTime(daily, new Date('2027-01-10T07:30:01Z'), { lateToleranceMs: 0 })?.processingDate).toBe('2027-01-10');
    expect(occurrenceForScheduledTime(daily, new Date('2027-01-10T07:31:00Z'), { lateToleranceMs: 0 })).toBeUndefined();
    expect(occurrenceForScheduledTime(daily, new Date('2027-01-10T08:30:00Z'))?.processingDate).toBe('2027-01-10');
    expect(occurrenceForScheduledTime(daily, new Date('2027-01-10T08:30:01Z'))).toBeUndefined();
    expect(occurrenceForScheduledTime(daily, new Date('2027-01-10T09:30:00Z'), { lateToleranceMs: 3 * 3_600_000 })?.processingDate).toBe('2027-01-10');
  });

  it('keeps the occurrence date when a late fire crosses midnight', () => {
    const lateEvening = spec(DAILY, '23:59:30', 'Europe/London');
    expect(occurrenceForScheduledTime(lateEvening, new Date('2027-01-11T00:00:10Z'))).toEqual({ processingDate: '2027-01-10', at: '2027-01-10T23:59:30Z' });
  });

  it('returns undefined on a date that is not due, and for MANUAL', () => {
    const monthEnd = spec({ type: 'MONTH_END', offsetDays: 0 }, '02:30:00');
    expect(occurrenceForScheduledTime(monthEnd, new Date('2027-01-30T07:30:00Z'))).toBeUndefined();
    expect(occurrenceForScheduledTime(monthEnd, new Date('2027-01-31T07:30:00Z'))?.processingDate).toBe('2027-01-31');
    expect(occurrenceForScheduledTime(spec({ type: 'MANUAL' }), new Date('2027-01-31T07:30:00Z'))).toBeUndefined();
  });

  it('picks the matching fire of a CRON that runs every minute', () => {
    const everyMinute = spec({ type: 'CRON', expression: '* * * * ? *' }, '00:00:00', 'UTC');
    expect(occurrenceForScheduledTime(everyMinute, new Date('2027-01-10T10:05:00Z'))?.at).toBe('2027-01-10T10:05:00Z');
    expect(occurrenceForScheduledTime(everyMinute, new Date('2027-01-10T10:05:59Z'))?.at).toBe('2027-01-10T10:05:00Z');
    const hourly = spec({ type: 'CRON', expression: '0 * * * ? *' }, '00:00:00', 'UTC');
    expect(occurrenceForScheduledTime(hourly, new Date('2027-01-10T10:59:59Z'))?.at).toBe('2027-01-10T10:00:00Z');
  });
});

describe('validateCalendarSpec', () => {
  it('accepts a valid spec', () => {
    expect(() => validateCalendarSpec({ ...spec({ type: 'CRON', expression: '0 10 ? * 6L *' }), exceptionWindows: [{ start: '22:00:00', end: '02:00:00' }] })).not.toThrow();
  });

  it('collects every problem with its path', () => {
    const error = caught(() =>
      validateCalendarSpec({
        frequency: { type: 'CRON', expression: '0 25 * * * *' },
        executionTime: '2:30',
        timezone: 'Nowhere/Land',
        exceptionWindows: [
          { start: '01:00:00', end: '01:00:00' },
          { start: '22:00:00', end: '02:00:00' },
          { start: '01:30:00', end: '03:00:00' },
        ],
      }),
    );
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.details.map((detail) => detail.path)).toEqual([
      'timezone',
      'executionTime',
      'frequency.expression',
      'frequency.expression',
      'exceptionWindows[0]',
      'exceptionWindows[2]',
    ]);
    expect(error.details[2]?.message).toMatch(/^hours: 25 is out of range \(0-23\)/);
    expect(error.details[3]?.message).toMatch(/exactly one of them must be "\?"/);
  });

  it('refuses a CRON expression that never fires', () => {
    const error = caught(() => validateCalendarSpec(spec({ type: 'CRON', expression: '0 0 30 FEB ? *' })));
    expect(error.details).toEqual([{ path: 'frequency.expression', message: '"0 0 30 FEB ? *" never fires: no date matches it' }]);
  });
});
