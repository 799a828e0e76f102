import { DateTime } from 'luxon';
import type { ExceptionWindow, Frequency } from './model';

/**
 * When schedules are due. Pure: no AWS, no I/O; the API's nextRuns and schedule preview, the
 * schedulers and BeginRun all ask this module, so they can never disagree.
 */
export interface CalendarSpec {
  frequency: Frequency;
  /** HH:MM:SS, wall-clock time in `timezone`. */
  executionTime: string;
  timezone: string;
}

export interface Occurrence {
  /** The local date (YYYY-MM-DD) in the schedule's zone: the run's processing date. */
  processingDate: string;
  /** The UTC instant the occurrence fires, ISO-8601. */
  at: string;
}

/** Whether a schedule with this frequency runs on a local date. MANUAL never does. */
export function isDue(frequency: Frequency, _localDate: string): boolean {
  switch (frequency.type) {
    case 'DAILY':
      return true;
    case 'MANUAL':
      return false;
    default:
      return false;
  }
}

/** The next `count` occurrences strictly after `after`. */
export function nextOccurrences(spec: CalendarSpec, after: Date, count: number): Occurrence[] {
  if (spec.frequency.type === 'MANUAL') return [];
  const [hour, minute, second] = spec.executionTime.split(':').map(Number) as [number, number, number];
  const result: Occurrence[] = [];
  let day = DateTime.fromJSDate(after, { zone: spec.timezone }).startOf('day');
  for (let guard = 0; result.length < count && guard < 366 * 20; guard++, day = day.plus({ days: 1 })) {
    const date = day.toISODate() as string;
    if (!isDue(spec.frequency, date)) continue;
    const at = day.set({ hour, minute, second });
    if (at.toMillis() <= after.getTime()) continue;
    result.push({ processingDate: date, at: at.toUTC().toISO({ suppressMilliseconds: true }) as string });
  }
  return result;
}

/** The processing date of an instant: its local date in the schedule's zone. */
export function processingDateOf(instant: Date, timezone: string): string {
  return DateTime.fromJSDate(instant, { zone: timezone }).toISODate() as string;
}

/**
 * If `instant` falls inside one of the exception windows (local times, possibly wrapping
 * midnight), the instant that window ends; otherwise undefined.
 */
export function exceptionWindowEnd(windows: readonly ExceptionWindow[], instant: Date, timezone: string): Date | undefined {
  const local = DateTime.fromJSDate(instant, { zone: timezone });
  const secondsOfDay = (t: string): number => {
    const [h, m, s] = t.split(':').map(Number) as [number, number, number];
    return h * 3600 + m * 60 + s;
  };
  const now = local.hour * 3600 + local.minute * 60 + local.second;
  for (const window of windows) {
    const start = secondsOfDay(window.start);
    const end = secondsOfDay(window.end);
    const wraps = end <= start;
    const inside = wraps ? now >= start || now < end : now >= start && now < end;
    if (!inside) continue;
    const endDay = wraps && now >= start ? local.plus({ days: 1 }) : local;
    const [h, m, s] = window.end.split(':').map(Number) as [number, number, number];
    return endDay.set({ hour: h, minute: m, second: s, millisecond: 0 }).toJSDate();
  }
  return undefined;
}
