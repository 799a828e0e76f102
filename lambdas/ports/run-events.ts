import type { RunEvent } from '../domain/run-events';

/** A run whose deadline a sweep has to look at: written with the run when it is claimed. */
export interface DueDeadline {
  runId: string;
  deadlineAt: string;
}

/**
 * The transactional outbox of run events. The run store writes each event in the same write as
 * the state change it announces (RunTransition.event, or a claim in an ending status), keyed by
 * its eventId, so a repeated change writes none; this port reads what is still to be dispatched.
 * Implementation: DynamoRunEventOutbox (the runs table).
 */
export interface RunEventOutbox {
  /** Events written but not yet dispatched, oldest first, at most `limit`. */
  pendingEvents(limit: number): Promise<RunEvent[]>;
  /** Removes the event from what is still to dispatch; its record (the key refusing a repeat) stays. */
  markDispatched(event: Pick<RunEvent, 'eventId' | 'at'>): Promise<void>;
  getEvent(eventId: string): Promise<RunEvent | undefined>;
  /** Deadlines at or before `now` that no sweep has settled yet: a read of time buckets, never a scan. */
  dueDeadlines(now: Date): Promise<DueDeadline[]>;
  /** Marks the run late and writes RUN_LATE in one write; false when it was late already. */
  markLate(runId: string, event: RunEvent): Promise<boolean>;
  /** The deadline is settled (the run was late, or completed in time): the sweep reads it no more. */
  settleDeadline(due: DueDeadline): Promise<void>;
}
