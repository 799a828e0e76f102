import type { ItemStatus, JobSpec, RunStatus, Trigger } from '../domain/model';
import type { ReprocessRequest, RunView } from '../domain/run';
import type { ItemPage } from '../ports/item-pages';

export interface TriggerRequest {
  processingDate: string;
  /** Overrides the schedule's job sequence for this run only. */
  jobs?: JobSpec[];
  trigger?: Trigger;
}

/** The clients a run list covers: the ones named, or every client (the admin's inbox). */
export type ClientScope = { clientIds: readonly string[] } | 'EVERY_CLIENT';

export interface RunRangeRequest {
  /** Processing dates, both inclusive (the API checks the range is at most 366 days). */
  from: string;
  to: string;
  scheduleId?: string;
  status?: RunStatus;
  limit: number;
  nextToken?: string;
}

export interface RunPage {
  items: RunView[];
  nextToken?: string;
}

/**
 * What the API asks of runs. Every method takes the clientId from the URL and answers
 * NotFoundError for a run of another client, so tenant isolation holds below the HTTP layer too.
 * Errors: NotFoundError (404), ConflictError (409), ValidationError (400).
 */
export interface RunOperations {
  /** 202 semantics when `created`, 200 when an existing, non-RESET run holds the date. */
  trigger(clientId: string, scheduleId: string, request: TriggerRequest): Promise<{ run: RunView; created: boolean }>;
  getRun(clientId: string, runId: string): Promise<RunView>;
  getRunByDate(clientId: string, scheduleId: string, processingDate: string): Promise<RunView>;
  listRuns(clientId: string, query: { date: string; scheduleId?: string; status?: RunStatus }): Promise<RunView[]>;
  /**
   * The runs of the clients in scope over a date range, newest processing date first (then by
   * client), a page at a time. ValidationError for a nextToken this service did not issue.
   */
  listRunRange(scope: ClientScope, query: RunRangeRequest): Promise<RunPage>;
  listItems(clientId: string, runId: string, seq: number, query: { status?: ItemStatus; limit: number; nextToken?: string }): Promise<ItemPage>;
  reprocess(clientId: string, runId: string, request: ReprocessRequest): Promise<RunView>;
  reset(clientId: string, runId: string): Promise<RunView>;
}

/**
 * Starting a MANUAL job a run waits at (API.md, "start": "MANUAL"), on its own so the run service
 * stays as it is. Errors: NotFoundError (404), ConflictError NOT_WAITING_AT_JOB (409).
 */
export interface JobStartOperations {
  /** Records who starts job `seq` of a run waiting at it (MANUAL_JOB); the run goes on at its next check. */
  startJob(clientId: string, runId: string, seq: number, actor: string): Promise<RunView>;
}
