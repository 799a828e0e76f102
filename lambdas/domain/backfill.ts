import { formatIsoDate, parseIsoDate } from './calendar-dates';
import { ValidationError, type ErrorDetail } from './errors';
import type { RunStatus, Schedule } from './model';
import { isTerminal } from './run';
import { localTimeToInstant, occurrencesAfter, type CalendarSpec } from './schedule-calendar';

/**
 * A backfill: one run per occurrence date of a schedule in a date range, started oldest first,
 * at most `maxConcurrent` at a time. It is a stored record advanced by a pump (services/
 * backfill-service.ts), never an in-memory loop, so a restart or a deploy resumes it.
 */

/** API.md: "at most 366" occurrence dates per backfill. */
export const MAX_BACKFILL_DATES = 366;
/** Runs of one backfill in flight at once; the ledger lock and overlap policy serialise most schedules anyway. */
export const MAX_BACKFILL_CONCURRENCY = 10;

export const BACKFILL_STATUSES = ['RUNNING', 'DONE'] as const;
export type BackfillStatus = (typeof BACKFILL_STATUSES)[number];

/** A date the backfill has started: the run that holds it (a new one, or the one that was there). */
export interface BackfillSlot {
  processingDate: string;
  runId: string;
}

export interface Backfill {
  backfillId: string;
  clientId: string;
  scheduleId: string;
  from: string;
  to: string;
  maxConcurrent: number;
  /** The occurrence dates in the range, oldest first. */
  dates: string[];
  status: BackfillStatus;
  /** Index into `dates` of the first date not started yet. */
  next: number;
  /** Started dates whose run was not yet seen terminal: what counts against maxConcurrent. */
  open: BackfillSlot[];
  /** Why a backfill ended before starting every date (its schedule was deleted, say). */
  error?: { code: string; message: string };
  createdAt: string;
  updatedAt: string;
  /** Optimistic concurrency between pumps. */
  version: number;
}

export interface BackfillView {
  backfillId: string;
  scheduleId: string;
  from: string;
  to: string;
  maxConcurrent: number;
  status: BackfillStatus;
  dates: string[];
  runs: Array<BackfillSlot & { status: RunStatus }>;
  error?: { code: string; message: string };
  createdAt: string;
}

export interface BackfillRequest {
  from: string;
  to: string;
  maxConcurrent: number;
}

/**
 * The processing dates a backfill runs, oldest first: each date in [from, to] that has an
 * occurrence by the schedule's calendar (the same occurrences the schedulers fire, so business
 * days and non-business-day rules apply). A MANUAL schedule has no occurrences and is run on
 * request only: backfilling it runs every date of the range. ValidationError names the field.
 */
export function backfillDates(schedule: Pick<Schedule, 'frequency'>, spec: CalendarSpec, request: Pick<BackfillRequest, 'from' | 'to'>): string[] {
  const { from, to } = request;
  if (to < from) throw new ValidationError('the range ends before it starts', [{ path: 'to', message: `on or after from (${from})` }]);
  const dates = schedule.frequency.type === 'MANUAL' ? everyDate(from, to) : occurrenceDates(spec, from, to);
  if (dates.length > MAX_BACKFILL_DATES) throw tooMany('to', from, to);
  if (dates.length === 0) {
    const details: ErrorDetail[] = [{ path: 'from', message: 'no occurrence of the schedule from here to `to`' }, { path: 'to', message: 'no occurrence of the schedule up to here' }];
    throw new ValidationError(`the schedule has no occurrence from ${from} to ${to}`, details);
  }
  return dates;
}

function tooMany(path: string, from: string, to: string): ValidationError {
  return new ValidationError(`more than ${MAX_BACKFILL_DATES} occurrence dates from ${from} to ${to}`, [
    { path, message: `a range with at most ${MAX_BACKFILL_DATES} occurrence dates` },
  ]);
}

/** Every date of the range; stops one past the limit, so a century is refused without listing it. */
function everyDate(from: string, to: string): string[] {
  const dates: string[] = [];
  for (let date = from; date <= to && dates.length <= MAX_BACKFILL_DATES; date = addDays(date, 1)) dates.push(date);
  return dates;
}

/**
 * The distinct processing dates of the occurrences in [from, to]. After each date the search
 * starts again at the next local midnight: a CRON with a time every minute would otherwise
 * list 1,440 occurrences per date. Starts a day early, since a NEXT rule may move an earlier
 * occurrence into the range.
 */
function occurrenceDates(spec: CalendarSpec, from: string, to: string): string[] {
  const dates: string[] = [];
  let after = new Date(localTimeToInstant(addDays(from, -1), '00:00:00', spec.timezone).getTime() - 1);
  while (dates.length <= MAX_BACKFILL_DATES) {
    const occurrence = occurrencesAfter(spec, after).next();
    if (occurrence.done || occurrence.value.processingDate > to) break;
    const date = occurrence.value.processingDate;
    if (date >= from && dates.at(-1) !== date) dates.push(date);
    const nextMidnight = localTimeToInstant(addDays(date, 1), '00:00:00', spec.timezone).getTime() - 1;
    after = new Date(Math.max(nextMidnight, Date.parse(occurrence.value.at)));
  }
  return dates;
}

/** The date `days` after an ISO date (validated before it gets here). */
function addDays(date: string, days: number): string {
  return formatIsoDate((parseIsoDate(date) ?? Number.NaN) + days);
}

/** What a pump does next, from the backfill and the current status of its open runs. */
export interface PumpPlan {
  /** Open runs still in flight. */
  stillOpen: BackfillSlot[];
  /** How many more dates may start now, oldest first from `next`. */
  free: number;
}

/**
 * A run counts against maxConcurrent until it is terminal (COMPLETED, FAILED, SKIPPED, RESET).
 * A FAILED run does not hold the next date back: it waits for a person, and the dates after it
 * are independent days; the backfill's view shows it. A run the store no longer has is done.
 */
export function pumpPlan(backfill: Backfill, statusOf: ReadonlyMap<string, RunStatus | undefined>): PumpPlan {
  const stillOpen = backfill.open.filter((slot) => {
    const status = statusOf.get(slot.runId);
    return status !== undefined && !isTerminal(status);
  });
  const free = Math.max(0, Math.min(backfill.maxConcurrent - stillOpen.length, backfill.dates.length - backfill.next));
  return { stillOpen, free };
}

/** DONE once every date has started and no started run is still in flight. */
export function backfillStatusOf(next: number, dates: readonly string[], open: readonly BackfillSlot[]): BackfillStatus {
  return next >= dates.length && open.length === 0 ? 'DONE' : 'RUNNING';
}
