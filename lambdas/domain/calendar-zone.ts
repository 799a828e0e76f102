import { IANAZone } from 'luxon';

/**
 * Local wall time ↔ UTC instants in an IANA zone, with this product's DST rule (DESIGN.md §3):
 * - a local time that does not exist (spring-forward gap) resolves to the first valid instant
 *   after it, i.e. the instant the clocks jump: 02:30 America/New_York on 2027-03-14 → 03:00 EDT;
 * - a local time that exists twice (autumn overlap) resolves to its first occurrence, the earlier
 *   UTC instant (`earliest`); exception windows also need the last one (`latest`).
 *
 * Luxon alone does neither: for a gap it shifts by the gap's length (02:30 → 03:30) and for an
 * overlap it picks the later offset. So luxon is used only for what the zone database knows, the
 * UTC offset at an instant, and the resolution is done here explicitly.
 */

const MS_PER_DAY = 86_400_000;
const MS_PER_MINUTE = 60_000;
/** Farther than any UTC offset (-12h..+14h) from the wall time, so both sides of a transition are seen. */
const SAMPLE_SPAN_MS = 26 * 3_600_000;

export type Resolution = 'earliest' | 'latest';

export function zoneOf(timezone: string): IANAZone | undefined {
  if (typeof timezone !== 'string' || timezone.length === 0) return undefined;
  const zone = IANAZone.create(timezone);
  return zone.isValid ? zone : undefined;
}

export function offsetMs(zone: IANAZone, instantMs: number): number {
  return zone.offset(instantMs) * MS_PER_MINUTE;
}

/** The local date (epoch day) of an instant. */
export function localDayOf(zone: IANAZone, instantMs: number): number {
  return Math.floor((instantMs + offsetMs(zone, instantMs)) / MS_PER_DAY);
}

/**
 * The UTC instant (ms) of a local wall time: `day` is an epoch day, `secondsOfDay` the time.
 * Total: a time in a gap yields the instant the gap ends, which can fall on the next local date
 * when the gap spans midnight or a whole day (Pacific/Apia skipped 2011-12-30); callers that need
 * the same date check it.
 */
export function resolveLocal(zone: IANAZone, day: number, secondsOfDay: number, resolution: Resolution): number {
  const wall = day * MS_PER_DAY + secondsOfDay * 1000;
  const offsets = new Set([offsetMs(zone, wall - SAMPLE_SPAN_MS), offsetMs(zone, wall), offsetMs(zone, wall + SAMPLE_SPAN_MS)]);
  const valid = [...offsets].map((offset) => wall - offset).filter((instant) => instant + offsetMs(zone, instant) === wall);
  if (valid.length > 0) return resolution === 'earliest' ? Math.min(...valid) : Math.max(...valid);
  // A gap: the wall time lies between the last instant before the transition and the transition
  // itself, which is the first instant whose wall time is past it. Bisect to the millisecond.
  let before = wall - Math.max(...offsets);
  let after = wall - Math.min(...offsets);
  const offsetBefore = offsetMs(zone, before);
  while (after - before > 1) {
    const middle = Math.floor((before + after) / 2);
    if (offsetMs(zone, middle) === offsetBefore) before = middle;
    else after = middle;
  }
  return after;
}

/** ISO-8601 in UTC, without milliseconds when they are zero (occurrences are whole seconds). */
export function formatInstant(instantMs: number): string {
  return new Date(instantMs).toISOString().replace('.000Z', 'Z');
}
