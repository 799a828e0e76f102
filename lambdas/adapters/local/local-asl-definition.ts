import { readFileSync } from 'node:fs';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import type { StateShape } from './aws-limits';

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';
export const SEND_MESSAGE_AND_WAIT = 'arn:aws:states:::sqs:sendMessage.waitForTaskToken';
/** Reserved Parameters field that carries a HeartbeatSeconds(Path) value past Parameters. */
export const HEARTBEAT_PARAMETER = 'localHeartbeatSeconds';

export type StepName = 'BeginRun' | 'BeginJob' | 'CollectWorkItems' | 'FinalizeJob' | 'CompleteRun';
const STEP_NAMES: readonly string[] = ['BeginRun', 'BeginJob', 'CollectWorkItems', 'FinalizeJob', 'CompleteRun'] satisfies StepName[];

interface AslState {
  Type: string;
  Resource?: string;
  Parameters?: unknown;
  TimeoutSecondsPath?: string;
  HeartbeatSeconds?: number;
  HeartbeatSecondsPath?: string;
  TimeoutSeconds?: number;
  MaxConcurrency?: number;
  MaxConcurrencyPath?: string;
  ItemProcessor?: { ProcessorConfig?: { Mode?: string }; States: Record<string, AslState> };
  Iterator?: { States: Record<string, AslState> };
  Branches?: { States: Record<string, AslState> }[];
  [field: string]: unknown;
}

// The interpreter ignores these Map fields; this ASL needs none (CollectWorkItems stores the
// batches and the Map iterates over their numbers), so a definition that uses one is refused.
const UNSUPPORTED_MAP_FIELDS = ['ItemReader', 'ItemBatcher', 'ToleratedFailureCount', 'ToleratedFailureCountPath', 'ToleratedFailurePercentage', 'ToleratedFailurePercentagePath', 'ResultWriter'];

/**
 * A Task without TimeoutSeconds waits as long as its work takes on AWS (99,999,999 s); the
 * interpreter would time it out after 60 s. The longest a Node timer holds stands in (24.8 days).
 */
export const UNBOUNDED_TASK_TIMEOUT_SECONDS = Math.floor(2_147_483_647 / 1000);

/** A MaxConcurrencyPath the local runtime reads itself: `$.field.field`. */
const SIMPLE_PATH = /^\$(\.[A-Za-z_][A-Za-z0-9_]*)+$/;

export function localFunctionArn(name: string): string {
  return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:local-${name}`;
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

/** Reads the ASL file, substitutes every `${Name}`, and refuses what the local bridge cannot run as AWS does. */
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
    if (isDistributedMap(state)) refuseUnboundedConcurrency(name, state);
    if (state.Type !== 'Task') return;
    if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) state.TimeoutSeconds = UNBOUNDED_TASK_TIMEOUT_SECONDS;
    // The interpreter would read the path from the effective input (after Parameters), AWS from the state input.
    if (state.TimeoutSecondsPath !== undefined && state.Parameters !== undefined) throw new Error(`State ${name}: TimeoutSecondsPath with Parameters is not supported by the local runtime`);
    if (state.HeartbeatSeconds === undefined && state.HeartbeatSecondsPath === undefined) return;
    if (state.Resource !== SEND_MESSAGE_AND_WAIT || !isPlainObject(state.Parameters)) {
      throw new Error(`State ${name}: HeartbeatSeconds is bridged only on ${SEND_MESSAGE_AND_WAIT} with object Parameters`);
    }
    // The interpreter ignores heartbeats: carry the value (a path is read from the state input, as
    // in AWS) into the Task's input, where the task-token override takes it out again.
    state.Parameters =
      state.HeartbeatSecondsPath === undefined
        ? { ...state.Parameters, [HEARTBEAT_PARAMETER]: state.HeartbeatSeconds }
        : { ...state.Parameters, [`${HEARTBEAT_PARAMETER}.$`]: state.HeartbeatSecondsPath };
  });
  return definition as unknown as StateMachineDefinition;
}

/** The Task states by binding: the step function a Lambda Resource names, or the task-token send. */
export function taskBindings(definition: StateMachineDefinition): { steps: Map<string, StepName>; sendAndWait: string[] } {
  const steps = new Map<string, StepName>();
  const sendAndWait: string[] = [];
  forEachState((definition as unknown as { States: Record<string, AslState> }).States, (name, state) => {
    if (state.Type !== 'Task') return;
    const step = state.Resource?.startsWith('arn:aws:lambda:') ? stepOfResource(state.Resource) : undefined;
    if (state.Resource === SEND_MESSAGE_AND_WAIT) sendAndWait.push(name);
    else if (step !== undefined && isStepName(step)) steps.set(name, step);
    else throw new Error(`Task state ${name} (${state.Resource}) has no local binding`);
  });
  return { steps, sendAndWait };
}

/** Each state by name, with what the history count and the limits need (state names are unique in a definition). */
export function stateShapes(definition: StateMachineDefinition): Map<string, StateShape> {
  const shapes = new Map<string, StateShape>();
  forEachState((definition as unknown as { States: Record<string, AslState> }).States, (name, state) => {
    shapes.set(name, {
      type: state.Type,
      waitsForToken: state.Type === 'Task' && (state.Resource ?? '').endsWith('.waitForTaskToken'),
      distributed: isDistributedMap(state),
      ...(state.MaxConcurrencyPath === undefined ? {} : { maxConcurrencyPath: state.MaxConcurrencyPath.split('.').slice(1) }),
    });
  });
  return shapes;
}

function isDistributedMap(state: AslState): boolean {
  return state.Type === 'Map' && state.ItemProcessor?.ProcessorConfig?.Mode === 'DISTRIBUTED';
}

/**
 * MaxConcurrency 0 (or none) lets a Distributed Map run up to 10,000 children at once on AWS; the
 * interpreter would run 40. A definition must bound it, and a path the runtime can read so that a
 * 0 found there at run time is refused too (local-state-machine.ts).
 */
function refuseUnboundedConcurrency(name: string, state: AslState): void {
  if (state.MaxConcurrencyPath !== undefined) {
    if (!SIMPLE_PATH.test(state.MaxConcurrencyPath)) throw new Error(`State ${name}: MaxConcurrencyPath ${state.MaxConcurrencyPath} is not a plain $.field path the local runtime can check`);
    return;
  }
  if (!state.MaxConcurrency) throw new Error(`State ${name}: a Distributed Map without MaxConcurrency runs up to 10,000 children on AWS and 40 locally; set MaxConcurrency`);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `arn:aws:lambda:…:function:local-CollectWorkItems` → `CollectWorkItems` (see localFunctionArn). */
function stepOfResource(resource: string): string {
  return resource.slice(resource.lastIndexOf(':function:local-') + ':function:local-'.length);
}

function isStepName(name: string): name is StepName {
  return STEP_NAMES.includes(name);
}

function forEachState(states: Record<string, AslState>, visit: (name: string, state: AslState) => void): void {
  for (const [name, state] of Object.entries(states)) {
    visit(name, state);
    const processor = state.ItemProcessor ?? state.Iterator;
    if (processor) forEachState(processor.States, visit);
    for (const branch of state.Branches ?? []) forEachState(branch.States, visit);
  }
}
