import { createHash } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { JobRegistry } from '../domain/job-registry';
import { DEFAULT_CATCH_UP_WINDOW_HOURS, type Schedule } from '../domain/model';
import { newRunDraft, scheduledFireInput } from '../domain/run';
import { nextOccurrences, occurrencesAfter, type CalendarSpec, type Occurrence } from '../domain/schedule-calendar';
import { firesByItself } from '../domain/schedule-firing';
import type { Clock } from '../ports/clock';
import { continuePass, type ResumableList } from './resumable-pass';
import type { ConfigStore } from '../ports/config-store';
import type { Orchestrator } from '../ports/orchestrator';
import type { RunStore } from '../ports/run-store';
import type { ScheduleCursorStore, ScheduleKey, ScheduleTrigger } from '../ports/schedule-trigger';
import { calendarSpecOf } from './calendar-service';

export interface ScheduleFiringSettings {
  /**
   * How long after its instant a spent trigger may still be firing (EventBridge Scheduler's
   * minute precision, a slow cold start before BeginRun re-arms it). Past that, a trigger that was
   * not re-armed has lost its chain and the reconciler takes over.
   */
  fireGraceMs: number;
  /** Occurrences settled per schedule in one call, so that a long outage of a per-minute CRON stays bounded; the rest follow next time. */
  maxOccurrencesPerSettle: number;
  /**
   * Catching up several occurrences of one schedule fires them oldest first, each once the one
   * before has claimed its run (so the overlap policy sees them in order); at most this long each.
   */
  claimWaitMs: number;
}

export const DEFAULT_FIRING_SETTINGS: ScheduleFiringSettings = { fireGraceMs: 10 * 60_000, maxOccurrencesPerSettle: 10_000, claimWaitMs: 10_000 };

export interface SettleReport {
  /** Occurrences fired (within the catch-up window), oldest first. */
  fired: Occurrence[];
  /** Processing dates recorded as SKIPPED (MISSED): occurrences older than the catch-up window. */
  missed: string[];
}

export interface TriggerReport {
  checked: number;
  /** Pages of self-firing schedules read; passComplete: this invocation reached the last one. */
  pages: number;
  passComplete: boolean;
  /** Schedules whose chain of triggers was broken (none armed, or spent and never re-armed): caught up and armed again. */
  rearmed: string[];
  /** Schedules armed for another instant than their calendar's next occurrence (an edit whose arming failed). */
  corrected: string[];
  caughtUp: Array<{ scheduleId: string; processingDate: string }>;
  missed: Array<{ scheduleId: string; processingDate: string }>;
  failed: string[];
}

const HOUR_MS = 3_600_000;
const TRIGGER_PAGE_SIZE = 100;
/** Schedules one reconciler invocation checks: each may arm a trigger and settle a few occurrences. */
export const DEFAULT_TRIGGERS_PER_INVOCATION = 1_000;

export function scheduleKeyOf(schedule: ScheduleKey): ScheduleKey {
  return { clientId: schedule.clientId, scheduleId: schedule.scheduleId };
}

/** The execution a scheduler starts for one occurrence: the same name for the same occurrence, so a repeated fire is the same execution. */
export function scheduledExecutionName(schedule: ScheduleKey, at: string): string {
  const digest = createHash('sha256').update(`${schedule.clientId}\u0000${schedule.scheduleId}\u0000${new Date(at).toISOString()}`).digest('hex');
  return `sched_${digest.slice(0, 32)}`;
}

/**
 * Keeps the schedulers in step with the schedules, with the calendar module as the only judge of
 * when a schedule fires:
 * - every enabled, non-MANUAL schedule has its trigger armed for its next occurrence (after an
 *   edit, after each fire, and, when the chain broke, by the reconciler);
 * - a cursor per schedule records how far its occurrences are settled, so that occurrences missed
 *   while nothing fired are fired once, oldest first, when within the schedule's catch-up window,
 *   and recorded as SKIPPED runs (MISSED) when older — never dropped without a trace.
 * Arming failures never fail the caller (a saved schedule, a started run): they are logged, and
 * the reconciler heals them.
 */
export class ScheduleFiringService {
  constructor(
    private readonly deps: {
      trigger: ScheduleTrigger;
      cursors: ScheduleCursorStore;
      config: ConfigStore;
      runs: RunStore;
      registry: JobRegistry;
      orchestrator: Orchestrator;
      clock: Clock;
      logger: Logger;
      settings?: ScheduleFiringSettings;
    },
  ) {}

  private get settings(): ScheduleFiringSettings {
    return this.deps.settings ?? DEFAULT_FIRING_SETTINGS;
  }

  /** The next occurrence strictly after `after`, by the schedule's business-day calendar; undefined for a schedule that does not fire by itself. */
  async nextOccurrence(schedule: Schedule, after: Date): Promise<Occurrence | undefined> {
    return firesByItself(schedule) ? nextOccurrences(await this.calendarOf(schedule), after, 1)[0] : undefined;
  }

  private calendarOf(schedule: Schedule): Promise<CalendarSpec> {
    return calendarSpecOf(this.deps.config, schedule.clientId, schedule);
  }

  /**
   * A schedule was created or edited. Arms its next occurrence (or disarms it). When its calendar
   * changed, or it was just enabled, its cursor moves to now: occurrences before the change were
   * never due under the new calendar, so they are neither caught up nor missed.
   */
  async scheduleChanged(schedule: Schedule, previous?: Schedule): Promise<void> {
    const key = scheduleKeyOf(schedule);
    try {
      if (!previous || !firesByItself(previous) || calendarChanged(previous, schedule)) {
        await this.deps.cursors.advance(key, this.deps.clock.now().toISOString());
      }
      await this.armNext(schedule, this.deps.clock.now());
    } catch (error) {
      this.deps.logger.warn('could not arm the schedule; the reconciler will', { ...key, error: error as Error });
    }
  }

  async scheduleDeleted(key: ScheduleKey): Promise<void> {
    try {
      await this.deps.trigger.disarm(key);
      await this.deps.cursors.delete(key);
    } catch (error) {
      this.deps.logger.warn('could not disarm a deleted schedule; its next fire will', { ...key, error: error as Error });
    }
  }

  /**
   * A scheduler fired the schedule for `firedAt` (BeginRun, before anything else): the cursor
   * moves past it and the trigger is armed for the following occurrence — never for an instant
   * already past, so a late fire arms the next occurrence after now.
   */
  async fired(key: ScheduleKey, schedule: Schedule | undefined, firedAt: string): Promise<void> {
    try {
      if (!schedule || !firesByItself(schedule)) {
        await this.deps.trigger.disarm(key);
        return;
      }
      await this.deps.cursors.advance(key, firedAt);
      const now = this.deps.clock.now();
      await this.armNext(schedule, new Date(Math.max(Date.parse(firedAt), now.getTime())));
    } catch (error) {
      this.deps.logger.warn('could not re-arm the schedule after it fired; the reconciler will', { ...key, error: error as Error });
    }
  }

  /**
   * Settles the occurrences after the schedule's cursor up to `upTo`: those within the catch-up
   * window (measured from now) are fired, oldest first; older ones are recorded as one SKIPPED run
   * (MISSED) per processing date. A schedule without a cursor starts from `upTo`: nothing before
   * the scheduler first saw it was ever its to fire.
   */
  async settleDue(schedule: Schedule, upTo: Date): Promise<SettleReport> {
    const report: SettleReport = { fired: [], missed: [] };
    if (!firesByItself(schedule)) return report;
    const { cursors, clock } = this.deps;
    const key = scheduleKeyOf(schedule);
    const cursor = await cursors.get(key);
    if (!cursor) {
      await cursors.advance(key, upTo.toISOString());
      return report;
    }
    const windowHours = schedule.catchUpWindowHours ?? DEFAULT_CATCH_UP_WINDOW_HOURS;
    const windowStart = clock.now().getTime() - windowHours * HOUR_MS;
    let missed: { processingDate: string; first: Occurrence; last: Occurrence; count: number } | undefined;
    const recordMissed = async (): Promise<void> => {
      if (!missed) return;
      await this.recordMissed(schedule, missed.processingDate, missed.first, missed.count, windowHours);
      await cursors.advance(key, missed.last.at);
      report.missed.push(missed.processingDate);
      missed = undefined;
    };
    let previous: Occurrence | undefined;
    let settled = 0;
    for (const occurrence of occurrencesAfter(await this.calendarOf(schedule), new Date(cursor))) {
      const at = Date.parse(occurrence.at);
      if (at > upTo.getTime() || settled++ >= this.settings.maxOccurrencesPerSettle) break;
      if (at < windowStart) {
        if (missed && missed.processingDate !== occurrence.processingDate) await recordMissed();
        missed = missed ? { ...missed, last: occurrence, count: missed.count + 1 } : { processingDate: occurrence.processingDate, first: occurrence, last: occurrence, count: 1 };
        continue;
      }
      // A date whose later occurrence still fires gets its run from that fire, not a MISSED record.
      if (missed?.processingDate === occurrence.processingDate) missed = undefined;
      await recordMissed();
      if (previous) await this.awaitClaim(key, previous);
      await this.fire(key, occurrence);
      await cursors.advance(key, occurrence.at);
      report.fired.push(occurrence);
      previous = occurrence;
    }
    await recordMissed();
    return report;
  }

  /**
   * The reconciler's pass over every schedule that fires by itself: a trigger armed for the
   * future is left alone (or corrected when it is not the calendar's next occurrence); one that
   * fired moments ago is left to its BeginRun; otherwise the chain broke — what was missed since
   * the cursor is settled, and the next occurrence armed.
   */
  async reconcileTriggers(budget = DEFAULT_TRIGGERS_PER_INVOCATION): Promise<TriggerReport> {
    const { config, logger } = this.deps;
    const report: TriggerReport = { checked: 0, pages: 0, passComplete: false, rearmed: [], corrected: [], caughtUp: [], missed: [], failed: [] };
    // Pages of the self-firing schedules from where the last invocation stopped: each invocation
    // checks at most `budget` of them, so a pass over 10,000 spans a few, each within its timeout.
    const selfFiring: ResumableList<Schedule> = {
      savedCursor: () => config.getTriggerCursor(),
      page: async (limit, cursor) => {
        const page = await config.scheduleTriggerPage(limit, cursor);
        return { entries: page.schedules, cursor: page.cursor };
      },
      saveCursor: (cursor) => config.saveTriggerCursor(cursor),
    };
    await continuePass(selfFiring, { pageSize: TRIGGER_PAGE_SIZE, budget }, report, (schedule) => this.reconcileTrigger(schedule, report));
    if (report.rearmed.length + report.corrected.length + report.failed.length > 0) logger.warn('reconciled schedule triggers', { ...report });
    return report;
  }

  private async reconcileTrigger(schedule: Schedule, report: TriggerReport): Promise<void> {
    const { trigger, clock, logger } = this.deps;
    // The index is eventually consistent: a schedule disabled moments ago may still be listed.
    if (!firesByItself(schedule)) return;
    report.checked++;
    const key = scheduleKeyOf(schedule);
    try {
      const now = clock.now();
      const armed = await trigger.armedAt(key);
      const armedMs = armed === undefined ? undefined : Date.parse(armed);
      if (armedMs !== undefined && armedMs > now.getTime()) {
        const expected = await this.nextOccurrence(schedule, now);
        if (expected && Date.parse(expected.at) !== armedMs) {
          await trigger.arm(key, expected);
          report.corrected.push(schedule.scheduleId);
        }
        return;
      }
      if (armedMs !== undefined && now.getTime() - armedMs <= this.settings.fireGraceMs) return;
      const settled = await this.settleDue(schedule, now);
      report.caughtUp.push(...settled.fired.map((o) => ({ scheduleId: schedule.scheduleId, processingDate: o.processingDate })));
      report.missed.push(...settled.missed.map((processingDate) => ({ scheduleId: schedule.scheduleId, processingDate })));
      await this.armNext(schedule, clock.now());
      report.rearmed.push(schedule.scheduleId);
    } catch (error) {
      report.failed.push(schedule.scheduleId);
      logger.error('could not reconcile the trigger of a schedule', { ...key, error: error as Error });
    }
  }

  private async armNext(schedule: Schedule, after: Date): Promise<void> {
    const next = await this.nextOccurrence(schedule, after);
    if (next) await this.deps.trigger.arm(scheduleKeyOf(schedule), next);
    else await this.deps.trigger.disarm(scheduleKeyOf(schedule));
  }

  /** Starts the state machine as the scheduler does: the same input EventBridge Scheduler sends. */
  private async fire(key: ScheduleKey, occurrence: Occurrence): Promise<void> {
    await this.deps.orchestrator.startExecution(scheduledExecutionName(key, occurrence.at), scheduledFireInput(key, occurrence.at));
  }

  /** Waits until the fired occurrence's run holds its date, or its execution has ended without one (the date was not due). */
  private async awaitClaim(key: ScheduleKey, occurrence: Occurrence): Promise<void> {
    const { runs, orchestrator } = this.deps;
    const deadline = Date.now() + this.settings.claimWaitMs;
    while (Date.now() < deadline) {
      if (await runs.getCurrentRun(key.clientId, key.scheduleId, occurrence.processingDate)) return;
      const execution = await orchestrator.describeExecution(scheduledExecutionName(key, occurrence.at));
      if (execution?.status !== 'RUNNING') return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** A SKIPPED run (MISSED) holds the date, visible in that date's run list; a date that already has a run keeps it. */
  private async recordMissed(schedule: Schedule, processingDate: string, first: Occurrence, count: number, windowHours: number): Promise<void> {
    const now = this.deps.clock.now().toISOString();
    const draft = newRunDraft({ schedule, processingDate, trigger: 'SCHEDULED', now, registry: this.deps.registry });
    const times = count === 1 ? `at ${first.at}` : `${count} times from ${first.at}`;
    const { created } = await this.deps.runs.claimRun({
      ...draft,
      status: 'SKIPPED',
      endedAt: now,
      scheduledTime: first.at,
      skipReason: {
        code: 'MISSED',
        message: `not fired ${times}: no scheduler was running then, and the occurrence is older than the catch-up window of ${windowHours} h`,
      },
      jobs: draft.jobs.map((job) => ({ ...job, status: 'SKIPPED' })),
    });
    if (created) this.deps.logger.warn('recorded a missed occurrence', { clientId: schedule.clientId, scheduleId: schedule.scheduleId, processingDate, count });
  }
}

function calendarChanged(previous: Schedule, next: Schedule): boolean {
  return (
    JSON.stringify(previous.frequency) !== JSON.stringify(next.frequency) ||
    previous.executionTime !== next.executionTime ||
    previous.timezone !== next.timezone ||
    previous.calendarId !== next.calendarId ||
    previous.nonBusinessDay !== next.nonBusinessDay
  );
}
