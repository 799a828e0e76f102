import { isDeepStrictEqual } from 'node:util';
import type { ExecutionDescription as PortExecutionDescription, ExecutionInput, Orchestrator } from '../../ports/orchestrator';
import type { ExecutionStatus, LocalExecution, LocalStateMachine, StateChange } from './local-state-machine';

export interface ExecutionEnded {
  executionName: string;
  status: ExecutionStatus;
  error?: string;
  cause?: string;
  input: ExecutionInput;
  output?: unknown;
  redriveCount: number;
}

export interface ExecutionRedriven {
  executionName: string;
  status: 'RUNNING';
  input: ExecutionInput;
  redriveCount: number;
}

export type ExecutionListener<E> = (event: E) => Promise<void> | void;

/** What DescribeExecution would tell. */
export interface ExecutionDescription {
  executionName: string;
  status: 'RUNNING' | ExecutionStatus;
  input: ExecutionInput;
  redriveCount: number;
  error?: string;
  cause?: string;
}

class NamedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The name belongs to a closed execution, or to a running one with another input. */
export class ExecutionAlreadyExists extends NamedError {}
export class ExecutionDoesNotExist extends NamedError {}
/** Only a FAILED or ABORTED execution can be redriven. */
export class ExecutionNotRedrivable extends NamedError {}

interface ExecutionRecord {
  description: ExecutionDescription;
  execution?: LocalExecution;
  /** Settles once the execution ended and its listeners ran. */
  settled?: Promise<void>;
  /** shutdown(): end without reporting, so a restart resumes the run. */
  silent: boolean;
}

/**
 * Step Functions' execution API over the LocalStateMachine, with AWS's rules: StartExecution is
 * idempotent only for a running execution with the same input (ExecutionAlreadyExists otherwise),
 * StopExecution aborts, and only a FAILED or ABORTED execution can be redriven.
 * History lives in memory: after a restart, local-run-resumer.ts starts the active runs again.
 */
export class LocalOrchestrator implements Orchestrator {
  private readonly records = new Map<string, ExecutionRecord>();
  private readonly endListeners = new Set<ExecutionListener<ExecutionEnded>>();
  private readonly redriveListeners = new Set<ExecutionListener<ExecutionRedriven>>();
  private notifications: Promise<void> = Promise.resolve();
  private shutDown = false;

  constructor(private readonly stateMachine: LocalStateMachine) {}

  async startExecution(name: string, input: ExecutionInput): Promise<void> {
    this.assertOpen();
    const existing = this.records.get(name);
    if (existing) {
      if (existing.description.status === 'RUNNING' && isDeepStrictEqual(existing.description.input, input)) return;
      throw new ExecutionAlreadyExists(`Execution ${name} already exists`);
    }
    const record: ExecutionRecord = { description: { executionName: name, status: 'RUNNING', input, redriveCount: 0 }, silent: false };
    this.records.set(name, record);
    this.run(record);
  }

  /** Aborts a running execution; resolves once it is ABORTED. A closed or unknown name is a no-op, as in AWS for a closed one. */
  async stopExecution(name: string, cause: string): Promise<void> {
    const record = this.records.get(name);
    if (!record?.execution || record.description.status !== 'RUNNING') return;
    record.execution.abort(cause);
    await record.execution.result;
  }

  /**
   * The console's "Redrive": runs a FAILED or ABORTED execution again with its input, from the
   * start; the idempotent steps make that AWS's resume-from-failure.
   */
  async redrive(name: string): Promise<void> {
    this.assertOpen();
    const record = this.records.get(name);
    if (!record) throw new ExecutionDoesNotExist(`Execution ${name} does not exist`);
    const redrivable = (): boolean => record.description.status === 'FAILED' || record.description.status === 'ABORTED';
    if (!redrivable()) throw new ExecutionNotRedrivable(`Execution ${name} is ${record.description.status}`);
    // The previous attempt's end event goes out before the redrive's RUNNING event.
    await record.settled;
    if (!redrivable()) throw new ExecutionNotRedrivable(`Execution ${name} is ${record.description.status}`);
    const redriveCount = record.description.redriveCount + 1;
    record.description = { executionName: name, status: 'RUNNING', input: record.description.input, redriveCount };
    this.notify(this.redriveListeners, { executionName: name, status: 'RUNNING', input: record.description.input, redriveCount });
    this.run(record);
  }

  /** As the EventBridge rule on "Step Functions Execution Status Change": SUCCEEDED, FAILED, ABORTED. */
  onExecutionEnd(listener: ExecutionListener<ExecutionEnded>): () => void {
    this.endListeners.add(listener);
    return () => this.endListeners.delete(listener);
  }

  /** The RUNNING event a redrive emits, with its redriveCount. */
  onExecutionRedriven(listener: ExecutionListener<ExecutionRedriven>): () => void {
    this.redriveListeners.add(listener);
    return () => this.redriveListeners.delete(listener);
  }

  /** Every top-level state entered and exited, of every execution (a per-phase timeline; not an AWS API). */
  onStateChange(listener: (change: StateChange) => void): () => void {
    return this.stateMachine.observeStates(listener);
  }

  describe(name: string): ExecutionDescription | undefined {
    const record = this.records.get(name);
    return record && { ...record.description };
  }

  /** The Orchestrator port's DescribeExecution. */
  async describeExecution(name: string): Promise<PortExecutionDescription | undefined> {
    const described = this.describe(name);
    if (!described) return undefined;
    return {
      status: described.status,
      redriveCount: described.redriveCount,
      ...(described.error === undefined ? {} : { error: described.error }),
      ...(described.cause === undefined ? {} : { cause: described.cause }),
    };
  }

  running(): string[] {
    return [...this.records.values()].filter((r) => r.description.status === 'RUNNING').map((r) => r.description.executionName);
  }

  /** Resolves when no execution runs and every status listener has run. */
  async idle(): Promise<void> {
    for (;;) {
      const pending = [...this.records.values()].filter((r) => r.description.status === 'RUNNING').map((r) => r.settled);
      const notifications = this.notifications;
      await Promise.all([...pending, notifications]);
      if (this.running().length === 0 && notifications === this.notifications) return;
    }
  }

  /**
   * Aborts every running execution without reporting it (the run stays RUNNING in the store, so
   * the next start-up resumes it) and refuses new ones.
   */
  async shutdown(): Promise<void> {
    this.shutDown = true;
    const running = [...this.records.values()].filter((r) => r.description.status === 'RUNNING');
    for (const record of running) {
      record.silent = true;
      record.execution?.abort('local runtime shut down');
    }
    await Promise.all(running.map((r) => r.settled));
    await this.notifications;
  }

  private run(record: ExecutionRecord): void {
    const { executionName, input, redriveCount } = record.description;
    const execution = this.stateMachine.start(executionName, input, { redriveCount });
    record.execution = execution;
    record.settled = execution.result.then(async (outcome) => {
      record.description = {
        executionName,
        status: outcome.status,
        input,
        redriveCount,
        ...(outcome.error === undefined ? {} : { error: outcome.error }),
        ...(outcome.cause === undefined ? {} : { cause: outcome.cause }),
      };
      if (record.silent) return;
      await this.notify(this.endListeners, { ...record.description, status: outcome.status, ...(outcome.output === undefined ? {} : { output: outcome.output }) });
    });
  }

  /** One event at a time, in the order they happened; a listener's error is logged and dropped, like an event whose target keeps failing. */
  private notify<E>(listeners: Set<ExecutionListener<E>>, event: E): Promise<void> {
    const delivered = this.notifications.then(async () => {
      for (const listener of [...listeners]) {
        try {
          await listener(event);
        } catch (error) {
          console.error('Execution status listener failed', error);
        }
      }
    });
    this.notifications = delivered;
    return delivered;
  }

  private assertOpen(): void {
    if (this.shutDown) throw new Error('The local orchestrator is shut down');
  }
}

/**
 * The Orchestrator port as SfnOrchestrator keeps it: the execution name is the idempotency key,
 * so a taken name is the execution asked for, and stopping one that does not exist is a no-op.
 */
export function idempotentOrchestrator(local: LocalOrchestrator): Orchestrator {
  return {
    startExecution: (name, input) =>
      local.startExecution(name, input).catch((error: unknown) => {
        if (!(error instanceof ExecutionAlreadyExists)) throw error;
      }),
    describeExecution: (name) => local.describeExecution(name),
    stopExecution: (name, cause) =>
      local.stopExecution(name, cause).catch((error: unknown) => {
        if (!(error instanceof ExecutionDoesNotExist)) throw error;
      }),
  };
}
