import type { Logger } from '@aws-lambda-powertools/logger';
import type { Schedule } from '../../domain/model';
import type { Occurrence } from '../../domain/schedule-calendar';
import type { Clock } from '../../ports/clock';
import type { ConfigStore } from '../../ports/config-store';
import type { ScheduleKey, ScheduleTrigger } from '../../ports/schedule-trigger';
import type { SettleReport } from '../../services/schedule-firing-service';

export interface LocalSchedulerOptions {
  config: Pick<ConfigStore, 'listAllSchedules'>;
  /** Fires a schedule's due occurrences up to an instant and records the missed ones (ScheduleFiringService.settleDue). */
  settle(schedule: Schedule, upTo: Date): Promise<SettleReport>;
  /** The calendar's next occurrence of a schedule after an instant (ScheduleFiringService.nextOccurrence). */
  nextOccurrence(schedule: Schedule, after: Date): Promise<Occurrence | undefined>;
  clock: Clock;
  logger: Logger;
  /**
   * Longest sleep between two looks at the schedules. A schedule created or edited through the
   * API wakes the scheduler at once (arm); this bounds the delay for anything else.
   * @default 30_000
   */
  maxSleepMs?: number;
}

export interface TickReport {
  fired: Array<ScheduleKey & Occurrence>;
  missed: Array<ScheduleKey & { processingDate: string }>;
}

/**
 * In place of EventBridge Scheduler: each tick settles every schedule's due occurrences with the
 * deployed reconciler's own service, calendar and DynamoDB cursor, so what was missed while the
 * runtime was down fires once after a restart (older than the catch-up window: SKIPPED, MISSED).
 * Tests drive `tick()` with an injected clock instead of `start()`.
 */
export class LocalScheduler implements ScheduleTrigger {
  private readonly armed = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: LocalSchedulerOptions) {}

  /** Ticks now, then whenever the next occurrence is due. */
  start(): void {
    this.started = true;
    this.wake();
  }

  /** Stops ticking; resolves once a tick under way has finished. */
  async stop(): Promise<void> {
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.queue.catch(() => undefined);
  }

  /** One look at every schedule at the clock's now. Ticks never overlap: a second call waits for the first. */
  tick(): Promise<TickReport> {
    const run = this.queue.catch(() => undefined).then(() => this.settleAll());
    this.queue = run;
    return run;
  }

  /** Only notes the arming and wakes up: the calendar, not a timer per schedule, decides what fires. */
  async arm(schedule: ScheduleKey, occurrence: Occurrence): Promise<void> {
    this.armed.set(keyOf(schedule), occurrence.at);
    this.wake();
  }

  async disarm(schedule: ScheduleKey): Promise<void> {
    this.armed.delete(keyOf(schedule));
  }

  async armedAt(schedule: ScheduleKey): Promise<string | undefined> {
    return this.armed.get(keyOf(schedule));
  }

  private wake(delayMs = 0): void {
    if (!this.started) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.tick().then(
        (report) => this.sleepAfter(report),
        (error: unknown) => {
          this.options.logger.error('local scheduler tick failed', { error: error as Error });
          this.wake(this.options.maxSleepMs ?? 30_000);
        },
      );
    }, delayMs);
    this.timer.unref();
  }

  /** Until the next occurrence of any schedule, at most `maxSleepMs`. */
  private sleepAfter(report: TickReport & { nextAt?: number }): void {
    const maxSleep = this.options.maxSleepMs ?? 30_000;
    const untilNext = report.nextAt === undefined ? maxSleep : report.nextAt - this.options.clock.now().getTime();
    this.wake(Math.min(maxSleep, Math.max(0, untilNext)));
  }

  private async settleAll(): Promise<TickReport & { nextAt?: number }> {
    const { config, settle, nextOccurrence, clock, logger } = this.options;
    const now = clock.now();
    const report: TickReport & { nextAt?: number } = { fired: [], missed: [] };
    for (const schedule of await config.listAllSchedules()) {
      const key = { clientId: schedule.clientId, scheduleId: schedule.scheduleId };
      try {
        const settled = await settle(schedule, now);
        report.fired.push(...settled.fired.map((occurrence) => ({ ...key, ...occurrence })));
        report.missed.push(...settled.missed.map((processingDate) => ({ ...key, processingDate })));
        const next = await nextOccurrence(schedule, now);
        if (next) report.nextAt = Math.min(report.nextAt ?? Number.POSITIVE_INFINITY, Date.parse(next.at));
      } catch (error) {
        logger.error('local scheduler could not settle a schedule', { ...key, error: error as Error });
      }
    }
    if (report.fired.length > 0) logger.info('fired scheduled runs', { fired: report.fired });
    if (report.missed.length > 0) logger.warn('recorded missed occurrences as SKIPPED runs', { missed: report.missed });
    return report;
  }
}

function keyOf(schedule: ScheduleKey): string {
  return `${schedule.clientId}#${schedule.scheduleId}`;
}
