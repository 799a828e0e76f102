import type { ItemStats, Run, RunJob, RunStatus } from '../domain/model';
import type { RunEvent } from '../domain/run-events';
import type { RunPosition } from '../domain/run-position';
import type { BatchStore } from './batch-store';
import type { ItemPages } from './item-pages';

export interface RunListFilter {
  scheduleId?: string;
  status?: RunStatus;
}

export interface RunRangeQuery extends RunListFilter {
  /** Processing dates, both inclusive. */
  from: string;
  to: string;
  /** Only positions after this one (the end of the previous page). */
  after?: RunPosition;
  limit: number;
}

/**
 * A run before it holds its date: the store assigns the attempt (1, or one more than the RESET run
 * it replaces), the runId (runIdFor) and, unless given, the first execution's name.
 */
export type RunDraft = Omit<Run, 'runId' | 'attempt' | 'executionName'> & { executionName?: string };

/** What the overlap policy needs to know of another active run of the same schedule. */
export type ActiveRunHeader = Pick<Run, 'runId' | 'processingDate' | 'status' | 'createdAt' | 'startedAt'>;

/** What the reconciler compares of an active run with its execution. */
export type ActiveRunRef = Pick<Run, 'runId' | 'executionName' | 'status' | 'updatedAt'>;

/** Some active runs, and where the next page starts (none after the last). */
export interface ActiveRunPage {
  runs: ActiveRunRef[];
  cursor?: string;
}

/** A conditional update of a run's header; `false` when the condition did not hold. */
export interface RunTransition {
  /** The run must be in one of these statuses. */
  from: RunStatus[];
  /** And, when set, owned by this execution. */
  executionName?: string;
  set: Partial<
    Pick<Run, 'status' | 'startedAt' | 'endedAt' | 'error' | 'waitingUntil' | 'waitingReason' | 'skipReason' | 'executionName' | 'executionCount' | 'redriveCount' | 'plan' | 'heal'>
  >;
  /** Attributes to remove (e.g. a cleared error or wait). */
  remove?: Array<'error' | 'waitingUntil' | 'waitingReason' | 'endedAt'>;
  /** When set, the run's redriveCount must be below this value. */
  redriveBelow?: number;
  /**
   * The event announcing this change, written in the same write (the outbox). A change announced
   * before (same eventId) is written again without a second event.
   */
  event?: RunEvent;
}

/** Runs and their jobs, and which execution works for which run. Implementation: DynamoRunStore. */
export interface RunRecords {
  /**
   * Claims (client, schedule, date) for a new run unless a run that is not RESET exists: returns
   * the run that holds the date, and whether it is the one just created. Safe under concurrency.
   * A run claimed in an ending status (a MISSED occurrence) writes its event with the claim; one
   * whose schedule has deadlineMinutes gets its deadlineAt and an entry for the deadline sweep.
   */
  claimRun(draft: RunDraft): Promise<{ run: Run; created: boolean }>;
  getRun(runId: string, consistent?: boolean): Promise<Run | undefined>;
  getCurrentRun(clientId: string, scheduleId: string, processingDate: string): Promise<Run | undefined>;
  listRuns(clientId: string, processingDate: string, filter: RunListFilter): Promise<Run[]>;
  /**
   * Up to `limit` runs of one client in a date range, in RunPosition order, as positions with
   * their runId; `more` when the range may hold further runs.
   */
  listRunPositions(clientId: string, query: RunRangeQuery): Promise<{ positions: Array<RunPosition & { runId: string }>; more: boolean }>;
  /** Runs that are PENDING or RUNNING: the local runtime resumes them after a restart. */
  listActiveRuns(): Promise<Run[]>;
  /**
   * Up to `limit` PENDING/RUNNING runs of every client, headers only, from the sparse sharded
   * activeRunShards index; `cursor` (from the previous page) continues the pass. Eventually
   * consistent: the reconciler reads each run it acts on again.
   */
  activeRunPage(limit: number, cursor?: string): Promise<ActiveRunPage>;
  /** Where the reconciler's pass over the active runs continues; undefined: from the start. */
  getReconcileCursor(): Promise<string | undefined>;
  saveReconcileCursor(cursor: string | undefined): Promise<void>;
  /**
   * The PENDING and RUNNING runs of one schedule, headers only (jobs empty), from the sparse
   * activeRunsOfSchedule index: eventually consistent, so a run claimed a moment ago may be missing.
   */
  listActiveRunsOfSchedule(clientId: string, scheduleId: string): Promise<ActiveRunHeader[]>;
  transitionRun(runId: string, transition: RunTransition): Promise<boolean>;
  /**
   * A reprocess: the transition, the run's jobs as reopened, and the new execution's link to the
   * run, in one write, so that no one who sees the run PENDING for the new execution (a trigger
   * that starts it, the reconciler, a crash between the writes) sees the jobs of before.
   * False, and nothing written, when the transition's condition does not hold.
   */
  reopenRun(runId: string, transition: RunTransition, jobs: RunJob[], executionName: string): Promise<boolean>;
  /** Marks the run RESET and frees its date for attempt n+1. False when the run is already RESET. */
  resetRun(runId: string, at: string): Promise<boolean>;
  putJob(runId: string, job: RunJob): Promise<void>;
  /**
   * An operator's start of a MANUAL job: the job (with its manualStart) and the transition in one
   * write, only while the job is PENDING with no start yet, so two starts at once cannot both win.
   * False, and nothing written, when either condition does not hold.
   */
  startManualJob(runId: string, job: RunJob, transition: RunTransition): Promise<boolean>;
  /** Adds per-batch deltas to a job's live statistics (exact values are recomputed by FinalizeJob). */
  addJobStats(runId: string, seq: number, delta: Pick<ItemStats, 'succeeded' | 'failed'>): Promise<void>;

  /** The run an execution works for (scheduled executions have names the scheduler chose). */
  findRunIdByExecution(executionName: string): Promise<string | undefined>;
  /** Records that an execution now works for a run (a reprocess starts a new one). */
  linkExecution(executionName: string, runId: string): Promise<void>;
}

/**
 * Everything of a run as the services take it: its records, its batches and its item pages.
 * Writes are per run, per job and per batch, never per item.
 */
export interface RunStore extends RunRecords, BatchStore, ItemPages {}
