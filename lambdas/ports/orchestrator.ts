import type { ExecutionInput } from '../domain/run';

// The adapters that start executions take the input's type with the port.
export type { ExecutionInput };

/**
 * Starts and stops executions of the schedule-run state machine. The execution name is the
 * idempotency key: starting a name that already runs with the same input is not an error.
 */
export interface Orchestrator {
  startExecution(name: string, input: ExecutionInput): Promise<void>;
  stopExecution(name: string, cause: string): Promise<void>;
  /** What DescribeExecution says of an execution; undefined when it does not exist. */
  describeExecution(name: string): Promise<ExecutionDescription | undefined>;
}

export interface ExecutionDescription {
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';
  error?: string;
  cause?: string;
  redriveCount: number;
}

/**
 * The callbacks a worker makes for the Map child that waits on its batch (`.waitForTaskToken`).
 * Each throws an error named TaskTimedOut, InvalidToken or TaskDoesNotExist for a token that is
 * no longer open (its task timed out and was retried, or the execution ended).
 */
export interface TaskCallbacks {
  sendTaskSuccess(taskToken: string, output: unknown): Promise<void>;
  sendTaskFailure(taskToken: string, error: string, cause: string): Promise<void>;
  /** Restarts the task's heartbeat clock (the ASL's HeartbeatSeconds): the batch is being worked on. */
  sendTaskHeartbeat(taskToken: string): Promise<void>;
}
