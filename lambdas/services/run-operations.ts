import type { ItemStatus, JobSpec, Run, RunStatus, Trigger } from '../domain/model';
import type { ItemPage } from '../ports/item-pages';

/** A run as the API shows it: the stored run plus statistics over its jobs. */
export interface RunView extends Omit<Run, 'executionCount' | 'redriveCount' | 'plan' | 'heal'> {
  stats: {
    jobs: { total: number; completed: number; failed: number; pending: number };
    items: { total: number; succeeded: number; failed: number; pending: number };
  };
}

export interface TriggerRequest {
  processingDate: string;
  /** Overrides the schedule's job sequence for this run only. */
  jobs?: JobSpec[];
  trigger?: Trigger;
}

export type ReprocessRequest =
  | { scope: 'RUN'; heal?: boolean }
  | { scope: 'JOB'; seq: number; items: 'FAILED' | 'ALL'; heal?: boolean };

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
  listItems(clientId: string, runId: string, seq: number, query: { status?: ItemStatus; limit: number; nextToken?: string }): Promise<ItemPage>;
  reprocess(clientId: string, runId: string, request: ReprocessRequest): Promise<RunView>;
  reset(clientId: string, runId: string): Promise<RunView>;
}
