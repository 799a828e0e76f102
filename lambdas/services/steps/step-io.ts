import type { ExecutionInput } from '../../domain/run';

// What the Task states of statemachines/schedule-run.asl.json pass to the steps, and read back.

export interface BeginRunInput {
  /** The execution input; when BeginRun is asked again after a WAIT, also its previous answer (`run`). */
  input: ExecutionInput & { run?: { runId?: string } };
  executionName: string;
}

export interface BeginRunOutput {
  runId?: string;
  index: number;
  /**
   * RUN: go on with the job at `index`; WAIT: ask again at `waitUntil` (overlap policy QUEUE);
   * WAIT_DEPENDENCY: likewise, until the schedules it depends on completed the date; DONE: nothing to do.
   */
  action: 'RUN' | 'WAIT' | 'WAIT_DEPENDENCY' | 'DONE';
  waitUntil?: string;
  /** Read by the Map state (MaxConcurrencyPath) and its children (TimeoutSecondsPath). */
  maxConcurrency: number;
  batchTimeoutSeconds: number;
  reason?: string;
}

export interface BeginJobInput {
  runId: string;
  index: number;
  executionName: string;
}

export interface BeginJobOutput {
  /**
   * WAIT: an exception window is open; WAIT_LEDGER: another run of the client holds the ledger;
   * WAIT_MANUAL: the job waits for an operator to start it (each: ask again at `waitUntil`).
   * FAIL: the sequence is done but a job whose onItemFailure is CONTINUE ended FAILED (FailRun ends the run FAILED).
   */
  action: 'RUN' | 'WAIT' | 'WAIT_LEDGER' | 'WAIT_MANUAL' | 'COMPLETE' | 'FAIL';
  seq?: number;
  waitUntil?: string;
}

export interface JobStepInput {
  runId: string;
  seq: number;
  executionName: string;
  /** FindFailedBatches: only the batches that still have failed items (read consistently, not from the lagging index). */
  failedOnly?: boolean;
}

export interface FinalizeJobInput extends JobStepInput {
  index: number;
}

export interface CompleteRunInput {
  runId: string;
  executionName: string;
}

export interface CompleteRunOutput {
  /** FAILED when a job whose onItemFailure is CONTINUE ended FAILED (the FailRun state). */
  status: 'COMPLETED' | 'FAILED';
}

export interface StepSettings {
  /** Map children in flight at once (per execution). */
  maxConcurrency: number;
  /** How long a Map child waits for its worker before the batch is sent again. */
  batchTimeoutSeconds: number;
  /**
   * How long a run queued behind an active run of its schedule (overlap policy QUEUE), or waiting
   * for the schedules it depends on (the first hour; then every 5 minutes), waits before it asks again. Each round adds about ten events to the execution's history, which Step
   * Functions caps at 25,000: two minutes keeps a wait of several days well inside that.
   * @default DEFAULT_QUEUE_POLL_SECONDS
   */
  queuePollSeconds?: number;
  /**
   * How often a run whose next job waits for the ledger (LEDGER_BUSY) or for its manual start
   * (MANUAL_JOB) checks again during its first hour of waiting; after that every 5 minutes
   * (nextCheckAt in domain/run.ts). About nine history events a check.
   * @default DEFAULT_JOB_WAIT_POLL_SECONDS
   */
  jobWaitPollSeconds?: number;
}

export const DEFAULT_QUEUE_POLL_SECONDS = 120;
export const DEFAULT_JOB_WAIT_POLL_SECONDS = 60;
