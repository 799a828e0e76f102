import type { Backfill, BackfillSlot } from '../domain/backfill';
import type { RunStatus } from '../domain/model';

/** What a pump writes back: its progress, conditional on the version it read. */
export type BackfillProgress = Pick<Backfill, 'next' | 'open' | 'status' | 'updatedAt'> & Partial<Pick<Backfill, 'error'>>;

/** The backfill that holds a schedule: at most one RUNNING per schedule. */
export interface ActiveBackfill {
  clientId: string;
  scheduleId: string;
  backfillId: string;
}

/** Backfills and their progress. Implementation: DynamoBackfillStore (on the runs table). */
export interface BackfillStore {
  /**
   * Stores a new RUNNING backfill and makes it its schedule's active one, in one write. When the
   * schedule already has a RUNNING backfill nothing is written and that one's id is returned.
   */
  create(backfill: Backfill): Promise<{ created: true } | { created: false; activeId: string }>;
  get(backfillId: string, consistent?: boolean): Promise<Backfill | undefined>;
  /**
   * Writes a pump's progress if the backfill is still at `expectedVersion` (false otherwise: a
   * concurrent pump got there first). DONE also frees its schedule for the next backfill.
   */
  advance(backfill: Pick<Backfill, 'backfillId' | 'clientId' | 'scheduleId' | 'version'>, progress: BackfillProgress): Promise<boolean>;
  /** Records which run holds each started date (the same run again is harmless). */
  recordStarted(backfillId: string, slots: readonly BackfillSlot[]): Promise<void>;
  /** Every date started so far with its run, oldest first. */
  startedRuns(backfillId: string): Promise<BackfillSlot[]>;
  /** The RUNNING backfill of one schedule, if any. */
  activeOf(clientId: string, scheduleId: string): Promise<ActiveBackfill | undefined>;
  /** Every RUNNING backfill: the safety tick pumps each. */
  listActive(): Promise<ActiveBackfill[]>;
  /** The current status of runs by id, read in batches (runs the store does not have are left out). */
  runStatuses(runIds: readonly string[]): Promise<Map<string, RunStatus>>;
}
