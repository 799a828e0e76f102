import { describe, expect, it } from 'vitest';
import { backfillDates, MAX_BACKFILL_DATES, pumpPlan, type Backfill } from '../../lambdas/domain/backfill';
import { ValidationError } from '../../lambdas/domain/errors';
import type { Frequency, RunStatus } from '../../lambdas/domain/model';

const datesOf = (frequency: Frequency, from: string, to: string, timezone = 'UTC', executionTime = '02:00:00'): string[] =>
  backfillDates({ frequency }, { frequency, executionTime, timezone }, { from, to });

function refusal(run: () => unknown): { paths: Array<string | undefined>; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return { paths: error.details.map((detail) => detail.path), message: error.message };
    throw error;
  }
  throw new Error('not refused');
}

describe('the dates of a backfill', () => {
  it('are the occurrence dates of the schedule in the range, oldest first, ends included', () => {
    expect(datesOf({ type: 'WEEKLY', dayOfWeek: 'MON' }, '2026-10-05', '2026-10-26')).toEqual(['2026-10-05', '2026-10-12', '2026-10-19', '2026-10-26']);
    expect(datesOf({ type: 'MONTH_END', offsetDays: 2 }, '2026-01-01', '2026-04-30')).toEqual(['2026-01-29', '2026-02-26', '2026-03-29', '2026-04-28']);
    expect(datesOf({ type: 'QUARTER_END', offsetDays: 0 }, '2026-01-01', '2026-12-31')).toEqual(['2026-03-31', '2026-06-30', '2026-09-30', '2026-12-31']);
  });

  it('count a date once however many times a CRON fires on it', () => {
    expect(datesOf({ type: 'CRON', expression: '* * ? * MON-FRI *' }, '2026-11-27', '2026-12-01')).toEqual(['2026-11-27', '2026-11-30', '2026-12-01']);
  });

  it('are local dates in the schedule’s zone: an 23:30 occurrence in Auckland belongs to its local day', () => {
    expect(datesOf({ type: 'DAILY' }, '2026-03-01', '2026-03-03', 'Pacific/Auckland', '23:30:00')).toEqual(['2026-03-01', '2026-03-02', '2026-03-03']);
  });

  it('follow the schedule’s business-day calendar: weekends and holidays skipped, or moved to the business day before', () => {
    const businessCalendar = { weekend: ['SAT', 'SUN'] as const, holidays: ['2026-12-24', '2026-12-25'] };
    const daily = { type: 'DAILY' } as const;
    const skip = { frequency: daily, executionTime: '02:00:00', timezone: 'UTC', businessCalendar, nonBusinessDay: 'SKIP' as const };
    expect(backfillDates({ frequency: daily }, skip, { from: '2026-12-22', to: '2026-12-29' })).toEqual(['2026-12-22', '2026-12-23', '2026-12-28', '2026-12-29']);
    const monthEnd = { type: 'MONTH_END', offsetDays: 0 } as const;
    const previous = { frequency: monthEnd, executionTime: '02:00:00', timezone: 'UTC', businessCalendar, nonBusinessDay: 'PREVIOUS' as const };
    // 31 January 2026 is a Saturday, 28 February a Saturday, 31 May a Sunday.
    expect(backfillDates({ frequency: monthEnd }, previous, { from: '2026-01-01', to: '2026-05-31' })).toEqual(['2026-01-30', '2026-02-27', '2026-03-31', '2026-04-30', '2026-05-29']);
  });

  it('of a MANUAL schedule (no occurrences: it runs on request) are every date of the range', () => {
    expect(datesOf({ type: 'MANUAL' }, '2026-02-27', '2026-03-02')).toEqual(['2026-02-27', '2026-02-28', '2026-03-01', '2026-03-02']);
  });

  it(`may be ${MAX_BACKFILL_DATES}, not one more: the refusal names \`to\``, () => {
    expect(datesOf({ type: 'DAILY' }, '2024-01-01', '2024-12-31')).toHaveLength(366);
    expect(refusal(() => datesOf({ type: 'DAILY' }, '2025-01-01', '2026-01-02')).paths).toEqual(['to']);
    expect(refusal(() => datesOf({ type: 'MANUAL' }, '2000-01-01', '2099-12-31')).paths).toEqual(['to']);
    expect(datesOf({ type: 'YEAR_END', offsetDays: 0 }, '2000-01-01', '2099-12-31')).toHaveLength(100);
  });

  it('refuse a range that ends before it starts, and one without an occurrence', () => {
    expect(refusal(() => datesOf({ type: 'DAILY' }, '2026-10-02', '2026-10-01')).paths).toEqual(['to']);
    const none = refusal(() => datesOf({ type: 'MONTH_END', offsetDays: 0 }, '2026-10-01', '2026-10-30'));
    expect(none.paths).toEqual(['from', 'to']);
    expect(none.message).toContain('no occurrence');
  });
});

describe('a pump’s plan', () => {
  const backfill = (open: Backfill['open'], next: number, maxConcurrent: number): Backfill => ({
    backfillId: 'bf_x',
    clientId: 'acme',
    scheduleId: 'sch_x',
    from: '2026-10-01',
    to: '2026-10-05',
    maxConcurrent,
    dates: ['2026-10-01', '2026-10-02', '2026-10-03', '2026-10-04', '2026-10-05'],
    status: 'RUNNING',
    next,
    open,
    createdAt: '2026-11-25T12:00:00Z',
    updatedAt: '2026-11-25T12:00:00Z',
    version: 1,
  });
  const slot = (day: number) => ({ processingDate: `2026-10-0${day}`, runId: `run_${day}` });

  it('frees a slot for each run that is COMPLETED, FAILED, SKIPPED or RESET, never for one PENDING or RUNNING', () => {
    const statuses = new Map<string, RunStatus>([
      ['run_1', 'COMPLETED'],
      ['run_2', 'FAILED'],
      ['run_3', 'RUNNING'],
      ['run_4', 'PENDING'],
    ]);
    const plan = pumpPlan(backfill([slot(1), slot(2), slot(3), slot(4)], 4, 4), statuses);
    expect(plan.stillOpen).toEqual([slot(3), slot(4)]);
    expect(plan.free).toBe(1);
  });

  it('starts no more than the dates left', () => {
    expect(pumpPlan(backfill([], 3, 10), new Map()).free).toBe(2);
    expect(pumpPlan(backfill([slot(5)], 5, 2), new Map([['run_5', 'RUNNING' as RunStatus]])).free).toBe(0);
  });
});
