import { assertNever } from './assert-never';
import { civilDate, daysInMonth, epochDay, isoWeekday } from './calendar-dates';
import { ValidationError, type ErrorDetail } from './errors';

/**
 * EventBridge cron expressions: six fields, `minutes hours day-of-month month day-of-week year`
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cron-expressions.html).
 *
 * | field        | values              | wildcards       |
 * |--------------|---------------------|-----------------|
 * | minutes      | 0-59                | , - * /         |
 * | hours        | 0-23                | , - * /         |
 * | day-of-month | 1-31                | , - * ? / L W   |
 * | month        | 1-12 or JAN-DEC     | , - * /         |
 * | day-of-week  | 1-7 or SUN-SAT      | , - * ? L #     |
 * | year         | 1970-2199           | , - * /         |
 *
 * Exactly one of day-of-month and day-of-week is `?`. Day-of-month `L` is the month's last day,
 * `LW` its last weekday, `15W` the weekday nearest the 15th without leaving the month (a Saturday
 * 1st gives Monday the 3rd, a Sunday last day gives the Friday before). Day-of-week counts
 * 1 = SUN ... 7 = SAT: `6L` (or `FRIL`) is the month's last Friday, `3#2` (or `TUE#2`) its second
 * Tuesday, and a bare `L` the last day of the week, Saturday. As in EventBridge (and Quartz, whose
 * syntax it follows) `L`, `W` and `#` stand alone in their field ("3#1,6#3" is invalid).
 *
 * Deliberately stricter than some cron dialects, so that whatever is accepted here EventBridge
 * also accepts: no seconds field, no `cron(...)` wrapper, no `/` in day-of-week, no `L-3`
 * offsets, and no ranges that run backwards (`FRI-MON`: write `FRI,SAT,SUN,MON`). Names and
 * letters are case-insensitive; `expression` holds the normalized (upper-case) form.
 */

export const CRON_FIELDS = ['minutes', 'hours', 'day-of-month', 'month', 'day-of-week', 'year'] as const;
export type CronField = (typeof CRON_FIELDS)[number];

export type DayOfMonthRule =
  | { kind: 'days'; days: readonly number[] }
  | { kind: 'last' }
  | { kind: 'lastWeekday' }
  | { kind: 'nearestWeekday'; day: number };

/** Days of week in EventBridge numbering: 1 = SUN ... 7 = SAT. */
export type DayOfWeekRule =
  | { kind: 'days'; days: readonly number[] }
  | { kind: 'last'; dayOfWeek: number }
  | { kind: 'nth'; dayOfWeek: number; nth: number };

export type CronDayRule = { field: 'day-of-month'; rule: DayOfMonthRule } | { field: 'day-of-week'; rule: DayOfWeekRule };

export interface CronExpression {
  /** The normalized expression: single spaces, upper case. */
  expression: string;
  minutes: readonly number[];
  hours: readonly number[];
  months: readonly number[];
  years: readonly number[];
  /** Which of day-of-month / day-of-week is set (the other one is `?`) and its rule. */
  day: CronDayRule;
  /** Every wall time of a matching day, seconds since local midnight, ascending. */
  secondsOfDay: readonly number[];
}

export const MIN_CRON_YEAR = 1970;
export const MAX_CRON_YEAR = 2199;

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] as const;
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;

interface FieldSpec {
  name: CronField;
  min: number;
  max: number;
  names?: readonly string[];
  step: boolean;
}

const FIELD_SPECS: Record<CronField, FieldSpec> = {
  minutes: { name: 'minutes', min: 0, max: 59, step: true },
  hours: { name: 'hours', min: 0, max: 23, step: true },
  'day-of-month': { name: 'day-of-month', min: 1, max: 31, step: true },
  month: { name: 'month', min: 1, max: 12, names: MONTH_NAMES, step: true },
  'day-of-week': { name: 'day-of-week', min: 1, max: 7, names: DAY_NAMES, step: false },
  year: { name: 'year', min: MIN_CRON_YEAR, max: MAX_CRON_YEAR, step: true },
};

/** A problem in one field; parseCron collects them into one ValidationError. */
class FieldProblem extends Error {}

function describeValues(spec: FieldSpec): string {
  const numeric = `${spec.min}-${spec.max}`;
  return spec.names ? `${numeric} or ${spec.names[0]}-${spec.names[spec.names.length - 1]}` : numeric;
}

/** `"15W": 15 ...` when the value is part of a larger item, just the value otherwise. */
function within(item: string, text: string): string {
  return item === text ? '' : `"${item}": `;
}

function parseValue(spec: FieldSpec, text: string, item: string): number {
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    if (value < spec.min || value > spec.max) {
      throw new FieldProblem(`${within(item, text)}${value} is out of range (${describeValues(spec)})`);
    }
    return value;
  }
  const index = spec.names?.indexOf(text) ?? -1;
  if (index >= 0) return spec.min + index;
  if (text === '') throw new FieldProblem(`"${item}" is missing a value (${describeValues(spec)})`);
  if (/^\d*[LW]$|^LW$|#/.test(text)) throw new FieldProblem(`"${item}": ${describeSpecials(spec.name)}`);
  throw new FieldProblem(`${within(item, text)}"${text}" is not a valid value (${describeValues(spec)})`);
}

function describeSpecials(field: CronField): string {
  switch (field) {
    case 'day-of-month':
      return '"L" and "W" must stand alone in day-of-month (L, LW or nW such as 15W), and "?" must be the whole field';
    case 'day-of-week':
      return '"L" and "#" must stand alone in day-of-week (L, nL such as 6L, or n#k such as 3#2), and "?" must be the whole field';
    case 'minutes':
    case 'hours':
    case 'month':
    case 'year':
      return `${field} allows only numbers${FIELD_SPECS[field].names ? ', names' : ''} and the wildcards , - * /`;
    default:
      return assertNever(field);
  }
}

function parseStep(spec: FieldSpec, text: string, item: string): number {
  const span = spec.max - spec.min + 1;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > span) {
    throw new FieldProblem(`"${item}": the increment after "/" must be a number from 1 to ${span}`);
  }
  return Number(text);
}

/** `*`, `a`, `a-b`, each optionally with `/step`; `a/step` runs from a to the field's maximum. */
function parseItem(spec: FieldSpec, item: string): number[] {
  const parts = item.split('/');
  if (parts.length > 2) throw new FieldProblem(`"${item}" has more than one "/"`);
  const [range = '', stepText] = parts;
  if (stepText !== undefined && !spec.step) throw new FieldProblem(`"${item}": "/" is not allowed in ${spec.name}`);
  const step = stepText === undefined ? 1 : parseStep(spec, stepText, item);
  let low: number;
  let high: number;
  if (range === '*') {
    low = spec.min;
    high = spec.max;
  } else {
    const bounds = range.split('-');
    if (bounds.length > 2) throw new FieldProblem(`"${item}" has more than one "-"`);
    low = parseValue(spec, bounds[0] ?? '', item);
    if (bounds.length === 2) {
      high = parseValue(spec, bounds[1] ?? '', item);
      if (low > high) {
        const first = spec.names?.[0] ?? String(spec.min);
        const last = spec.names?.[spec.names.length - 1] ?? String(spec.max);
        throw new FieldProblem(`"${item}": the range runs backwards; write it as "${bounds[0]}-${last},${first}-${bounds[1]}"`);
      }
    } else {
      high = stepText === undefined ? low : spec.max;
    }
  }
  const values: number[] = [];
  for (let value = low; value <= high; value += step) values.push(value);
  return values;
}

function parseList(spec: FieldSpec, text: string): number[] {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    if (item === '') throw new FieldProblem(`"${text}" has an empty item in its list`);
    if (item === '?') throw new FieldProblem(`"?" ${spec.name.startsWith('day-of-') ? 'must be the whole field' : `is only allowed in day-of-month and day-of-week`}`);
    for (const value of parseItem(spec, item)) values.add(value);
  }
  return [...values].sort((a, b) => a - b);
}

function parseDayOfMonth(text: string): DayOfMonthRule {
  if (text === 'L') return { kind: 'last' };
  if (text === 'LW') return { kind: 'lastWeekday' };
  const nearest = /^(\d+)W$/.exec(text);
  if (nearest) {
    return { kind: 'nearestWeekday', day: parseValue(FIELD_SPECS['day-of-month'], nearest[1] ?? '', text) };
  }
  if (/^L-\d+$/.test(text)) {
    throw new FieldProblem(`"${text}": offsets from the last day ("L-n") are not supported by EventBridge; use a MONTH_END frequency with offsetDays`);
  }
  if (/[LW]/.test(text)) throw new FieldProblem(`"${text}": ${describeSpecials('day-of-month')}`);
  return { kind: 'days', days: parseList(FIELD_SPECS['day-of-month'], text) };
}

function parseDayOfWeek(text: string): DayOfWeekRule {
  const spec = FIELD_SPECS['day-of-week'];
  if (text === 'L') return { kind: 'days', days: [7] };
  const last = /^([^,#L]+)L$/.exec(text);
  if (last) return { kind: 'last', dayOfWeek: parseValue(spec, last[1] ?? '', text) };
  const nth = /^([^,#L]+)#([^,#L]*)$/.exec(text);
  if (nth) {
    const dayOfWeek = parseValue(spec, nth[1] ?? '', text);
    const ordinal = nth[2] ?? '';
    if (!/^[1-5]$/.test(ordinal)) {
      throw new FieldProblem(`"${text}": the number after "#" must be 1-5 (the 1st to 5th such day of the month)`);
    }
    return { kind: 'nth', dayOfWeek, nth: Number(ordinal) };
  }
  if (text.includes('#') && text.includes(',')) {
    throw new FieldProblem(`"${text}": "#" allows a single expression in day-of-week ("3#1,6#3" is invalid)`);
  }
  if (/[L#]/.test(text)) throw new FieldProblem(`"${text}": ${describeSpecials('day-of-week')}`);
  return { kind: 'days', days: parseList(spec, text) };
}

/**
 * Parses and validates an EventBridge cron expression. Throws a ValidationError whose message
 * names every field in error and the problem, with one detail per problem at `path`.
 */
export function parseCron(expression: string, path = 'frequency.expression'): CronExpression {
  const fail = (problems: string[]): never => {
    const details: ErrorDetail[] = problems.map((message) => ({ path, message }));
    throw new ValidationError(`Invalid cron expression "${expression}": ${problems.join('; ')}`, details);
  };
  if (typeof expression !== 'string') return fail(['must be a string']);
  const normalized = expression.trim().toUpperCase();
  if (/^CRON\s*\(/.test(normalized)) {
    return fail(['write the six fields without the "cron( )" wrapper, e.g. "0 10 * * ? *"']);
  }
  let fields = normalized.split(/\s+/).filter((field) => field.length > 0);
  if (fields.length === CRON_FIELDS.length + 1) {
    // API.md's own example ("0 30 0 ? * MON-FRI *") leads with a seconds field. Schedules fire
    // on whole minutes, so a leading 0 is accepted and dropped; any other seconds value is not.
    if (fields[0] !== '0') return fail([`found 7 fields: a leading seconds field must be 0 (schedules fire on whole minutes), found "${fields[0]}"`]);
    fields = fields.slice(1);
  }
  if (fields.length !== CRON_FIELDS.length) {
    const hint = fields.length === 5 ? ' (the year field is required: add " *")' : '';
    return fail([`expected 6 fields (${CRON_FIELDS.join(' ')}) but found ${fields.length}${hint}`]);
  }
  const [minutesText, hoursText, dayOfMonthText, monthText, dayOfWeekText, yearText] = fields as [string, string, string, string, string, string];

  const problems: string[] = [];
  const attempt = <T>(field: CronField, parse: () => T): T | undefined => {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof FieldProblem)) throw error;
      problems.push(`${field}: ${error.message}`);
      return undefined;
    }
  };
  const minutes = attempt('minutes', () => parseList(FIELD_SPECS.minutes, minutesText));
  const hours = attempt('hours', () => parseList(FIELD_SPECS.hours, hoursText));
  const months = attempt('month', () => parseList(FIELD_SPECS.month, monthText));
  const years = attempt('year', () => parseList(FIELD_SPECS.year, yearText));
  const dayOfMonth = dayOfMonthText === '?' ? '?' : attempt('day-of-month', () => parseDayOfMonth(dayOfMonthText));
  const dayOfWeek = dayOfWeekText === '?' ? '?' : attempt('day-of-week', () => parseDayOfWeek(dayOfWeekText));
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
    problems.push(
      `day-of-month and day-of-week: exactly one of them must be "?" (e.g. "0 10 * * ? *" or "0 10 ? * MON-FRI *"), found "${dayOfMonthText}" and "${dayOfWeekText}"`,
    );
  }
  if (problems.length > 0 || !minutes || !hours || !months || !years || !dayOfMonth || !dayOfWeek) return fail(problems);

  const day: CronDayRule =
    dayOfMonth !== '?' ? { field: 'day-of-month', rule: dayOfMonth } : { field: 'day-of-week', rule: dayOfWeek as DayOfWeekRule };
  const secondsOfDay = hours.flatMap((hour) => minutes.map((minute) => hour * 3600 + minute * 60));
  return { expression: fields.join(' '), minutes, hours, months, years, day, secondsOfDay };
}

/** EventBridge's day-of-week number (1 = SUN ... 7 = SAT) of an epoch day. */
function cronWeekday(day: number): number {
  return (isoWeekday(day) % 7) + 1;
}

/** The days (1-31) of a month on which the day rule matches, ascending. */
function matchingDaysOfMonth(rule: CronDayRule, year: number, month: number): number[] {
  const lastDay = daysInMonth(year, month);
  const weekdayOf = (dayOfMonth: number): number => cronWeekday(epochDay(year, month, dayOfMonth));
  if (rule.field === 'day-of-month') {
    const dom = rule.rule;
    switch (dom.kind) {
      case 'days':
        return dom.days.filter((d) => d <= lastDay);
      case 'last':
        return [lastDay];
      case 'lastWeekday': {
        const weekday = weekdayOf(lastDay);
        return [weekday === 7 ? lastDay - 1 : weekday === 1 ? lastDay - 2 : lastDay];
      }
      case 'nearestWeekday': {
        // A day the month does not have (31W in April) matches nothing, as the plain day would not.
        if (dom.day > lastDay) return [];
        const weekday = weekdayOf(dom.day);
        if (weekday === 7) return [dom.day === 1 ? 3 : dom.day - 1];
        if (weekday === 1) return [dom.day === lastDay ? dom.day - 2 : dom.day + 1];
        return [dom.day];
      }
      default:
        return assertNever(dom);
    }
  }
  const dow = rule.rule;
  const firstWeekday = weekdayOf(1);
  switch (dow.kind) {
    case 'days': {
      const days: number[] = [];
      for (let d = 1; d <= lastDay; d++) if (dow.days.includes(((firstWeekday - 1 + d - 1) % 7) + 1)) days.push(d);
      return days;
    }
    case 'last':
      return [lastDay - ((weekdayOf(lastDay) - dow.dayOfWeek + 7) % 7)];
    case 'nth': {
      const d = 1 + ((dow.dayOfWeek - firstWeekday + 7) % 7) + 7 * (dow.nth - 1);
      return d <= lastDay ? [d] : [];
    }
    default:
      return assertNever(dow);
  }
}

/** Whether the expression fires on a local date (an epoch day), at any time of that day. */
export function cronMatchesDay(cron: CronExpression, day: number): boolean {
  const { year, month, day: dayOfMonth } = civilDate(day);
  return cron.years.includes(year) && cron.months.includes(month) && matchingDaysOfMonth(cron.day, year, month).includes(dayOfMonth);
}

/**
 * The first local date on or after `from` (epoch days) on which the expression fires, or undefined
 * when there is none up to the last year EventBridge accepts (2199). Steps by month, so an
 * expression that can never fire (`0 0 30 FEB ? *`) costs at most a few thousand cheap checks.
 */
export function nextCronDay(cron: CronExpression, from: number): number | undefined {
  const start = civilDate(from);
  for (const year of cron.years) {
    if (year < start.year) continue;
    for (const month of cron.months) {
      if (year === start.year && month < start.month) continue;
      const sameMonth = year === start.year && month === start.month;
      const dayOfMonth = matchingDaysOfMonth(cron.day, year, month).find((d) => !sameMonth || d >= start.day);
      if (dayOfMonth !== undefined) return epochDay(year, month, dayOfMonth);
    }
  }
  return undefined;
}
