import type { Logger } from '@aws-lambda-powertools/logger';
import { randomBytes } from 'node:crypto';
import {
  backfillDates,
  backfillStatusOf,
  pumpPlan,
  type Backfill,
  type BackfillRequest,
  type BackfillSlot,
  type BackfillView,
} from '../domain/backfill';
import { ConflictError, DomainError, NotFoundError, TransientStoreError, ValidationError } from '../domain/errors';
import { DEFAULT_OVERLAP_POLICY, type Run } from '../domain/model';
import { isTerminal, resolveScheduleId } from '../domain/run';
import type { BackfillStore } from '../ports/backfill-store';
import type { Clock } from '../ports/clock';
import type { ConfigStore } from '../ports/config-store';
import { calendarSpecOf } from './calendar-service';
import type { RunOperations } from './run-operations';

/** Pumps that lose the race to another pump read the backfill again; after this many they leave it to that one. */
const PUMP_ROUNDS = 3;

export interface BackfillServiceDependencies {
  store: BackfillStore;
  /** The schedule, and the business-day calendar it names: its dates are the schedulers' occurrences. */
  config: Pick<ConfigStore, 'getSchedule' | 'getCalendar'>;
  /** Starts a date's run through the idempotent trigger path: a date that has a run keeps it. */
  runs: Pick<RunOperations, 'trigger'>;
  clock: Clock;
  logger: Logger;
  /** @default `bf_` and 20 random characters */
  newBackfillId?: (clientId: string, scheduleId: string) => string;
}

/**
 * Backfills: create one (its dates from the schedule's calendar), read its progress, and pump
 * it. A pump starts the next dates while fewer than maxConcurrent of its runs are in flight. It
 * is idempotent and safe to run concurrently: triggers are idempotent per date, and progress is
 * written conditionally on the version read, so a pump that loses reads again. Pumps come from
 * the POST, from a run's end (the execution-status service) and from a periodic tick (the
 * reconciler deployed, a timer locally), so nothing lives in memory between two of them.
 */
export class BackfillService {
  constructor(private readonly deps: BackfillServiceDependencies) {}

  /** A new backfill, already pumped once; repeating the same request while it runs answers the same one. */
  async create(clientId: string, scheduleId: string, request: BackfillRequest): Promise<{ backfill: BackfillView; created: boolean }> {
    const { store, config, clock } = this.deps;
    const resolved = resolveScheduleId(scheduleId);
    const schedule = await config.getSchedule(clientId, resolved);
    if (!schedule) throw new NotFoundError(`schedule ${scheduleId} does not exist for client ${clientId}`);
    if (request.maxConcurrent > 1 && (schedule.overlapPolicy ?? DEFAULT_OVERLAP_POLICY) === 'SKIP') {
      throw new ValidationError('this schedule skips a run while another of its runs is active (overlap policy SKIP)', [
        { path: 'maxConcurrent', message: '1 for a schedule whose overlap policy is SKIP, or every run beside another would be SKIPPED' },
      ]);
    }
    const dates = backfillDates(schedule, await calendarSpecOf(config, clientId, schedule), request);
    const now = clock.now().toISOString();
    const backfill: Backfill = {
      backfillId: (this.deps.newBackfillId ?? randomBackfillId)(clientId, resolved),
      clientId,
      scheduleId: resolved,
      from: request.from,
      to: request.to,
      maxConcurrent: request.maxConcurrent,
      dates,
      status: 'RUNNING',
      next: 0,
      open: [],
      createdAt: now,
      updatedAt: now,
      version: 1,
    };
    const stored = await store.create(backfill);
    if (!stored.created) {
      const active = await store.get(stored.activeId, true);
      if (active && active.from === request.from && active.to === request.to && active.maxConcurrent === request.maxConcurrent) {
        return { backfill: await this.viewOf(active), created: false };
      }
      throw new ConflictError(`schedule ${scheduleId} has a backfill running (${stored.activeId}); wait for it to finish`, 'BACKFILL_RUNNING', [
        { path: 'backfillId', message: stored.activeId },
      ]);
    }
    await this.pumpQuietly(backfill.backfillId);
    return { backfill: await this.viewOf((await store.get(backfill.backfillId, true)) ?? backfill), created: true };
  }

  async get(clientId: string, scheduleId: string, backfillId: string): Promise<BackfillView> {
    const backfill = await this.deps.store.get(backfillId);
    if (!backfill || backfill.clientId !== clientId || backfill.scheduleId !== resolveScheduleId(scheduleId)) {
      throw new NotFoundError(`backfill ${backfillId} does not exist for schedule ${scheduleId} of client ${clientId}`);
    }
    return this.viewOf(backfill);
  }

  /** A run ended: its schedule's running backfill may start its next date. */
  async runEnded(run: Pick<Run, 'clientId' | 'scheduleId' | 'status'>): Promise<void> {
    if (!isTerminal(run.status)) return;
    const active = await this.deps.store.activeOf(run.clientId, run.scheduleId);
    if (active) await this.pump(active.backfillId);
  }

  /** The safety tick: pumps every running backfill (a run's end that was not heard, a crash between two writes). */
  async tick(): Promise<string[]> {
    const pumped: string[] = [];
    for (const active of await this.deps.store.listActive()) {
      if (await this.pumpQuietly(active.backfillId)) pumped.push(active.backfillId);
    }
    return pumped;
  }

  /** Starts what may start now and records it; returns once its progress is written or another pump's is newer. */
  async pump(backfillId: string): Promise<void> {
    const { store, clock } = this.deps;
    for (let round = 0; round < PUMP_ROUNDS; round++) {
      const backfill = await store.get(backfillId, true);
      if (!backfill || backfill.status === 'DONE') return;
      const statuses = backfill.open.length > 0 ? await store.runStatuses(backfill.open.map((slot) => slot.runId)) : new Map();
      const { stillOpen, free } = pumpPlan(backfill, statuses);
      const started: BackfillSlot[] = [];
      let next = backfill.next;
      let error: Backfill['error'];
      for (let i = 0; i < free; i++, next++) {
        const processingDate = backfill.dates[next] as string;
        const outcome = await this.startDate(backfill, processingDate);
        if ('error' in outcome) {
          error = outcome.error;
          break;
        }
        started.push(outcome.slot);
        if (!outcome.ended) stillOpen.push(outcome.slot);
      }
      if (started.length > 0) await store.recordStarted(backfillId, started);
      if (!error && next === backfill.next && stillOpen.length === backfill.open.length) return;
      const status = error ? 'DONE' : backfillStatusOf(next, backfill.dates, stillOpen);
      const progress = { next, open: error ? [] : stillOpen, status, updatedAt: clock.now().toISOString(), ...(error ? { error } : {}) } as const;
      if (await store.advance(backfill, progress)) return;
    }
  }

  /**
   * Triggers one date (trigger BACKFILL). A run that is already there, and not RESET, is kept:
   * the trigger answers with it. A schedule deleted meanwhile, or a run its rules refuse, ends
   * the backfill with that error: no later date would fare better.
   */
  private async startDate(backfill: Backfill, processingDate: string): Promise<{ slot: BackfillSlot; ended: boolean } | { error: { code: string; message: string } }> {
    try {
      const { run } = await this.deps.runs.trigger(backfill.clientId, backfill.scheduleId, { processingDate, trigger: 'BACKFILL' });
      return { slot: { processingDate, runId: run.runId }, ended: isTerminal(run.status) };
    } catch (error) {
      if (error instanceof DomainError && !(error instanceof TransientStoreError)) {
        return { error: { code: error.code, message: `${processingDate}: ${error.message}` } };
      }
      throw error;
    }
  }

  /** A pump whose failure must not fail its caller: the next pump (the tick at the latest) picks the backfill up again. */
  private async pumpQuietly(backfillId: string): Promise<boolean> {
    try {
      await this.pump(backfillId);
      return true;
    } catch (error) {
      this.deps.logger.warn('backfill pump failed; the next run end or tick tries again', { backfillId, error: error as Error });
      return false;
    }
  }

  private async viewOf(backfill: Backfill): Promise<BackfillView> {
    const slots = await this.deps.store.startedRuns(backfill.backfillId);
    const statuses = slots.length > 0 ? await this.deps.store.runStatuses(slots.map((slot) => slot.runId)) : new Map();
    return {
      backfillId: backfill.backfillId,
      scheduleId: backfill.scheduleId,
      from: backfill.from,
      to: backfill.to,
      maxConcurrent: backfill.maxConcurrent,
      status: backfill.status,
      dates: backfill.dates,
      runs: slots.flatMap((slot) => {
        const status = statuses.get(slot.runId);
        return status ? [{ ...slot, status }] : [];
      }),
      ...(backfill.error ? { error: backfill.error } : {}),
      createdAt: backfill.createdAt,
    };
  }
}

/** `bf_` and 20 random characters of [a-z0-9]: unguessable, and safe in a DynamoDB key and a URL. */
function randomBackfillId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const chars = [...randomBytes(32)].filter((b) => b < 252).map((b) => alphabet[b % 36]);
  return `bf_${chars.slice(0, 20).join('')}`;
}
