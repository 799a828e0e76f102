import { createHash } from 'node:crypto';
import type { Run } from './model';
import { toRunView, type RunView } from './run';

/** What a run announces when its state changes (shared/API.md, "Notifications"). */
export const RUN_EVENT_TYPES = ['RUN_STARTED', 'RUN_COMPLETED', 'RUN_FAILED', 'RUN_SKIPPED', 'RUN_LATE'] as const;
export type RunEventType = (typeof RUN_EVENT_TYPES)[number];

/** The run as an event carries it: the API's view without its jobs and configuration snapshot. */
export type RunEventView = Omit<RunView, 'jobs' | 'config'>;

export interface RunEvent {
  eventId: string;
  type: RunEventType;
  at: string;
  clientId: string;
  run: RunEventView;
}

/**
 * Which state change an event announces, as a key: the same change seen twice (a redelivered status
 * event, a retried step, the reconciler settling what a lost event would have) has the same key,
 * so its outbox record's conditional put refuses the second. A reprocess is a new execution and a
 * console redrive a new redrive count: their outcomes are new changes, announced again. A run is
 * late once per attempt.
 */
function changeKey(type: RunEventType, run: Pick<Run, 'runId' | 'executionName' | 'redriveCount'>): string {
  if (type === 'RUN_LATE') return `${run.runId}|LATE`;
  return `${run.runId}|${run.executionName}|${run.redriveCount}|${type}`;
}

/** The event of a state change, from the run as it is after the change. */
export function runEventOf(type: RunEventType, run: Run, at: string): RunEvent {
  const { jobs: _jobs, config: _config, ...view } = toRunView(run);
  const eventId = `evt_${createHash('sha256').update(changeKey(type, run)).digest('hex').slice(0, 32)}`;
  return { eventId, type, at, clientId: run.clientId, run: view };
}

/** The event a run's new status announces; PENDING, RUNNING again and RESET announce nothing. */
export function eventTypeForStatus(status: Run['status']): RunEventType | undefined {
  switch (status) {
    case 'RUNNING':
      return 'RUN_STARTED';
    case 'COMPLETED':
      return 'RUN_COMPLETED';
    case 'FAILED':
      return 'RUN_FAILED';
    case 'SKIPPED':
      return 'RUN_SKIPPED';
    default:
      return undefined;
  }
}

/** Whether a subscription to these event types ("*": all) receives an event of this type. */
export function subscribesTo(events: readonly string[], type: RunEventType): boolean {
  return events.includes('*') || events.includes(type);
}

/** When a run should be COMPLETED: its scheduled time (an API trigger: its creation) plus the schedule's deadline. */
export function deadlineOf(run: Pick<Run, 'scheduledTime' | 'createdAt' | 'config'>): string | undefined {
  const minutes = run.config.deadlineMinutes;
  if (minutes === undefined) return undefined;
  return new Date(Date.parse(run.scheduledTime ?? run.createdAt) + minutes * 60_000).toISOString();
}

/**
 * Whether a run missed its deadline at `now`: not COMPLETED by deadlineAt. A run that completed
 * after it was late too, even if no sweep looked while it was still running.
 */
export function missedDeadline(run: Pick<Run, 'status' | 'endedAt' | 'deadlineAt' | 'late'>, now: Date): boolean {
  // A skipped run was announced as such, and a reset one handed its date to the next attempt.
  if (!run.deadlineAt || run.late || run.status === 'RESET' || run.status === 'SKIPPED') return false;
  const deadline = Date.parse(run.deadlineAt);
  if (now.getTime() < deadline) return false;
  return run.status !== 'COMPLETED' || (run.endedAt !== undefined && Date.parse(run.endedAt) > deadline);
}

/** A status transition as the run store takes it (ports/run-store.ts RunTransition), seen from the domain. */
interface StatusChange {
  set: Partial<Run>;
  remove?: ReadonlyArray<keyof Run>;
}

/**
 * The transition with the event that announces it, when it changes the run's status to one that
 * announces something: the event carries the run as it will be after the change. A transition to
 * the status the run already has (a retried step, a repeated status event) announces nothing.
 */
export function announced<T extends StatusChange>(run: Run, change: T, at: string): T & { event?: RunEvent } {
  const status = change.set.status;
  const type = status && status !== run.status ? eventTypeForStatus(status) : undefined;
  if (!type) return change;
  const after: Run = { ...run, ...(change.set as Partial<Run>) };
  for (const field of change.remove ?? []) delete after[field];
  return { ...change, event: runEventOf(type, after, at) };
}
