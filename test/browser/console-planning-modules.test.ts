import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeCatalogue } from '../../lambdas/domain/catalogue';
import { JOB_TYPES } from '../../lambdas/domain/model';
import { DEFAULT_DAILY_JOBS } from '../../lambdas/services/schedule-config-service';

/*
 * The console's pure modules for issues 13 and 14, loaded in Node: which runs need a person and
 * in what order, the schedule × date grid's cells, a field-level diff of two schedule versions, a
 * business-day calendar's year, and the job a run waits at for a manual start.
 */

const CONSOLE_JS = resolve(import.meta.dirname, '..', '..', 'console', 'js');
const load = async (name: string): Promise<any> => import(pathToFileURL(resolve(CONSOLE_JS, name)).href);

let attention: any;
let diff: any;
let days: any;
let words: any;
let format: any;

beforeAll(async () => {
  const catalogue = await load('catalogue.js');
  catalogue.useCatalogue(JSON.parse(JSON.stringify(describeCatalogue({ isAvailable: (type) => JOB_TYPES.includes(type), recommendedDailySequence: DEFAULT_DAILY_JOBS }))));
  [attention, diff, days, words, format] = await Promise.all([load('attention.js'), load('schedule-diff.js'), load('business-days.js'), load('run-words.js'), load('format.js')]);
});

const run = (fields: Record<string, unknown>) => ({ clientId: 'acme', scheduleId: 'sch_1', attempt: 1, createdAt: '2026-11-01T00:00:00Z', status: 'COMPLETED', ...fields });

describe('what needs attention (console/js/attention.js)', () => {
  it('keeps failed, late and missed runs, oldest processing date first, and leaves reset and healthy runs out', () => {
    const runs = [
      run({ runId: 'r1', processingDate: '2026-11-20', status: 'FAILED' }),
      run({ runId: 'r2', processingDate: '2026-11-03', status: 'RUNNING', late: true }),
      run({ runId: 'r3', processingDate: '2026-11-10', status: 'SKIPPED', skipReason: { code: 'MISSED', message: 'missed' } }),
      run({ runId: 'r4', processingDate: '2026-11-01', status: 'SKIPPED', skipReason: { code: 'OVERLAP', message: 'overlap' } }),
      run({ runId: 'r5', processingDate: '2026-11-02', status: 'RESET', late: true }),
      run({ runId: 'r6', processingDate: '2026-11-02', status: 'COMPLETED' }),
      run({ runId: 'r7', processingDate: '2026-11-05', status: 'FAILED', late: true, clientId: 'beta' }),
    ];
    const needed = attention.needsAttention(runs);
    expect(needed.map((r: { runId: string }) => r.runId)).toEqual(['r2', 'r7', 'r3', 'r1']);
    expect(attention.attentionReasons(runs[6])).toEqual(['FAILED', 'LATE']);
    expect(attention.attentionReasons(runs[4])).toEqual([]);
  });

  it('lays the grid out a square per schedule and date, the live attempt winning over reset ones', () => {
    const dates = attention.lastDays('2026-03-01', 3);
    expect(dates).toEqual(['2026-02-27', '2026-02-28', '2026-03-01']);
    const schedules = [{ scheduleId: 'sch_1' }, { scheduleId: 'sch_2' }];
    const grid = attention.runGrid(
      schedules,
      [
        run({ runId: 'a2', processingDate: '2026-02-28', attempt: 2, status: 'FAILED' }),
        run({ runId: 'a1', processingDate: '2026-02-28', attempt: 1, status: 'RESET' }),
        run({ runId: 'b1', processingDate: '2026-03-01', attempt: 1, status: 'RESET' }),
        run({ runId: 'b2', processingDate: '2026-03-01', attempt: 2, status: 'RESET' }),
        run({ runId: 'c1', processingDate: '2026-02-27', scheduleId: 'sch_2' }),
      ],
      dates,
    );
    expect(grid.map((row: any) => row.cells.map((cell: any) => cell.run?.runId ?? null))).toEqual([
      [null, 'a2', 'b2'],
      ['c1', null, null],
    ]);
  });
});

describe('what changed between two schedule versions (console/js/schedule-diff.js)', () => {
  const v1 = {
    scheduleId: 'sch_1', version: 1, updatedAt: '2026-11-01T00:00:00Z', name: 'Month-end', frequency: { type: 'MONTH_END', offsetDays: 2 },
    executionTime: '00:30:00', jobs: [{ type: 'USAGE_RATING' }, { type: 'BILLING' }], exceptionWindows: [], nextRuns: [{ at: 'x' }],
  };

  it('names each changed field by its path with before and after, and ignores what the server stamps on a save', () => {
    const v2 = { ...v1, version: 2, updatedAt: '2026-11-02T00:00:00Z', nextRuns: [], frequency: { type: 'MONTH_END', offsetDays: 1, offsetUnit: 'BUSINESS_DAYS' }, jobs: [{ type: 'USAGE_RATING' }, { type: 'SYNC_TRANSACTIONS' }, { type: 'BILLING', start: 'MANUAL' }], calendarId: 'us' };
    expect(diff.diffSchedules(v1, v2)).toEqual([
      { path: 'frequency.offsetDays', change: 'changed', before: 2, after: 1 },
      { path: 'jobs.1.type', change: 'changed', before: 'BILLING', after: 'SYNC_TRANSACTIONS' },
      { path: 'frequency.offsetUnit', change: 'added', before: undefined, after: 'BUSINESS_DAYS' },
      { path: 'jobs.2.type', change: 'added', before: undefined, after: 'BILLING' },
      { path: 'jobs.2.start', change: 'added', before: undefined, after: 'MANUAL' },
      { path: 'calendarId', change: 'added', before: undefined, after: 'us' },
    ]);
  });

  it('shows an emptied list and a removed field, and finds nothing between equal versions', () => {
    const v2 = { ...v1, exceptionWindows: [{ start: '01:00:00', end: '02:00:00' }] };
    const v3 = { ...v2, exceptionWindows: [] };
    expect(diff.diffSchedules(v2, v3)).toEqual([
      { path: 'exceptionWindows.0.start', change: 'removed', before: '01:00:00', after: undefined },
      { path: 'exceptionWindows.0.end', change: 'removed', before: '02:00:00', after: undefined },
      { path: 'exceptionWindows', change: 'added', before: undefined, after: [] },
    ]);
    expect(diff.diffSchedules(v1, { ...v1, version: 7 })).toEqual([]);
    expect([diff.diffValue(undefined), diff.diffValue('x'), diff.diffValue([1])]).toEqual(['—', 'x', '[1]']);
  });
});

describe('a business-day calendar’s year (console/js/business-days.js)', () => {
  it('marks weekend days by weekday and holidays by date, and counts each month’s business days', () => {
    const calendar = { weekend: ['FRI', 'SAT'], holidays: ['2027-01-03', '2027-01-01'] };
    const year = days.yearView(calendar, 2027);
    expect(year).toHaveLength(12);
    const january = year[0];
    expect(january.days.slice(0, 4).map((day: any) => `${day.date.slice(8)}:${day.kind}`)).toEqual(['01:holiday', '02:weekend', '03:holiday', '04:business']);
    // January 2027: 31 days, Fridays and Saturdays 1-2, 8-9, 15-16, 22-23, 29-30 (10), one more holiday on Sunday the 3rd.
    expect(january.businessDays).toBe(20);
    expect(year[1].days).toHaveLength(28);
  });

  it('reads typed holidays in any separator, sorted once each, and names what is not a date', () => {
    expect(days.parseHolidays('2026-12-25, 2026-01-01\n2026-12-25 2026-02-30 xmas')).toEqual({ dates: ['2026-01-01', '2026-12-25'], invalid: ['2026-02-30', 'xmas'] });
    expect(days.parseHolidays('  ')).toEqual({ dates: [], invalid: [] });
  });

  it('words a business-day offset to a period’s end', () => {
    expect(format.frequencyInWords({ type: 'MONTH_END', offsetDays: 0, offsetUnit: 'BUSINESS_DAYS' })).toBe('Last business day of the month');
    expect(format.frequencyInWords({ type: 'QUARTER_END', offsetDays: 2, offsetUnit: 'BUSINESS_DAYS' })).toBe('2 business days before the quarter’s last business day');
    expect(format.frequencyInWords({ type: 'MONTH_END', offsetDays: 2 })).toBe('2 days before month-end');
  });
});

describe('a run waiting for a manual start (console/js/run-words.js)', () => {
  const jobs = [
    { seq: 1, type: 'USAGE_RATING', status: 'COMPLETED' },
    { seq: 2, type: 'BILLING', status: 'PENDING' },
  ];

  it('finds the job to start from the reason’s seq, or the first job not started', () => {
    expect(words.manualJobOf({ status: 'RUNNING', jobs, waitingReason: { code: 'MANUAL_JOB', message: 'm' } })?.seq).toBe(2);
    expect(words.manualJobOf({ status: 'RUNNING', jobs, waitingReason: { code: 'MANUAL_JOB', message: 'm', seq: 1 } })?.seq).toBe(1);
  });

  it('offers nothing to start for another wait or an ended run', () => {
    expect(words.manualJobOf({ status: 'RUNNING', jobs, waitingReason: { code: 'LEDGER_BUSY', message: 'l' } })).toBeUndefined();
    expect(words.manualJobOf({ status: 'FAILED', jobs, waitingReason: { code: 'MANUAL_JOB', message: 'm' } })).toBeUndefined();
  });
});
