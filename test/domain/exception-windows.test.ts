import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lambdas/domain/errors';
import type { ExceptionWindow } from '../../lambdas/domain/model';
import { exceptionWindowEnd, validateExceptionWindows } from '../../lambdas/domain/exception-windows';
import { instantNearTransitionsArb, zoneArb } from './calendar-test-support';

const end = (windows: ExceptionWindow[], instant: string, timezone = 'America/New_York'): string | undefined =>
  exceptionWindowEnd(windows, new Date(instant), timezone)?.toISOString();

const window = (start: string, finish: string): ExceptionWindow => ({ start, end: finish });

describe('exceptionWindowEnd', () => {
  it('returns the end of the window the instant is in: start inclusive, end exclusive', () => {
    const windows = [window('01:00:00', '02:00:00')];
    // 2027-01-10, New York is at -05:00.
    expect(end(windows, '2027-01-10T06:30:00Z')).toBe('2027-01-10T07:00:00.000Z');
    expect(end(windows, '2027-01-10T06:00:00Z')).toBe('2027-01-10T07:00:00.000Z');
    expect(end(windows, '2027-01-10T05:59:59Z')).toBeUndefined();
    expect(end(windows, '2027-01-10T07:00:00Z')).toBeUndefined();
  });

  it('handles a window that wraps midnight, on both sides of it', () => {
    const windows = [window('22:00:00', '02:00:00')];
    expect(end(windows, '2027-01-11T04:00:00Z')).toBe('2027-01-11T07:00:00.000Z'); // 23:00 local
    expect(end(windows, '2027-01-11T06:00:00Z')).toBe('2027-01-11T07:00:00.000Z'); // 01:00 local, the next day
    expect(end(windows, '2027-01-11T02:59:59Z')).toBeUndefined(); // 21:59:59 local
  });

  it('follows windows that chain back to back, in any order, to the end of the last', () => {
    const windows = [window('02:00:00', '03:00:00'), window('04:00:00', '05:00:00'), window('22:00:00', '02:00:00')];
    expect(end(windows, '2027-01-11T04:00:00Z')).toBe('2027-01-11T08:00:00.000Z'); // 23:00 → 03:00, not on to 04:00
    expect(end(windows, '2027-01-11T09:30:00Z')).toBe('2027-01-11T10:00:00.000Z'); // 04:30 → 05:00
  });

  it('ignores empty windows and has nothing to say without windows', () => {
    expect(end([], '2027-01-11T04:00:00Z')).toBeUndefined();
    expect(end([window('01:00:00', '01:00:00')], '2027-01-10T06:00:00Z')).toBeUndefined();
  });

  it('uses wall time in the zone: Asia/Kolkata (+05:30, no DST)', () => {
    expect(end([window('22:00:00', '06:00:00')], '2027-03-12T17:30:00Z', 'Asia/Kolkata')).toBe('2027-03-13T00:30:00.000Z');
  });

  describe('DST days in America/New_York', () => {
    it('spring forward (2027-03-14, 02:00 → 03:00): a window ending in the gap ends when the clocks jump', () => {
      expect(end([window('01:00:00', '02:30:00')], '2027-03-14T06:30:00Z')).toBe('2027-03-14T07:00:00.000Z');
      expect(end([window('01:30:00', '03:30:00')], '2027-03-14T06:45:00Z')).toBe('2027-03-14T07:30:00.000Z');
    });

    it('spring forward: a window wholly inside the gap does not exist that day', () => {
      expect(end([window('02:10:00', '02:40:00')], '2027-03-14T06:59:59Z')).toBeUndefined();
      expect(end([window('02:10:00', '02:40:00')], '2027-03-14T07:00:00Z')).toBeUndefined();
      expect(end([window('02:10:00', '02:40:00')], '2027-03-15T06:15:00Z')).toBe('2027-03-15T06:40:00.000Z');
    });

    it('spring forward: a wrapping window spans the short night', () => {
      expect(end([window('23:00:00', '04:00:00')], '2027-03-14T04:00:00Z')).toBe('2027-03-14T08:00:00.000Z');
    });

    it('fall back (2027-11-07, 02:00 → 01:00): a window ending in the repeated hour lasts until its second pass', () => {
      const windows = [window('00:30:00', '01:30:00')];
      expect(end(windows, '2027-11-07T05:15:00Z')).toBe('2027-11-07T06:30:00.000Z'); // 01:15 EDT → 01:30 EST
      expect(end(windows, '2027-11-07T06:15:00Z')).toBe('2027-11-07T06:30:00.000Z'); // 01:15 EST
      // 01:45 EDT reads outside the window, but the clock is about to show 01:00-01:30 again.
      expect(end(windows, '2027-11-07T05:45:00Z')).toBe('2027-11-07T06:30:00.000Z');
      expect(end(windows, '2027-11-07T06:30:00Z')).toBeUndefined();
    });

    it('fall back: a window starting in the repeated hour starts at its first pass', () => {
      const windows = [window('01:30:00', '03:00:00')];
      expect(end(windows, '2027-11-07T05:29:59Z')).toBeUndefined(); // 01:29:59 EDT
      expect(end(windows, '2027-11-07T05:30:00Z')).toBe('2027-11-07T08:00:00.000Z'); // 01:30 EDT → 03:00 EST
      expect(end(windows, '2027-11-07T06:10:00Z')).toBe('2027-11-07T08:00:00.000Z'); // 01:10 EST, the clock went back
    });
  });

  it('Europe/London fall back (2027-10-31): a window wrapping midnight into the repeated hour', () => {
    expect(end([window('23:00:00', '01:30:00')], '2027-10-30T22:30:00Z', 'Europe/London')).toBe('2027-10-31T01:30:00.000Z');
  });

  it('Australia/Sydney DST start (2027-10-03, 02:00 → 03:00): chained windows across the gap', () => {
    const windows = [window('01:00:00', '02:30:00'), window('02:30:00', '04:00:00')];
    expect(end(windows, '2027-10-02T15:30:00Z', 'Australia/Sydney')).toBe('2027-10-02T17:00:00.000Z'); // 01:30 AEST → 04:00 AEDT
  });
});

describe('validateExceptionWindows', () => {
  const problems = (windows: ExceptionWindow[]): Array<{ path?: string; message: string }> => {
    try {
      validateExceptionWindows(windows);
      return [];
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      return error.details;
    }
  };

  it('accepts no windows, separate windows and windows that touch (also across midnight)', () => {
    expect(problems([])).toEqual([]);
    expect(problems([window('01:00:00', '02:00:00'), window('03:00:00', '04:00:00')])).toEqual([]);
    expect(problems([window('22:00:00', '02:00:00'), window('02:00:00', '03:00:00'), window('21:00:00', '22:00:00')])).toEqual([]);
  });

  it('refuses an empty window', () => {
    expect(problems([window('01:00:00', '02:00:00'), window('05:00:00', '05:00:00')])).toEqual([
      { path: 'exceptionWindows[1]', message: 'start and end are both 05:00:00: the window is empty' },
    ]);
  });

  it('refuses overlapping windows, naming the one overlapped', () => {
    expect(problems([window('01:00:00', '03:00:00'), window('02:00:00', '04:00:00')])).toEqual([
      { path: 'exceptionWindows[1]', message: 'overlaps exceptionWindows[0] (01:00:00-03:00:00); windows may touch but not overlap' },
    ]);
    expect(problems([window('01:00:00', '02:00:00'), window('00:30:00', '03:00:00')])[0]?.path).toBe('exceptionWindows[1]');
  });

  it('refuses overlaps that wrap midnight', () => {
    expect(problems([window('22:00:00', '02:00:00'), window('01:00:00', '03:00:00')])[0]?.path).toBe('exceptionWindows[1]');
    expect(problems([window('01:00:00', '03:00:00'), window('23:00:00', '01:30:00')])[0]?.path).toBe('exceptionWindows[1]');
    expect(problems([window('22:00:00', '02:00:00'), window('23:00:00', '01:00:00')])[0]?.path).toBe('exceptionWindows[1]');
    expect(problems([window('23:00:00', '00:30:00'), window('00:00:00', '00:15:00')])[0]?.path).toBe('exceptionWindows[1]');
  });

  it('refuses windows that leave no time to start a job', () => {
    expect(problems([window('22:00:00', '02:00:00'), window('02:00:00', '22:00:00')])).toEqual([
      { path: 'exceptionWindows', message: 'the windows cover the whole day, so no job could ever start' },
    ]);
  });

  it('refuses malformed times', () => {
    expect(problems([window('1:00', '02:00:00')])).toEqual([{ path: 'exceptionWindows[0].start', message: 'a local time HH:MM:SS' }]);
  });
});

describe('exception window properties', () => {
  const seconds = (time: string): number => {
    const [h, m, s] = time.split(':').map(Number) as [number, number, number];
    return h * 3600 + m * 60 + s;
  };
  const hhmmss = (value: number): string => [Math.floor(value / 3600), Math.floor(value / 60) % 60, value % 60].map((n) => String(n).padStart(2, '0')).join(':');

  /** Windows that never overlap: cut points around the clock, half-hour steps, optionally chained and rotated across midnight. */
  const windowsArb: fc.Arbitrary<ExceptionWindow[]> = fc
    .record({
      points: fc.uniqueArray(fc.integer({ min: 0, max: 47 }), { minLength: 2, maxLength: 6 }),
      chained: fc.boolean(),
      rotation: fc.integer({ min: 0, max: 47 }),
    })
    .map(({ points, chained, rotation }) => {
      const sorted = [...points].sort((a, b) => a - b);
      const pairs = chained ? sorted.slice(1).map((to, i) => [sorted[i] as number, to]) : sorted.flatMap((from, i) => (i % 2 === 0 && i + 1 < sorted.length ? [[from, sorted[i + 1] as number]] : []));
      return pairs.map(([from, to]) => window(hhmmss((((from as number) + rotation) % 48) * 1800), hhmmss((((to as number) + rotation) % 48) * 1800)));
    });

  /** Wall-clock membership, the independent oracle: the local time reads inside a window. */
  const readsInside = (windows: ExceptionWindow[], instant: number, zone: string): boolean => {
    const wall = DateTime.fromMillis(instant, { zone });
    const now = wall.hour * 3600 + wall.minute * 60 + wall.second;
    return windows.some(({ start, end: finish }) => {
      const [from, to] = [seconds(start), seconds(finish)];
      return from < to ? now >= from && now < to : now >= from || now < to;
    });
  };

  it('valid windows pass validation; the end is after the instant, reads outside every window, and is the end seen from any instant before it', () => {
    const caseArb = zoneArb.chain((zone) => fc.record({ zone: fc.constant(zone), windows: windowsArb, instant: instantNearTransitionsArb(zone) }));
    fc.assert(
      fc.property(caseArb, ({ zone, windows, instant }) => {
        expect(() => validateExceptionWindows(windows)).not.toThrow();
        const result = exceptionWindowEnd(windows, new Date(instant), zone)?.getTime();
        if (readsInside(windows, instant, zone)) expect(result).toBeDefined();
        if (result === undefined) return;
        expect(result).toBeGreaterThan(instant);
        expect(readsInside(windows, result, zone)).toBe(false);
        expect(exceptionWindowEnd(windows, new Date(result), zone)).toBeUndefined();
        for (let i = 1; i < 4; i++) {
          const between = instant + Math.floor(((result - instant) * i) / 4);
          expect(exceptionWindowEnd(windows, new Date(between), zone)?.getTime()).toBe(result);
        }
      }),
      { numRuns: 150 },
    );
  });
});
