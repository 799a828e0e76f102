import { formatLocalTime, parseLocalTime } from './calendar-dates';
import { describeDetails, requireInstant, requireZone } from './calendar-input';
import { localDayOf, resolveLocal } from './calendar-zone';
import { ValidationError, type ErrorDetail } from './errors';
import type { ExceptionWindow } from './model';

/** A window as seconds of the day: start inclusive, end exclusive, wrapping midnight when end < start. */
interface ParsedWindow {
  start: number;
  end: number;
}

function parseWindows(windows: readonly ExceptionWindow[]): ParsedWindow[] {
  return windows.flatMap((window) => {
    const start = parseLocalTime(window.start);
    const end = parseLocalTime(window.end);
    return start === undefined || end === undefined || start === end ? [] : [{ start, end }];
  });
}

/**
 * If `instant` falls inside one of the exception windows, the instant that window ends (after
 * windows that follow back to back or overlap, the end of the last one); otherwise undefined.
 *
 * A window is local wall-clock times, start inclusive, end exclusive, wrapping midnight when end
 * < start. On a local date it covers the instants from the first moment the wall clock shows
 * `start` to the last moment it shows `end`, times in a gap moving to the first valid instant
 * after them. So on a fall-back day a window 00:30-01:30 lasts two real hours, covering both
 * passes through 01:00-01:30 (no job starts while the wall clock reads inside the window), and
 * on a spring-forward day a window 01:00-02:30 ends when the clocks jump to 03:00.
 */
export function exceptionWindowEnd(windows: readonly ExceptionWindow[], instant: Date, timezone: string): Date | undefined {
  const parsed = parseWindows(windows);
  if (parsed.length === 0) return undefined;
  const zone = requireZone(timezone);
  const endOfWindowsAround = (ms: number): number | undefined => {
    let end: number | undefined;
    const today = localDayOf(zone, ms);
    for (let day = today - 1; day <= today + 1; day++) {
      for (const window of parsed) {
        const startsAt = resolveLocal(zone, day, window.start, 'earliest');
        const endsAt = resolveLocal(zone, window.end < window.start ? day + 1 : day, window.end, 'latest');
        if (startsAt <= ms && ms < endsAt && (end === undefined || endsAt > end)) end = endsAt;
      }
    }
    return end;
  };
  let end = endOfWindowsAround(requireInstant(instant, 'instant'));
  if (end === undefined) return undefined;
  // Each hop moves past one window; validated windows never cover the whole day, so this ends
  // within one turn of the clock. The bound only protects against unvalidated input.
  for (let hop = 0; hop <= 2 * parsed.length + 2; hop++) {
    const next = endOfWindowsAround(end);
    if (next === undefined) break;
    end = next;
  }
  return new Date(end);
}

const SECONDS_PER_DAY = 86_400;

/** A window as arcs of the day's seconds, [from, to). */
function arcsOf(window: ParsedWindow): Array<[number, number]> {
  return window.start < window.end
    ? [[window.start, window.end]]
    : [
        [window.start, SECONDS_PER_DAY],
        [0, window.end],
      ];
}

/** The problems of a list of exception windows, as error details (empty when valid). */
export function exceptionWindowProblems(windows: readonly ExceptionWindow[], path = 'exceptionWindows'): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  const parsed: Array<ParsedWindow | undefined> = windows.map((window, index) => {
    const start = parseLocalTime(window.start);
    const end = parseLocalTime(window.end);
    if (start === undefined) details.push({ path: `${path}[${index}].start`, message: 'a local time HH:MM:SS' });
    if (end === undefined) details.push({ path: `${path}[${index}].end`, message: 'a local time HH:MM:SS' });
    if (start === undefined || end === undefined) return undefined;
    if (start === end) {
      details.push({ path: `${path}[${index}]`, message: `start and end are both ${window.start}: the window is empty` });
      return undefined;
    }
    return { start, end };
  });
  parsed.forEach((window, index) => {
    if (!window) return;
    for (let other = 0; other < index; other++) {
      const earlier = parsed[other];
      if (!earlier) continue;
      const overlaps = arcsOf(window).some(([from, to]) => arcsOf(earlier).some(([otherFrom, otherTo]) => Math.max(from, otherFrom) < Math.min(to, otherTo)));
      if (overlaps) {
        const range = `${formatLocalTime(earlier.start)}-${formatLocalTime(earlier.end)}`;
        details.push({ path: `${path}[${index}]`, message: `overlaps ${path}[${other}] (${range}); windows may touch but not overlap` });
        break;
      }
    }
  });
  if (details.length === 0) {
    const covered = parsed.reduce((sum, window) => sum + (window ? arcsOf(window).reduce((length, [from, to]) => length + to - from, 0) : 0), 0);
    if (covered >= SECONDS_PER_DAY) {
      details.push({ path, message: 'the windows cover the whole day, so no job could ever start' });
    }
  }
  return details;
}

/**
 * Throws a ValidationError (details with paths like `exceptionWindows[1]`) for a malformed or
 * empty window (start == end), for windows that overlap (also across midnight) and for windows
 * that together cover the whole day. Windows may touch: 22:00-02:00 then 02:00-03:00 chain.
 */
export function validateExceptionWindows(windows: readonly ExceptionWindow[]): void {
  const details = exceptionWindowProblems(windows);
  if (details.length > 0) throw new ValidationError(`Invalid exception windows: ${describeDetails(details)}`, details);
}
