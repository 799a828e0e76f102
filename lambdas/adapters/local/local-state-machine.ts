import { randomBytes } from 'node:crypto';
import { setImmediate as afterPendingCallbacks } from 'node:timers/promises';
import { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError, StateMachine } from 'aws-local-stepfunctions';
import type { TaskCallbacks } from '../../ports/orchestrator';
import type { UsageMeter } from '../../ports/usage-meter';
import { AwsLimitExceeded, LimitMonitor, type InterpreterEvent, type LimitUsage, type StateShape } from './aws-limits';
import {
  definitionSubstitutions,
  HEARTBEAT_PARAMETER,
  isPlainObject,
  loadDefinition,
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  stateShapes,
  taskBindings,
  type StepName,
} from './local-asl-definition';
import type { LocalQueue } from './local-queue';

/**
 * Runs statemachines/schedule-run.asl.json, the file the CDK stack deploys, in process with
 * `aws-local-stepfunctions` 3, and bridges exactly the interpreter's gaps for this ASL: task
 * tokens, the Distributed Map's stop at the first failure, and heartbeats (local-asl-definition.ts
 * refuses a definition that would need more). It fails an execution on the quotas AWS fails it on
 * (aws-limits.ts: payload sizes, history length). Lambda Task states run the step function their
 * Resource names. It keeps no history: local-run-resumer.ts restarts the active runs.
 */

const STATE_MACHINE_NAME = 'local-schedule-run';
/** Stands in for `$$.Task.Token` in the context object (the interpreter fails on that path without one). */
const TOKEN_PLACEHOLDER = 'local-task-token-placeholder';

const validatedDefinitions = new Set<string>();

type JsonValue = Parameters<StateMachine['run']>[0];
type TaskOverride = (input: JsonValue) => Promise<JsonValue>;

/** The step handlers, by Task state name. Each receives the state's effective input (after Parameters). */
export interface StepFunctions {
  BeginRun(input: unknown): Promise<unknown>;
  BeginJob(input: unknown): Promise<unknown>;
  CollectWorkItems(input: unknown): Promise<unknown>;
  FinalizeJob(input: unknown): Promise<unknown>;
  CompleteRun(input: unknown): Promise<unknown>;
}

export interface LocalStateMachineOptions {
  /** statemachines/schedule-run.asl.json */
  definitionPath: string;
  steps: StepFunctions;
  /** Where the task-token Task sends its messages; its URL substitutes `${WorkQueueUrl}`. */
  workQueue: Pick<LocalQueue, 'url' | 'send'>;
  meter?: UsageMeter;
  /**
   * Milliseconds to wait in the named Wait states instead of their Timestamp (tests). Otherwise a
   * Wait really sleeps until the instant (Node caps one timer at about 24.8 days).
   */
  waitTimeOverrides?: Record<string, number>;
  /** Milliseconds between retries of the named states instead of their Retry intervals (tests). */
  retryIntervalOverrides?: Record<string, number | number[]>;
}

export type ExecutionStatus = 'SUCCEEDED' | 'FAILED' | 'ABORTED';

export interface ExecutionOutcome {
  status: ExecutionStatus;
  output?: unknown;
  error?: string;
  cause?: string;
  /** How close the execution came to the quotas aws-limits.ts enforces. */
  limits: LimitUsage;
}

export interface LocalExecution {
  readonly name: string;
  /** Settles when the execution ends; never rejects. */
  readonly result: Promise<ExecutionOutcome>;
  /** StopExecution: ends the execution as ABORTED, Wait states and task-token waits included. */
  abort(cause?: string): void;
}

/** A top-level state of an execution entered or exited (Map children's states are not reported). */
export interface StateChange {
  executionName: string;
  type: 'StateEntered' | 'StateExited';
  stateName: string;
  /** Epoch milliseconds of the interpreter's event. */
  at: number;
}

export interface StartOptions {
  /** `$$.Execution.RedriveCount`. @default 0 */
  redriveCount?: number;
}

/** What SendTaskSuccess / SendTaskFailure answer for a token that is not open (AWS's TaskTimedOut). */
export class TaskTimedOut extends Error {
  override readonly name = 'TaskTimedOut';
  constructor() {
    super('Task Timed Out: the task token is unknown, or its task has already been closed');
  }
}

interface ExecutionState {
  readonly name: string;
  /** The execution has ended or is being aborted: no Map child may start any more. */
  closed: boolean;
  /** A child of the running Map failed: the Map starts no further child until a Map is entered again. */
  mapFailed: boolean;
  /** Open tokens of this execution, by the message they were sent with (a retry supersedes). */
  readonly tokens: Map<string, string>;
  readonly limits: LimitMonitor;
  /** The quota the execution exceeded: it fails with this error, whatever the interpreter reports. */
  limitFailure?: AwsLimitExceeded;
  /** Stops the interpreter's execution (set once it runs). */
  abort(): void;
}

interface OpenToken {
  readonly execution: ExecutionState;
  readonly key: string;
  resolve(output: JsonValue): void;
  reject(error: Error): void;
  /** Restarts the heartbeat clock (no-op without HeartbeatSeconds). */
  beat(): void;
  /** Stops the heartbeat clock. */
  stop(): void;
}

export class LocalStateMachine {
  private readonly machine: StateMachine;
  /** Task state name → the step function its Resource names (a state may reuse another's function). */
  private readonly stepStates: Map<string, StepName>;
  private readonly sendAndWaitStates: string[];
  private readonly shapes: Map<string, StateShape>;
  private readonly openTokens = new Map<string, OpenToken>();
  private readonly executions = new Map<string, ExecutionState>();
  private readonly stateListeners = new Set<(change: StateChange) => void>();

  /**
   * The worker settles its batch's token here. A token that is unknown, settled, superseded by a
   * retry, or whose Map or execution ended is closed: all three answer TaskTimedOut, as AWS does.
   */
  readonly callbacks: TaskCallbacks = {
    sendTaskSuccess: async (taskToken, output) => {
      this.takeToken(taskToken).resolve(toJson(output));
    },
    sendTaskFailure: async (taskToken, error, cause) => {
      this.takeToken(taskToken).reject(namedError(error || 'States.TaskFailed', cause));
    },
    sendTaskHeartbeat: async (taskToken) => {
      const open = this.openTokens.get(taskToken);
      if (!open) throw new TaskTimedOut();
      open.beat();
    },
  };

  constructor(private readonly options: LocalStateMachineOptions) {
    const definition = loadDefinition(options.definitionPath, definitionSubstitutions(options.workQueue.url));
    // asl-validator takes about 0.4 s per definition: validate each one once per process.
    const fingerprint = JSON.stringify(definition);
    this.machine = new StateMachine(definition, validatedDefinitions.has(fingerprint) ? { validationOptions: { noValidate: true } } : {});
    validatedDefinitions.add(fingerprint);
    const bindings = taskBindings(definition);
    this.stepStates = bindings.steps;
    this.sendAndWaitStates = bindings.sendAndWait;
    this.shapes = stateShapes(definition);
  }

  /** StartExecution. The name is `$$.Execution.Name`; names must be unique among running executions. */
  start(name: string, input: unknown, options: StartOptions = {}): LocalExecution {
    if (this.executions.has(name)) throw new Error(`Execution ${name} is already running`);
    const state: ExecutionState = { name, closed: false, mapFailed: false, tokens: new Map(), limits: new LimitMonitor(this.shapes), abort: () => undefined };
    this.executions.set(name, state);
    const startTime = new Date().toISOString();
    const execution = this.machine.run(toJson(input), {
      overrides: {
        taskResourceLocalHandlers: this.overridesFor(state),
        waitTimeOverrides: this.options.waitTimeOverrides,
        retryIntervalOverrides: this.options.retryIntervalOverrides,
      },
      context: {
        Execution: {
          Id: `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${STATE_MACHINE_NAME}:${name}`,
          Name: name,
          Input: toJson(input),
          StartTime: startTime,
          RedriveCount: options.redriveCount ?? 0,
        },
        StateMachine: { Id: `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${STATE_MACHINE_NAME}`, Name: STATE_MACHINE_NAME },
        Task: { Token: TOKEN_PLACEHOLDER },
      },
    });
    state.abort = () => execution.abort();
    let abortCause: string | undefined;
    const eventsRead = this.readEvents(state, execution.eventLogs);
    const result = execution.result
      .then((output): Omit<ExecutionOutcome, 'limits'> => ({ status: 'SUCCEEDED', output }))
      .catch((error: unknown) => outcomeOf(error, abortCause))
      .then(async (outcome): Promise<ExecutionOutcome> => {
        this.close(state);
        this.executions.delete(name);
        await eventsRead;
        const limits = state.limits.snapshot();
        const failure = state.limitFailure;
        return failure ? { status: 'FAILED', error: failure.name, cause: failure.message, limits } : { ...outcome, limits };
      });
    return {
      name,
      result,
      abort: (cause?: string) => {
        if (state.closed) return;
        abortCause = cause;
        this.close(state);
        execution.abort();
      },
    };
  }

  /** Reports every top-level state entered and exited (the bench's per-phase timeline); returns the unsubscribe. */
  observeStates(listener: (change: StateChange) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Names of the executions that have not ended. */
  running(): string[] {
    return [...this.executions.keys()];
  }

  private overridesFor(execution: ExecutionState): Record<string, TaskOverride> {
    const overrides: Record<string, TaskOverride> = {};
    for (const [name, step] of this.stepStates) overrides[name] = this.invokeStep(name, step, execution);
    for (const name of this.sendAndWaitStates) overrides[name] = (input) => this.sendMessageAndWait(name, input, execution);
    return overrides;
  }

  /**
   * A Lambda Task: the step function, metered as AWS bills it (one invocation, its milliseconds).
   * Unlike AWS, the interpreter times out a Task without TimeoutSeconds after 60 s.
   */
  private invokeStep(stateName: string, name: StepName, execution: ExecutionState): TaskOverride {
    return async (input) => {
      await this.refuseAfterLimit(execution);
      this.checkPayload(execution, input, `The input of Task ${stateName} after Parameters`);
      const meter = this.options.meter;
      meter?.count('lambdaInvocations');
      const started = performance.now();
      let output: JsonValue;
      try {
        output = toJson(await this.options.steps[name].call(this.options.steps, toJson(input)));
      } catch (error) {
        throw lambdaError(error);
      } finally {
        meter?.count('lambdaMillis', Math.ceil(performance.now() - started));
      }
      this.checkPayload(execution, output, `The result of Task ${stateName}`);
      return output;
    };
  }

  /**
   * The interpreter runs the next state in the same tick as it reports the previous state's
   * output: let the event log land first, so that nothing runs after a quota has failed the execution.
   */
  private async refuseAfterLimit(execution: ExecutionState): Promise<void> {
    await afterPendingCallbacks();
    if (execution.limitFailure) throw execution.limitFailure;
  }

  /** A Task's input after Parameters and its result count against the payload quota too. */
  private checkPayload(execution: ExecutionState, value: JsonValue, where: string): void {
    try {
      execution.limits.payload(value, where);
    } catch (error) {
      if (error instanceof AwsLimitExceeded) this.failOnLimit(execution, error);
      throw error;
    }
  }

  /** An exceeded quota is terminal: no Retry or Catch runs, the execution fails with it. */
  private failOnLimit(execution: ExecutionState, error: AwsLimitExceeded): void {
    if (execution.limitFailure) return;
    execution.limitFailure = error;
    this.close(execution);
    execution.abort();
  }

  /**
   * The Map child's `sqs:sendMessage.waitForTaskToken`, which the interpreter lacks: mints a token
   * per attempt, puts it where the definition put `$$.Task.Token`, sends the body to the local
   * queue and waits until `callbacks` settle the token.
   */
  private async sendMessageAndWait(stateName: string, input: JsonValue, execution: ExecutionState): Promise<JsonValue> {
    // AWS fails the Map Run at its first failure when nothing is tolerated; the interpreter would
    // go on starting queued children. Sibling failures, aborts and exceeded quotas reach
    // `execution` through promise chains and the event log; let them land before deciding
    // whether this child may still start.
    await this.refuseAfterLimit(execution);
    if (execution.closed || execution.mapFailed) throw namedError('States.Runtime', 'The Map has ended: child not started');
    this.checkPayload(execution, input, `The input of Task ${stateName} after Parameters`);
    const { QueueUrl, MessageBody, [HEARTBEAT_PARAMETER]: heartbeatSeconds } = input as { QueueUrl?: unknown; MessageBody?: JsonValue; [HEARTBEAT_PARAMETER]?: unknown };
    if (QueueUrl !== this.options.workQueue.url) throw namedError('SQS.QueueDoesNotExistException', `No local queue at ${String(QueueUrl)}`);
    // A retry of the Task (after a timeout) sends the identical message (batch numbers are unique
    // within a job) and closes the previous attempt's token; its message stays queued, as in SQS.
    const key = JSON.stringify(MessageBody);
    const superseded = execution.tokens.get(key);
    if (superseded) this.forget(superseded);
    const token = randomBytes(48).toString('base64url');
    const body = replaceDeep(MessageBody ?? null, TOKEN_PLACEHOLDER, token);
    if (heartbeatSeconds !== undefined && !(typeof heartbeatSeconds === 'number' && heartbeatSeconds > 0)) {
      throw namedError('States.Runtime', `HeartbeatSeconds must be a positive number, not ${JSON.stringify(heartbeatSeconds)}`);
    }
    const settled = new Promise<JsonValue>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const stop = (): void => clearTimeout(timer);
      // HeartbeatSeconds, which the interpreter ignores: counted from the sending, then from each heartbeat.
      const beat = (): void => {
        if (heartbeatSeconds === undefined) return;
        stop();
        timer = setTimeout(() => {
          this.forget(token);
          reject(namedError('States.HeartbeatTimeout', `No heartbeat for ${heartbeatSeconds} s`));
        }, heartbeatSeconds * 1000);
      };
      this.openTokens.set(token, { execution, key, resolve, reject, beat, stop });
      execution.tokens.set(key, token);
      beat();
    });
    try {
      await this.options.workQueue.send(typeof body === 'string' ? body : JSON.stringify(body));
    } catch (error) {
      this.forget(token);
      throw namedError('SQS.AmazonSQSException', error instanceof Error ? error.message : String(error));
    }
    const output = await settled;
    this.checkPayload(execution, output, `The output SendTaskSuccess gave Task ${stateName}`);
    return output;
  }

  private async readEvents(execution: ExecutionState, events: ReturnType<StateMachine['run']>['eventLogs']): Promise<void> {
    for await (const event of events) {
      const exceeded = execution.limitFailure ? undefined : execution.limits.observe(event as InterpreterEvent);
      if (exceeded) this.failOnLimit(execution, exceeded);
      // As AWS bills: one transition per state entered and per retry, Map children's included.
      if (event.type === 'StateEntered' || event.type === 'StateRetried') this.options.meter?.count('stateTransitions');
      if (event.type === 'StateEntered' && event.state.type === 'Map' && event.index === undefined) execution.mapFailed = false;
      if ((event.type === 'StateEntered' || event.type === 'StateExited') && event.index === undefined) {
        for (const listener of this.stateListeners) listener({ executionName: execution.name, type: event.type, stateName: event.state.name, at: event.timestamp });
      }
      if (event.type === 'MapIterationFailed') {
        execution.mapFailed = true;
        this.closeTokens(execution);
      }
    }
  }

  private takeToken(token: string): OpenToken {
    const open = this.openTokens.get(token);
    if (!open) throw new TaskTimedOut();
    this.forget(token);
    return open;
  }

  private forget(token: string): void {
    const open = this.openTokens.get(token);
    if (!open) return;
    open.stop();
    this.openTokens.delete(token);
    if (open.execution.tokens.get(open.key) === token) open.execution.tokens.delete(open.key);
  }

  private close(execution: ExecutionState): void {
    execution.closed = true;
    this.closeTokens(execution);
  }

  /** The interpreter has abandoned these waits (aborted children); a late callback gets TaskTimedOut. */
  private closeTokens(execution: ExecutionState): void {
    for (const token of [...execution.tokens.values()]) this.forget(token);
  }
}

function outcomeOf(error: unknown, abortCause: string | undefined): Omit<ExecutionOutcome, 'limits'> {
  if (error instanceof ExecutionAbortedError) return { status: 'ABORTED', ...(abortCause === undefined ? {} : { cause: abortCause }) };
  if (error instanceof ExecutionTimeoutError) return { status: 'FAILED', error: 'States.Timeout', cause: 'The execution timed out' };
  const failure = error instanceof ExecutionError && error.cause instanceof Error ? error.cause : error;
  if (failure instanceof Error) return { status: 'FAILED', error: failure.name, cause: failure.message };
  return { status: 'FAILED', error: 'States.Runtime', cause: String(failure) };
}

/** How a Lambda function's error reaches Step Functions: its name, and the runtime's JSON (no trace) as cause. */
function lambdaError(error: unknown): Error {
  const errorType = error instanceof Error ? error.name : 'Error';
  const errorMessage = error instanceof Error ? error.message : String(error);
  return namedError(errorType, JSON.stringify({ errorType, errorMessage }));
}

/** The interpreter matches Retry/Catch on `name` and reports `message` as the cause. */
function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** Payloads cross a process boundary in AWS: only JSON survives. */
function toJson(value: unknown): JsonValue {
  return JSON.parse(JSON.stringify(value ?? null)) as JsonValue;
}

function replaceDeep(value: JsonValue, from: string, to: string): JsonValue {
  if (value === from) return to;
  if (Array.isArray(value)) return value.map((item) => replaceDeep(item, from, to));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceDeep(v as JsonValue, from, to)])) as JsonValue;
  return value;
}
