import { requireInstant } from './calendar-input';
import { occurrencesAfter, type CalendarSpec, type Occurrence } from './schedule-calendar';

/** How far, by default, a scheduler's fire time may be after the occurrence it stands for. */
export const SCHEDULED_TIME_LATE_TOLERANCE_MS = 3_600_000;

export interface ScheduledTimeOptions {
  /** How long after an occurrence a fire still stands for it. @default SCHEDULED_TIME_LATE_TOLERANCE_MS (1 hour) */
  lateToleranceMs?: number;
}

/**
 * The occurrence a scheduler's fire at `scheduledTime` stands for, or undefined when there is
 * none (the date is not due, or the fire is too far from any occurrence): BeginRun creates a run
 * for its processing date, or skips.
 *
 * Which occurrence: one in the same minute as the fire, else the latest one before it, at most
 * `lateToleranceMs` (one hour by default) before.
 * - Same minute, even if a few seconds later than the fire: EventBridge schedules have minute
 *   precision, so an executionTime of 02:30:15 fires with scheduled time 02:30:00.
 * - Late: a fire can be delivered late (retries, a scheduler catching up, a caller passing the
 *   time it ran rather than the time it was scheduled). The default stays well below a day so a
 *   daily trigger on a date that is not due never maps to the previous day's occurrence.
 * The processing date is the occurrence's, not the fire's local date: a 23:59:30 occurrence
 * fired at 00:00:10 still runs for the day before.
 */
export function occurrenceForScheduledTime(spec: CalendarSpec, scheduledTime: Date, options: ScheduledTimeOptions = {}): Occurrence | undefined {
  const fired = requireInstant(scheduledTime, 'scheduledTime');
  const earliest = fired - Math.max(0, options.lateToleranceMs ?? SCHEDULED_TIME_LATE_TOLERANCE_MS);
  const minuteStart = fired - (((fired % 60_000) + 60_000) % 60_000);
  let latestBefore: Occurrence | undefined;
  for (const occurrence of occurrencesAfter(spec, new Date(Math.min(earliest, minuteStart) - 1))) {
    const at = Date.parse(occurrence.at);
    if (at >= minuteStart + 60_000) break;
    if (at >= minuteStart) return occurrence;
    if (at >= earliest) latestBefore = occurrence;
  }
  return latestBefore;
}
