import fc from 'fast-check';
import { DateTime, IANAZone } from 'luxon';

/**
 * Shared pieces of the calendar tests: real zones with every kind of DST behaviour, an
 * independent luxon-based view of local time, and the DST transitions of a zone.
 */
export const ZONES = [
  'America/New_York', // northern hemisphere, gap and overlap at 02:00
  'Europe/London', // changes at 01:00 UTC
  'Australia/Sydney', // southern hemisphere: DST starts in October, ends in April
  'Asia/Kolkata', // no DST, +05:30
  'America/Sao_Paulo', // DST until 2019, changes at midnight
  'Pacific/Chatham', // +12:45/+13:45, changes at 02:45
  'Africa/Cairo', // DST again since 2023, changes at midnight
  'Pacific/Apia', // skipped 2011-12-30 entirely; DST until 2021
  'UTC',
] as const;

export const zoneArb = fc.constantFrom(...ZONES);

export const MIN_MS = Date.UTC(2000, 0, 1);
export const MAX_MS = Date.UTC(2100, 11, 31);

/** UTC offset in minutes, from luxon. */
export function offsetAt(zone: string, ms: number): number {
  return IANAZone.create(zone).offset(ms);
}

export function local(zone: string, iso: string): DateTime {
  return DateTime.fromISO(iso, { zone });
}

export function localDate(zone: string, ms: number): string {
  return DateTime.fromMillis(ms, { zone }).toISODate() as string;
}

export function localTime(zone: string, ms: number): string {
  return DateTime.fromMillis(ms, { zone }).toFormat('HH:mm:ss');
}

const transitionCache = new Map<string, number[]>();

/** The instants (ms) at which the zone's UTC offset changes during a year. */
export function transitionsOf(zone: string, year: number): number[] {
  const key = `${zone}/${year}`;
  const cached = transitionCache.get(key);
  if (cached) return cached;
  const found: number[] = [];
  // Transitions are months apart (the closest, Pacific/Apia in 2011, three): weekly samples see each.
  const step = 7 * 86_400_000;
  const end = Date.UTC(year + 1, 0, 1);
  for (let ms = Date.UTC(year, 0, 1), offset = offsetAt(zone, ms); ms < end; ms += step) {
    const nextOffset = offsetAt(zone, Math.min(ms + step, end));
    if (nextOffset === offset) continue;
    let low = ms;
    let high = Math.min(ms + step, end);
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      if (offsetAt(zone, middle) === offset) low = middle;
      else high = middle;
    }
    found.push(high);
    offset = nextOffset;
  }
  transitionCache.set(key, found);
  return found;
}

/**
 * An instant in 2000-2100, half of the time within a few days before one of the zone's DST
 * transitions, so that occurrences land on transition days far more often than at random.
 */
export function instantNearTransitionsArb(zone: string): fc.Arbitrary<number> {
  const anywhere = fc.integer({ min: MIN_MS, max: MAX_MS });
  const nearTransition = fc
    .record({ year: fc.integer({ min: 2000, max: 2100 }), pick: fc.nat(), before: fc.integer({ min: 0, max: 4 * 86_400_000 }) })
    .map(({ year, pick, before }) => {
      const transitions = transitionsOf(zone, year);
      const transition = transitions[pick % Math.max(1, transitions.length)];
      return transition === undefined ? Date.UTC(year, 5, 1) : transition - before;
    });
  return fc.oneof(anywhere, nearTransition);
}
