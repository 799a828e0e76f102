import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setImmediate as afterPendingCallbacks } from 'node:timers/promises';
import { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { TaskCallbacks } from '../../ports/orchestrator';
import type { UsageMeter } from '../../ports/usage-meter';
import type { LocalQueue } from './local-queue';

/**
 * Runs statemachines/schedule-run.asl.json — the file the CDK stack deploys, with the same
 * definition substitutions — in process with `aws-local-stepfunctions` 3. Lambda Task states are
 * bound to in-process step functions by the function their Resource names (`overrides.taskResourceLocalHandlers`
 * takes state names, so every Task state invoking, say, CollectWorkItems gets that step).
 *
 * This module bridges exactly the interpreter's gaps for this ASL, and refuses a definition that
 * would need more:
 *
 * (a) Task tokens. The interpreter has no callback pattern and no SQS integration. The Map child
 *     Task on `arn:aws:states:::sqs:sendMessage.waitForTaskToken` is overridden: it mints a
 *     unique token per attempt, puts it where the definition put `$$.Task.Token` (the context
 *     object carries a placeholder token, without which the interpreter fails on that path),
 *     sends `JSON.stringify(MessageBody)` to the LocalQueue and waits until `callbacks`
 *     (the TaskCallbacks port) settles the token. `sendTaskFailure(token, error, cause)` fails
 *     the Task with that error name and cause, so the child and then the Map fail as in AWS.
 *     HeartbeatSeconds / HeartbeatSecondsPath (which the interpreter ignores) are honoured: a
 *     token that gets no `sendTaskHeartbeat` for that long, counted from the message's sending
 *     and then from each heartbeat, fails its Task with States.HeartbeatTimeout. The path is read
 *     from the state input as in AWS (the loader copies its value into a reserved Parameters
 *     field, which the override strips again).
 *     A token that is unknown, already settled, superseded by a retry of its Task (after
 *     a timeout; a retry is recognised by its identical message, which holds because batch
 *     numbers are unique within a job), or whose Map or execution has ended, is closed:
 *     SendTask* on it throws `TaskTimedOut`, as AWS does. Messages already in the queue stay
 *     there, as in SQS.
 * (b) Distributed Map. The interpreter runs the Map inline (p-limit over the items, MaxConcurrency
 *     honoured; MaxConcurrency 0 means 40 here, 10,000 in AWS). One fix: once a child failed,
 *     the Map starts no further child (AWS fails the Map Run at the first failure when nothing is
 *     tolerated; the interpreter would go on starting queued children after it gave up, and
 *     after an abort). The loader refuses TimeoutSecondsPath on a Task with Parameters: the
 *     interpreter would read it from the effective input, after Parameters, not the state input
 *     as AWS does. ItemReader, ItemBatcher, ToleratedFailure*, ResultWriter are
 *     ignored by the interpreter; this ASL does not use them (CollectWorkItems persists the
 *     batches and the Map iterates over their numbers), and the loader refuses them.
 * (c) Wait. A Wait with TimestampPath really sleeps until the instant (the interpreter does, and
 *     an abort ends the sleep); `waitTimeOverrides` shortens it for tests. Node timers cap one
 *     sleep at about 24.8 days, far beyond any exception window.
 * (d) No persistence. The interpreter keeps no history, so nothing resumes after a restart: the
 *     local runtime re-runs every execution the store says is PENDING or RUNNING from the start.
 *     Every step is idempotent (the run is claimed with a conditional write, Collect returns the
 *     stored batches, workers skip succeeded items, Finalize recomputes), so that equals a redrive.
 *
 * Usage, as AWS bills it: one 'stateTransitions' per state entered and per retry, Map children's
 * states included (from the execution's event log); one 'lambdaInvocations' and the measured
 * 'lambdaMillis' per step-function call. SQS requests are counted by the LocalQueue.
 *
 * A step function's error fails its Task with the error's name, and the cause is the JSON the
 * Lambda runtime reports (`{"errorType","errorMessage"}`, without the trace). Note that the
 * interpreter gives Task states without TimeoutSeconds a 60 s timeout; AWS applies only the
 * function's own timeout.
 */

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const STATE_MACHINE_NAME = 'local-schedule-run';
const SEND_MESSAGE_AND_WAIT = 'arn:aws:states:::sqs:sendMessage.waitForTaskToken';
/** Stands in for `$$.Task.Token` in the context object; replaced by a minted token per attempt. */
const TOKEN_PLACEHOLDER = 'local-task-token-placeholder';
/** Reserved Parameters field that carries a HeartbeatSeconds(Path) value past Parameters (bridge a). */
const HEARTBEAT_PARAMETER = 'localHeartbeatSeconds';

const validatedDefinitions = new Set<string>();

type JsonValue = Parameters<StateMachine['run']>[0];
type TaskOverride = (input: JsonValue) => Promise<JsonValue>;

export type StepName = 'BeginRun' | 'BeginJob' | 'CollectWorkItems' | 'FinalizeJob' | 'CompleteRun';

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
  /** Milliseconds to wait in the named Wait states instead of their Timestamp (tests). */
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
}

export interface LocalExecution {
  readonly name: string;
  /** Settles when the execution ends; never rejects. */
  readonly result: Promise<ExecutionOutcome>;
  /** StopExecution: ends the execution as ABORTED, Wait states and task-token waits included. */
  abort(cause?: string): void;
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

export function localFunctionArn(name: string): string {
  return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:local-${name}`;
}

/** The definition substitutions the CDK stack passes to `DefinitionBody.fromFile`, with local values. */
export function definitionSubstitutions(workQueueUrl: string): Record<string, string> {
  return {
    BeginRunFunctionArn: localFunctionArn('BeginRun'),
    BeginJobFunctionArn: localFunctionArn('BeginJob'),
    CollectWorkItemsFunctionArn: localFunctionArn('CollectWorkItems'),
    FinalizeJobFunctionArn: localFunctionArn('FinalizeJob'),
    CompleteRunFunctionArn: localFunctionArn('CompleteRun'),
    WorkQueueUrl: workQueueUrl,
  };
}

interface AslState {
  Type: string;
  Resource?: string;
  Parameters?: unknown;
  TimeoutSecondsPath?: string;
  HeartbeatSeconds?: number;
  HeartbeatSecondsPath?: string;
  ItemProcessor?: { States: Record<string, AslState> };
  Iterator?: { States: Record<string, AslState> };
  Branches?: { States: Record<string, AslState> }[];
  [field: string]: unknown;
}

const UNSUPPORTED_MAP_FIELDS = ['ItemReader', 'ItemBatcher', 'ToleratedFailureCount', 'ToleratedFailureCountPath', 'ToleratedFailurePercentage', 'ToleratedFailurePercentagePath', 'ResultWriter'];

/** Reads the ASL file, substitutes every `${Name}`, and carries HeartbeatSeconds(Path) into the task-token Task's input (bridge a). */
export function loadDefinition(path: string, substitutions: Record<string, string>): StateMachineDefinition {
  const missing = new Set<string>();
  const text = readFileSync(path, 'utf8').replace(/\$\{([A-Za-z0-9_]+)\}/g, (placeholder, name: string) => {
    const value = substitutions[name];
    if (value === undefined) missing.add(name);
    return value ?? placeholder;
  });
  if (missing.size > 0) throw new Error(`${path} uses substitutions the local runtime does not provide: ${[...missing].join(', ')}`);
  const definition = JSON.parse(text) as { States: Record<string, AslState> };
  forEachState(definition.States, (name, state) => {
    const unsupported = UNSUPPORTED_MAP_FIELDS.filter((field) => field in state);
    if (unsupported.length > 0) throw new Error(`State ${name}: ${unsupported.join(', ')} not supported by the local runtime`);
    if (state.Type !== 'Task') return;
    if (state.TimeoutSecondsPath !== undefined && state.Parameters !== undefined) throw new Error(`State ${name}: TimeoutSecondsPath with Parameters is not supported by the local runtime`);
    if (state.HeartbeatSeconds === undefined && state.HeartbeatSecondsPath === undefined) return;
    if (state.Resource !== SEND_MESSAGE_AND_WAIT || !isPlainObject(state.Parameters)) {
      throw new Error(`State ${name}: HeartbeatSeconds is bridged only on ${SEND_MESSAGE_AND_WAIT} with object Parameters`);
    }
    state.Parameters =
      state.HeartbeatSecondsPath === undefined
        ? { ...state.Parameters, [HEARTBEAT_PARAMETER]: state.HeartbeatSeconds }
        : { ...state.Parameters, [`${HEARTBEAT_PARAMETER}.$`]: state.HeartbeatSecondsPath };
  });
  return definition as unknown as StateMachineDefinition;
}

interface ExecutionState {
  readonly name: string;
  /** The execution has ended or is being aborted: no Map child may start any more. */
  closed: boolean;
  /** A child of the running Map failed: the Map starts no further child until a Map is entered again. */
  mapFailed: boolean;
  /** Open tokens of this execution, by the message they were sent with (a retry supersedes). */
  readonly tokens: Map<string, string>;
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
  private readonly stepStates = new Map<string, StepName>();
  private readonly sendAndWaitStates: string[] = [];
  private readonly openTokens = new Map<string, OpenToken>();
  private readonly executions = new Map<string, ExecutionState>();

  /**
   * The TaskCallbacks port of the local runtime: the worker settles its batch's token here, and
   * its heartbeats restart the token's heartbeat clock. All three answer TaskTimedOut for a
   * closed token, as AWS does.
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
    forEachState((definition as unknown as { States: Record<string, AslState> }).States, (name, state) => {
      if (state.Type !== 'Task') return;
      if (state.Resource === SEND_MESSAGE_AND_WAIT) {
        this.sendAndWaitStates.push(name);
      } else if (state.Resource?.startsWith('arn:aws:lambda:') && isStepName(stepOfResource(state.Resource))) {
        this.stepStates.set(name, stepOfResource(state.Resource) as StepName);
      } else {
        throw new Error(`Task state ${name} (${state.Resource}) has no local binding`);
      }
    });
  }

  /** StartExecution. The name is `$$.Execution.Name`; names must be unique among running executions. */
  start(name: string, input: unknown, options: StartOptions = {}): LocalExecution {
    if (this.executions.has(name)) throw new Error(`Execution ${name} is already running`);
    const state: ExecutionState = { name, closed: false, mapFailed: false, tokens: new Map() };
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
          Id: `arn:aws:states:${REGION}:${ACCOUNT}:execution:${STATE_MACHINE_NAME}:${name}`,
          Name: name,
          Input: toJson(input),
          StartTime: startTime,
          RedriveCount: options.redriveCount ?? 0,
        },
        StateMachine: { Id: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${STATE_MACHINE_NAME}`, Name: STATE_MACHINE_NAME },
        Task: { Token: TOKEN_PLACEHOLDER },
      },
    });
    let abortCause: string | undefined;
    const eventsRead = this.readEvents(state, execution.eventLogs);
    const result = execution.result
      .then((output): ExecutionOutcome => ({ status: 'SUCCEEDED', output }))
      .catch((error: unknown) => outcomeOf(error, abortCause))
      .then(async (outcome) => {
        this.close(state);
        this.executions.delete(name);
        await eventsRead;
        return outcome;
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

  /** Names of the executions that have not ended. */
  running(): string[] {
    return [...this.executions.keys()];
  }

  private overridesFor(execution: ExecutionState): Record<string, TaskOverride> {
    const overrides: Record<string, TaskOverride> = {};
    for (const [name, step] of this.stepStates) overrides[name] = this.invokeStep(step);
    for (const name of this.sendAndWaitStates) overrides[name] = (input) => this.sendMessageAndWait(input, execution);
    return overrides;
  }

  private invokeStep(name: StepName): TaskOverride {
    return async (input) => {
      const meter = this.options.meter;
      meter?.count('lambdaInvocations');
      const started = performance.now();
      try {
        return toJson(await this.options.steps[name].call(this.options.steps, toJson(input)));
      } catch (error) {
        throw lambdaError(error);
      } finally {
        meter?.count('lambdaMillis', Math.ceil(performance.now() - started));
      }
    };
  }

  private async sendMessageAndWait(input: JsonValue, execution: ExecutionState): Promise<JsonValue> {
    // Sibling failures and aborts reach `execution` through promise chains and the event log;
    // let them land before deciding whether this child may still start.
    await afterPendingCallbacks();
    if (execution.closed || execution.mapFailed) throw namedError('States.Runtime', 'The Map has ended: child not started');
    const { QueueUrl, MessageBody, [HEARTBEAT_PARAMETER]: heartbeatSeconds } = input as { QueueUrl?: unknown; MessageBody?: JsonValue; [HEARTBEAT_PARAMETER]?: unknown };
    if (QueueUrl !== this.options.workQueue.url) throw namedError('SQS.QueueDoesNotExistException', `No local queue at ${String(QueueUrl)}`);
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
    return settled;
  }

  private async readEvents(execution: ExecutionState, events: ReturnType<StateMachine['run']>['eventLogs']): Promise<void> {
    for await (const event of events) {
      if (event.type === 'StateEntered' || event.type === 'StateRetried') this.options.meter?.count('stateTransitions');
      if (event.type === 'StateEntered' && event.state.type === 'Map' && event.index === undefined) execution.mapFailed = false;
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

function outcomeOf(error: unknown, abortCause: string | undefined): ExecutionOutcome {
  if (error instanceof ExecutionAbortedError) return { status: 'ABORTED', ...(abortCause === undefined ? {} : { cause: abortCause }) };
  if (error instanceof ExecutionTimeoutError) return { status: 'FAILED', error: 'States.Timeout', cause: 'The execution timed out' };
  const failure = error instanceof ExecutionError && error.cause instanceof Error ? error.cause : error;
  if (failure instanceof Error) return { status: 'FAILED', error: failure.name, cause: failure.message };
  return { status: 'FAILED', error: 'States.Runtime', cause: String(failure) };
}

/** How a Lambda function's error reaches Step Functions: its name, and the runtime's JSON as cause. */
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

/** `arn:aws:lambda:…:function:local-CollectWorkItems` → `CollectWorkItems` (see localFunctionArn). */
function stepOfResource(resource: string): string {
  return resource.slice(resource.lastIndexOf(':function:local-') + ':function:local-'.length);
}

function isStepName(name: string): name is StepName {
  return ['BeginRun', 'BeginJob', 'CollectWorkItems', 'FinalizeJob', 'CompleteRun'].includes(name);
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

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function forEachState(states: Record<string, AslState>, visit: (name: string, state: AslState) => void): void {
  for (const [name, state] of Object.entries(states)) {
    visit(name, state);
    const processor = state.ItemProcessor ?? state.Iterator;
    if (processor) forEachState(processor.States, visit);
    for (const branch of state.Branches ?? []) forEachState(branch.States, visit);
  }
}
