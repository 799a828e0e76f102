import type { IANAZone } from 'luxon';
import { parseIsoDate, parseLocalTime } from './calendar-dates';
import { zoneOf } from './calendar-zone';
import { ValidationError, type ErrorDetail } from './errors';

/*
 * The calendar's inputs, read or refused: a refusal is a ValidationError whose detail names the
 * field, so the API answers 400 with it.
 */

export function requireZone(timezone: string, path = 'timezone'): IANAZone {
  const zone = zoneOf(timezone);
  if (!zone) {
    throw new ValidationError(`Unknown time zone "${timezone}"`, [{ path, message: 'an IANA time zone such as America/New_York' }]);
  }
  return zone;
}

/** A local date (YYYY-MM-DD) as an epoch day. */
export function requireDay(localDate: string): number {
  const day = parseIsoDate(localDate);
  if (day === undefined) {
    throw new ValidationError(`Not a calendar date: "${localDate}"`, [{ path: 'processingDate', message: 'a date YYYY-MM-DD' }]);
  }
  return day;
}

/** An executionTime (HH:MM:SS) as seconds of the day. */
export function requireLocalTime(localTime: string): number {
  const seconds = parseLocalTime(localTime);
  if (seconds === undefined) throw new ValidationError(`Not a local time: "${localTime}"`, [{ path: 'executionTime', message: 'a local time HH:MM:SS' }]);
  return seconds;
}

export function requireInstant(instant: Date, path: string): number {
  const ms = instant instanceof Date ? instant.getTime() : Number.NaN;
  if (Number.isNaN(ms)) throw new ValidationError(`Not a valid instant: ${String(instant)}`, [{ path, message: 'a valid date-time' }]);
  return ms;
}

/** Error details as one line, for a ValidationError's message. */
export function describeDetails(details: readonly ErrorDetail[]): string {
  return details.map((detail) => (detail.path ? `${detail.path}: ${detail.message}` : detail.message)).join('; ');
}
