import type { Occurrence } from '../domain/schedule-calendar';

/** Which job schedule a trigger or a cursor belongs to. */
export interface ScheduleKey {
  clientId: string;
  scheduleId: string;
}

/**
 * The deployment's scheduler: each enabled, non-MANUAL job schedule has one trigger, armed for
 * exactly one occurrence at a time (the next one), which starts the schedule-run state machine
 * with `{ clientId, scheduleId, scheduledTime, trigger: 'SCHEDULED' }`. Re-armed after every
 * fire, by every change of the schedule, and by the reconciler when it finds none.
 * Implementations: EventBridgeSchedulerTrigger (AWS), LocalScheduler (the local runtime).
 */
export interface ScheduleTrigger {
  /** Creates or replaces the schedule's one trigger so that it fires at `occurrence.at`. Idempotent. */
  arm(schedule: ScheduleKey, occurrence: Occurrence): Promise<void>;
  /** Removes the schedule's trigger; nothing armed is not an error. */
  disarm(schedule: ScheduleKey): Promise<void>;
  /** The instant (ISO-8601 UTC) the trigger is armed for, also when it has already fired; undefined when there is none. */
  armedAt(schedule: ScheduleKey): Promise<string | undefined>;
}

/**
 * How far each schedule's occurrences are settled — fired, or recorded as missed — so that a
 * scheduler that was down knows, after a restart, which occurrences it missed. Implementation:
 * DynamoScheduleCursorStore (the runs table).
 */
export interface ScheduleCursorStore {
  /** The settled-up-to instant (ISO-8601 UTC), undefined when the schedule has none yet. */
  get(schedule: ScheduleKey): Promise<string | undefined>;
  /** Moves the cursor to `at` unless it already is at or past it: never backwards. */
  advance(schedule: ScheduleKey, at: string): Promise<void>;
  delete(schedule: ScheduleKey): Promise<void>;
}
