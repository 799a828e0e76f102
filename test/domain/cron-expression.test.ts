import { describe, expect, it } from 'vitest';
import { parseCron } from '../../lambdas/domain/cron-expression';
import { ValidationError } from '../../lambdas/domain/errors';
import { isDue } from '../../lambdas/domain/frequency-dates';
import { nextOccurrences } from '../../lambdas/domain/schedule-calendar';

/** The local dates and times of the next `count` fires in UTC, "YYYY-MM-DD HH:MM". */
function fires(expression: string, after: string, count: number): string[] {
  return nextOccurrences({ frequency: { type: 'CRON', expression }, executionTime: '00:00:00', timezone: 'UTC' }, new Date(after), count).map(
    (occurrence) => occurrence.at.slice(0, 16).replace('T', ' '),
  );
}

function problemOf(expression: string): ValidationError {
  try {
    parseCron(expression);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error(`expected "${expression}" to be refused`);
}

describe('parseCron: valid expressions and when they fire', () => {
  // Calendar facts used below: 2027-01-01 is a Friday; 2027-05-01 a Saturday; 2027-10-31 a
  // Sunday; 2028 is a leap year.
  const examples: Array<{ expression: string; meaning: string; after: string; expected: string[] }> = [
    { expression: '0 10 * * ? *', meaning: 'every day at 10:00', after: '2027-01-01T10:00:00Z', expected: ['2027-01-02 10:00', '2027-01-03 10:00'] },
    { expression: '15 12 ? * MON-FRI *', meaning: 'weekdays (names, range)', after: '2027-01-01T13:00:00Z', expected: ['2027-01-04 12:15', '2027-01-05 12:15'] },
    { expression: '0 8 ? * 2-6 *', meaning: 'weekdays as numbers: 1 = SUN ... 7 = SAT', after: '2027-01-01T13:00:00Z', expected: ['2027-01-04 08:00', '2027-01-05 08:00'] },
    { expression: '0 9 ? * SUN,SAT *', meaning: 'weekends (list)', after: '2027-01-01T00:00:00Z', expected: ['2027-01-02 09:00', '2027-01-03 09:00', '2027-01-09 09:00'] },
    { expression: '0/15 9 1 JAN ? 2027', meaning: 'every 15 minutes from minute 0', after: '2027-01-01T00:00:00Z', expected: ['2027-01-01 09:00', '2027-01-01 09:15', '2027-01-01 09:30', '2027-01-01 09:45'] },
    { expression: '5/20 9 1 1 ? 2027', meaning: 'a/step runs from a to the maximum', after: '2027-01-01T00:00:00Z', expected: ['2027-01-01 09:05', '2027-01-01 09:25', '2027-01-01 09:45'] },
    { expression: '0 */8 1 1 ? 2027', meaning: '*/step', after: '2027-01-01T00:00:00Z', expected: ['2027-01-01 08:00', '2027-01-01 16:00'] },
    { expression: '0 1-9/4 1 1 ? 2027', meaning: 'range with a step', after: '2027-01-01T00:00:00Z', expected: ['2027-01-01 01:00', '2027-01-01 05:00', '2027-01-01 09:00'] },
    { expression: '30 6 1,15 * ? *', meaning: 'days of month (list)', after: '2027-01-02T00:00:00Z', expected: ['2027-01-15 06:30', '2027-02-01 06:30', '2027-02-15 06:30'] },
    { expression: '0 0 1/10 2 ? 2028', meaning: 'day-of-month with a step', after: '2028-01-01T00:00:00Z', expected: ['2028-02-01 00:00', '2028-02-11 00:00', '2028-02-21 00:00'] },
    { expression: '0 0 31 * ? *', meaning: 'the 31st only in months that have one (no clamping in cron)', after: '2027-01-01T00:00:00Z', expected: ['2027-01-31 00:00', '2027-03-31 00:00', '2027-05-31 00:00'] },
    { expression: '0 18 L * ? *', meaning: 'last day of the month', after: '2028-01-31T18:00:00Z', expected: ['2028-02-29 18:00', '2028-03-31 18:00', '2028-04-30 18:00'] },
    { expression: '0 18 LW * ? *', meaning: 'last weekday of the month (2027-10-31 is a Sunday)', after: '2027-10-01T00:00:00Z', expected: ['2027-10-29 18:00', '2027-11-30 18:00', '2027-12-31 18:00'] },
    { expression: '0 9 15W * ? 2027', meaning: 'weekday nearest the 15th (May 15 is a Saturday, Aug 15 a Sunday)', after: '2027-05-01T00:00:00Z', expected: ['2027-05-14 09:00', '2027-06-15 09:00', '2027-07-15 09:00', '2027-08-16 09:00'] },
    { expression: '0 9 1W MAY ? 2027', meaning: 'nearest weekday does not leave the month (May 1 is a Saturday → Monday 3rd)', after: '2027-01-01T00:00:00Z', expected: ['2027-05-03 09:00'] },
    { expression: '0 9 31W OCT ? 2027', meaning: 'nearest weekday does not leave the month (Oct 31 is a Sunday → Friday 29th)', after: '2027-01-01T00:00:00Z', expected: ['2027-10-29 09:00'] },
    { expression: '0 9 31W * ? 2027', meaning: '31W matches nothing in a month without a 31st', after: '2027-03-01T00:00:00Z', expected: ['2027-03-31 09:00', '2027-05-31 09:00'] },
    { expression: '0 9 ? * 6L 2027', meaning: 'last Friday of the month', after: '2027-01-01T00:00:00Z', expected: ['2027-01-29 09:00', '2027-02-26 09:00', '2027-03-26 09:00'] },
    { expression: '0 9 ? * FRIL 2027', meaning: 'last Friday, by name', after: '2027-01-01T00:00:00Z', expected: ['2027-01-29 09:00', '2027-02-26 09:00'] },
    { expression: '0 9 ? * L 2027', meaning: 'a bare L in day-of-week is the last day of the week: Saturday', after: '2027-01-01T00:00:00Z', expected: ['2027-01-02 09:00', '2027-01-09 09:00'] },
    { expression: '0 9 ? * 3#2 2027', meaning: 'second Tuesday', after: '2027-01-01T00:00:00Z', expected: ['2027-01-12 09:00', '2027-02-09 09:00', '2027-03-09 09:00'] },
    { expression: '0 9 ? * MON#1 2027', meaning: 'first Monday, by name', after: '2027-01-01T00:00:00Z', expected: ['2027-01-04 09:00', '2027-02-01 09:00'] },
    { expression: '0 9 ? * 2#5 2027', meaning: 'fifth Monday: only months that have one', after: '2027-01-01T00:00:00Z', expected: ['2027-03-29 09:00', '2027-05-31 09:00', '2027-08-30 09:00', '2027-11-29 09:00'] },
    { expression: '0 0 1 JAN-MAR,DEC ? *', meaning: 'month names, range and list', after: '2027-02-15T00:00:00Z', expected: ['2027-03-01 00:00', '2027-12-01 00:00', '2028-01-01 00:00'] },
    { expression: '0 0 1 1 ? 2030/5', meaning: 'year with a step', after: '2027-01-01T00:00:00Z', expected: ['2030-01-01 00:00', '2035-01-01 00:00'] },
    { expression: '0 0 29 2 ? *', meaning: 'February 29th: leap years only', after: '2027-01-01T00:00:00Z', expected: ['2028-02-29 00:00', '2032-02-29 00:00'] },
    { expression: '  0   10 * *   ? *  ', meaning: 'extra white space', after: '2027-01-01T10:00:00Z', expected: ['2027-01-02 10:00'] },
    { expression: '0 10 ? * mon-fri *', meaning: 'names are case-insensitive', after: '2027-01-01T10:00:00Z', expected: ['2027-01-04 10:00'] },
  ];

  it.each(examples)('$expression: $meaning', ({ expression, after, expected }) => {
    expect(fires(expression, after, expected.length)).toEqual(expected);
    for (const fire of expected) expect(isDue({ type: 'CRON', expression }, fire.slice(0, 10))).toBe(true);
  });

  it('exposes a normalized, upper-case form and the parsed fields', () => {
    const cron = parseCron('  0/30 9-10 ? jan-mar mon#2  * ');
    expect(cron.expression).toBe('0/30 9-10 ? JAN-MAR MON#2 *');
    expect(cron.minutes).toEqual([0, 30]);
    expect(cron.hours).toEqual([9, 10]);
    expect(cron.months).toEqual([1, 2, 3]);
    expect(cron.day).toEqual({ field: 'day-of-week', rule: { kind: 'nth', dayOfWeek: 2, nth: 2 } });
    expect(cron.secondsOfDay).toEqual([32_400, 34_200, 36_000, 37_800]);
    expect(cron.years[0]).toBe(1970);
    expect(cron.years.at(-1)).toBe(2199);
  });

  it("accepts API.md's example with a leading zero seconds field, as the six-field expression", () => {
    const cron = parseCron('0 30 0 ? * MON-FRI *');
    expect(cron.expression).toBe('30 0 ? * MON-FRI *');
    expect(cron.secondsOfDay).toEqual([1_800]);
    expect(isDue({ type: 'CRON', expression: '0 30 0 ? * MON-FRI *' }, '2026-11-27')).toBe(true);
    expect(isDue({ type: 'CRON', expression: '0 30 0 ? * MON-FRI *' }, '2026-11-28')).toBe(false);
  });

  it('isDue is false on dates the expression does not match', () => {
    expect(isDue({ type: 'CRON', expression: '0 9 ? * 6L *' }, '2027-01-22')).toBe(false);
    expect(isDue({ type: 'CRON', expression: '0 9 LW * ? *' }, '2027-10-31')).toBe(false);
    expect(isDue({ type: 'CRON', expression: '0 9 * * ? 2026' }, '2027-01-01')).toBe(false);
  });
});

describe('parseCron: invalid expressions', () => {
  const invalid: Array<[string, string]> = [
    ['', 'expected 6 fields (minutes hours day-of-month month day-of-week year) but found 0'],
    ['0 10 * * ?', 'expected 6 fields (minutes hours day-of-month month day-of-week year) but found 5 (the year field is required: add " *")'],
    ['30 0 10 * * ? *', 'found 7 fields: a leading seconds field must be 0 (schedules fire on whole minutes), found "30"'],
    ['cron(0 10 * * ? *)', 'write the six fields without the "cron( )" wrapper, e.g. "0 10 * * ? *"'],
    ['60 10 * * ? *', 'minutes: 60 is out of range (0-59)'],
    ['0 24 * * ? *', 'hours: 24 is out of range (0-23)'],
    ['0 10 0 * ? *', 'day-of-month: 0 is out of range (1-31)'],
    ['0 10 32 * ? *', 'day-of-month: 32 is out of range (1-31)'],
    ['0 10 1 13 ? *', 'month: 13 is out of range (1-12 or JAN-DEC)'],
    ['0 10 1 JANUARY ? *', 'month: "JANUARY" is not a valid value (1-12 or JAN-DEC)'],
    ['0 10 ? * 0 *', 'day-of-week: 0 is out of range (1-7 or SUN-SAT)'],
    ['0 10 ? * 8 *', 'day-of-week: 8 is out of range (1-7 or SUN-SAT)'],
    ['0 10 ? * MONDAY *', 'day-of-week: "MONDAY" is not a valid value (1-7 or SUN-SAT)'],
    ['0 10 * * ? 1969', 'year: 1969 is out of range (1970-2199)'],
    ['0 10 * * ? 2200', 'year: 2200 is out of range (1970-2199)'],
    ['0 10 * * * *', 'day-of-month and day-of-week: exactly one of them must be "?" (e.g. "0 10 * * ? *" or "0 10 ? * MON-FRI *"), found "*" and "*"'],
    ['0 10 ? * ? *', 'day-of-month and day-of-week: exactly one of them must be "?" (e.g. "0 10 * * ? *" or "0 10 ? * MON-FRI *"), found "?" and "?"'],
    ['0 10 1 * MON *', 'day-of-month and day-of-week: exactly one of them must be "?" (e.g. "0 10 * * ? *" or "0 10 ? * MON-FRI *"), found "1" and "MON"'],
    ['? 10 * * ? *', 'minutes: "?" is only allowed in day-of-month and day-of-week'],
    ['0 10 ?,1 * ? *', 'day-of-month: "?" must be the whole field'],
    ['0 10 ? * MON/2 *', 'day-of-week: "MON/2": "/" is not allowed in day-of-week'],
    ['0/0 10 * * ? *', 'minutes: "0/0": the increment after "/" must be a number from 1 to 60'],
    ['*/ 10 * * ? *', 'minutes: "*/": the increment after "/" must be a number from 1 to 60'],
    ['0/5/2 10 * * ? *', 'minutes: "0/5/2" has more than one "/"'],
    ['0 1-2-3 * * ? *', 'hours: "1-2-3" has more than one "-"'],
    ['0 5- * * ? *', 'hours: "5-" is missing a value (0-23)'],
    ['0 1,,2 * * ? *', 'hours: "1,,2" has an empty item in its list'],
    ['0 22-2 * * ? *', 'hours: "22-2": the range runs backwards; write it as "22-23,0-2"'],
    ['0 10 ? * FRI-MON *', 'day-of-week: "FRI-MON": the range runs backwards; write it as "FRI-SAT,SUN-MON"'],
    ['0 10 L-3 * ? *', 'day-of-month: "L-3": offsets from the last day ("L-n") are not supported by EventBridge; use a MONTH_END frequency with offsetDays'],
    ['0 10 L,15 * ? *', 'day-of-month: "L,15": "L" and "W" must stand alone in day-of-month (L, LW or nW such as 15W), and "?" must be the whole field'],
    ['0 10 1W,15W * ? *', 'day-of-month: "1W,15W": "L" and "W" must stand alone in day-of-month (L, LW or nW such as 15W), and "?" must be the whole field'],
    ['0 10 32W * ? *', 'day-of-month: "32W": 32 is out of range (1-31)'],
    ['0 10 ? * 3#1,6#3 *', 'day-of-week: "3#1,6#3": "#" allows a single expression in day-of-week ("3#1,6#3" is invalid)'],
    ['0 10 ? * 3#6 *', 'day-of-week: "3#6": the number after "#" must be 1-5 (the 1st to 5th such day of the month)'],
    ['0 10 ? * 8#1 *', 'day-of-week: "8#1": 8 is out of range (1-7 or SUN-SAT)'],
    ['0 10 ? * 2,6L *', 'day-of-week: "2,6L": "L" and "#" must stand alone in day-of-week (L, nL such as 6L, or n#k such as 3#2), and "?" must be the whole field'],
    ['0 L * * ? *', 'hours: "L": hours allows only numbers and the wildcards , - * /'],
    ['0 10 * JUL#2 ? *', 'month: "JUL#2": month allows only numbers, names and the wildcards , - * /'],
  ];

  it.each(invalid)('"%s" → %s', (expression, problem) => {
    const error = problemOf(expression);
    expect(error.message).toBe(`Invalid cron expression "${expression}": ${problem}`);
    expect(error.details).toEqual([{ path: 'frequency.expression', message: problem }]);
  });

  it('reports every field in error at once', () => {
    const error = problemOf('61 25 * * ? 1900');
    expect(error.details.map((detail) => detail.message)).toEqual([
      'minutes: 61 is out of range (0-59)',
      'hours: 25 is out of range (0-23)',
      'year: 1900 is out of range (1970-2199)',
    ]);
  });

  it('uses the path it is given', () => {
    expect(() => parseCron('x', 'body.expression')).toThrow(
      expect.objectContaining({ details: [{ path: 'body.expression', message: 'expected 6 fields (minutes hours day-of-month month day-of-week year) but found 1' }] }),
    );
  });
});
