/**
 * The Step Functions quotas a Standard execution fails on, enforced over the local interpreter's
 * event log (local-state-machine.ts), so that what would fail on AWS fails here too:
 * - 256 KiB (UTF-8 bytes of the JSON) for every state's input and output, a Task's input after
 *   Parameters and its result, and a Distributed Map's aggregated result: States.DataLimitExceeded,
 *   a terminal error that neither Retry nor Catch (not even States.ALL) handles.
 * - 25,000 events in one execution's history: the execution fails. AWS documents the quota but
 *   not the error it reports; this reports States.Runtime (docs/cost-and-scaling.md, "Limits").
 */

export const PAYLOAD_LIMIT_BYTES = 262_144;
export const HISTORY_EVENT_LIMIT = 25_000;

export const DATA_LIMIT_EXCEEDED = 'States.DataLimitExceeded';
export const HISTORY_LIMIT_ERROR = 'States.Runtime';

export function payloadBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value ?? null), 'utf8');
}

/** A quota AWS fails the execution on, or a case the interpreter would run unlike AWS; `name` is the error the execution fails with. */
export class AwsLimitExceeded extends Error {
  constructor(
    override readonly name: string,
    message: string,
  ) {
    super(message);
  }
}

/** Throws States.DataLimitExceeded when `value` is over 256 KiB; `what` names the payload. */
export function checkPayload(value: unknown, what: string): number {
  const bytes = payloadBytes(value);
  if (bytes > PAYLOAD_LIMIT_BYTES) throw dataLimitExceeded(what, bytes);
  return bytes;
}

function dataLimitExceeded(what: string, bytes: number): AwsLimitExceeded {
  return new AwsLimitExceeded(DATA_LIMIT_EXCEEDED, `${what} is ${bytes} bytes, over the ${PAYLOAD_LIMIT_BYTES}-byte payload quota`);
}

/** What a definition's state is, as far as the history and the limits need it. */
export interface StateShape {
  type: string;
  /** A Task that waits for a task token records TaskSubmitted too. */
  waitsForToken: boolean;
  /** A DISTRIBUTED Map runs its children as child executions, with histories of their own. */
  distributed: boolean;
  /** A Map's MaxConcurrencyPath as field names (`$.run.maxConcurrency` → run, maxConcurrency). */
  maxConcurrencyPath?: string[];
}

/** The largest figure measured and where it was, so that a test can print its margin. */
export interface Peak {
  value: number;
  where: string;
}

/** How close an execution came to each quota. */
export interface LimitUsage {
  /** Events in the execution's own history. */
  historyEvents: number;
  /** The longest history of one Distributed Map child execution. */
  childHistoryEvents: Peak;
  /** The largest state input or output, Task input after Parameters or Task result, Map children's included. */
  largestPayload: Peak;
  /** The largest aggregated result of a Distributed Map. */
  largestMapResult: Peak;
  /** The most Map children in flight at once. */
  mapChildrenInFlight: Peak;
}

/** The interpreter's events this module reads (aws-local-stepfunctions 3). */
export type InterpreterEvent =
  | { type: 'ExecutionStarted' | 'ExecutionSucceeded' | 'ExecutionFailed' | 'ExecutionAborted' | 'ExecutionTimeout' }
  | { type: 'StateEntered' | 'StateExited' | 'StateFailed' | 'StateRetried' | 'StateCaught'; index?: number; state: { name: string; type: string; input?: unknown; output?: unknown } }
  | { type: 'MapIterationStarted' | 'MapIterationFailed'; index: number; parentState: { name: string } }
  | { type: 'MapIterationSucceeded'; index: number; output?: unknown; parentState: { name: string } }
  | { type: string };

interface OpenMap {
  name: string;
  distributed: boolean;
  started: number;
  finished: number;
  inFlight: number;
  /** Bytes of the aggregated result: `[` `]`, the children's outputs and the commas between them. */
  resultBytes: number;
  /** The Map state has exited; its result is checked once every child's outcome has arrived. */
  exited: boolean;
}

/**
 * Counts a Standard execution's history as AWS records it, from the interpreter's events, and
 * measures every payload. Per state: a Task records TaskStateEntered, TaskScheduled, TaskStarted
 * (and TaskSubmitted when it waits for a token), then TaskSucceeded and TaskStateExited; each retry
 * adds TaskFailed (or TaskTimedOut) and the next TaskScheduled and TaskStarted (and TaskSubmitted).
 * Choice, Wait, Pass and Succeed record Entered and Exited; Fail records FailStateEntered. A Map
 * records MapStateEntered, MapStateStarted, MapStateSucceeded and MapStateExited; an inline Map
 * adds MapIterationStarted and MapIterationSucceeded per child around the child's own events,
 * while a Distributed Map adds MapRunStarted and MapRunSucceeded and runs each child as a child
 * execution, whose events count in that child's history, not the parent's.
 * Only one Map runs at a time (the interpreter's nested events name no Map); the ASL's Maps are
 * sequential states.
 */
export class LimitMonitor {
  private history = 0;
  private readonly childHistories = new Map<number, number>();
  private openMap: OpenMap | undefined;
  private readonly usage: Omit<LimitUsage, 'historyEvents'> = {
    childHistoryEvents: { value: 0, where: '' },
    largestPayload: { value: 0, where: '' },
    largestMapResult: { value: 0, where: '' },
    mapChildrenInFlight: { value: 0, where: '' },
  };

  constructor(private readonly states: ReadonlyMap<string, StateShape>) {}

  snapshot(): LimitUsage {
    return { historyEvents: this.history, ...structuredClone(this.usage) };
  }

  /** Records a payload a Task override saw (its input after Parameters, its result); throws over the quota. */
  payload(value: unknown, what: string): void {
    this.measure(checkPayload(value, what), what.replace(/^The /, ''));
  }

  /** Reads one event; returns the quota it exceeds, if any (the caller fails the execution). */
  observe(event: InterpreterEvent): AwsLimitExceeded | undefined {
    try {
      this.read(event);
    } catch (error) {
      if (error instanceof AwsLimitExceeded) return error;
      throw error;
    }
    if (this.history > HISTORY_EVENT_LIMIT) {
      return new AwsLimitExceeded(HISTORY_LIMIT_ERROR, `The execution reached the maximum number of history events (${HISTORY_EVENT_LIMIT})`);
    }
    return undefined;
  }

  private read(event: InterpreterEvent): void {
    switch (event.type) {
      case 'ExecutionStarted':
      case 'ExecutionSucceeded':
      case 'ExecutionFailed':
      case 'ExecutionAborted':
      case 'ExecutionTimeout':
        this.history += 1;
        return;
      case 'MapIterationStarted':
        return this.childStarted(event as { index: number; parentState: { name: string } });
      case 'MapIterationSucceeded':
      case 'MapIterationFailed':
        return this.childEnded(event as { type: string; index: number; output?: unknown; parentState: { name: string } });
      case 'StateEntered':
      case 'StateExited':
      case 'StateFailed':
      case 'StateRetried':
      case 'StateCaught':
        return this.stateEvent(event as { type: string; index?: number; state: { name: string; type: string; input?: unknown; output?: unknown } });
      default:
        return;
    }
  }

  private stateEvent(event: { type: string; index?: number; state: { name: string; type: string; input?: unknown; output?: unknown } }): void {
    const { state } = event;
    const shape = this.states.get(state.name) ?? { type: state.type, waitsForToken: false, distributed: false };
    const inChild = event.index !== undefined;
    const where = inChild ? `${state.name} (Map child ${event.index})` : state.name;
    if (event.type === 'StateEntered') this.measure(checkPayload(state.input, `The input of state ${where}`), `input of ${where}`);
    if (event.type === 'StateExited') this.measure(checkPayload(state.output, `The output of state ${where}`), `output of ${where}`);
    const events = historyEventsOf(event.type, shape);
    if (inChild && this.openMap?.distributed) {
      const count = (this.childHistories.get(event.index!) ?? 0) + events;
      this.childHistories.set(event.index!, count);
      this.peak('childHistoryEvents', count, where);
      return;
    }
    this.history += events;
    if (state.type !== 'Map' || inChild) return;
    if (event.type === 'StateEntered') {
      if (shape.distributed) refuseUnboundedConcurrency(state.name, state.input, shape.maxConcurrencyPath);
      this.openMap = { name: state.name, distributed: shape.distributed, started: 0, finished: 0, inFlight: 0, resultBytes: 2, exited: false };
      this.childHistories.clear();
    } else if (event.type === 'StateExited' && this.openMap) {
      this.openMap.exited = true;
      this.checkMapResult(this.openMap);
    }
  }

  private childStarted(event: { index: number; parentState: { name: string } }): void {
    const map = this.openMap;
    if (!map) return;
    map.started += 1;
    map.inFlight += 1;
    this.peak('mapChildrenInFlight', map.inFlight, map.name);
    // ExecutionStarted of the child execution, or MapIterationStarted in the parent's history.
    if (map.distributed) this.childHistories.set(event.index, 1);
    else this.history += 1;
  }

  private childEnded(event: { type: string; index: number; output?: unknown; parentState: { name: string } }): void {
    const map = this.openMap;
    if (!map) return;
    map.finished += 1;
    map.inFlight -= 1;
    if (map.distributed) {
      const count = (this.childHistories.get(event.index) ?? 0) + 1;
      this.peak('childHistoryEvents', count, `${map.name} child ${event.index}`);
      this.childHistories.delete(event.index);
    } else {
      this.history += 1;
    }
    if (event.type === 'MapIterationSucceeded') map.resultBytes += payloadBytes(event.output) + (map.finished > 1 ? 1 : 0);
    this.checkMapResult(map);
  }

  /**
   * A Distributed Map's result is the array of its children's outputs, limited to 256 KiB even
   * when ResultSelector or ResultPath drop it; AWS fails the Map once its children are done. The
   * interpreter may report the Map's exit before the last child's outcome: wait for every child.
   */
  private checkMapResult(map: OpenMap): void {
    if (!map.exited || map.finished < map.started) return;
    this.peak('largestMapResult', map.resultBytes, map.name);
    if (map.distributed && map.resultBytes > PAYLOAD_LIMIT_BYTES) throw dataLimitExceeded(`The aggregated result of Map ${map.name}`, map.resultBytes);
  }

  private measure(bytes: number, where: string): void {
    this.peak('largestPayload', bytes, where);
  }

  private peak(key: keyof Omit<LimitUsage, 'historyEvents'>, value: number, where: string): void {
    if (value > this.usage[key].value) this.usage[key] = { value, where };
  }
}

/** MaxConcurrency 0 from the data: up to 10,000 children on AWS, 40 in the interpreter (local-asl-definition.ts). */
function refuseUnboundedConcurrency(name: string, input: unknown, path: string[] | undefined): void {
  if (!path) return;
  let value: unknown = input;
  for (const field of path) value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[field] : undefined;
  if (value === 0) throw new AwsLimitExceeded('States.Runtime', `Map ${name}: MaxConcurrency 0 (up to 10,000 children on AWS) is not reproduced by the local runtime`);
}

/** The history events AWS records for one of the interpreter's state events. */
function historyEventsOf(eventType: string, shape: StateShape): number {
  const submitted = shape.waitsForToken ? 1 : 0;
  switch (shape.type) {
    case 'Task':
      if (eventType === 'StateEntered') return 3 + submitted;
      if (eventType === 'StateExited') return 2;
      // TaskFailed or TaskTimedOut, then the next attempt's TaskScheduled, TaskStarted (TaskSubmitted).
      if (eventType === 'StateRetried') return 3 + submitted;
      return 1;
    case 'Map':
      if (eventType === 'StateEntered') return shape.distributed ? 3 : 2;
      if (eventType === 'StateExited') return shape.distributed ? 3 : 2;
      if (eventType === 'StateFailed') return shape.distributed ? 2 : 1;
      return 1;
    case 'Fail':
      return eventType === 'StateEntered' ? 1 : 0;
    case 'Parallel':
      // ParallelStateEntered, ParallelStateStarted … ParallelStateSucceeded, ParallelStateExited.
      return eventType === 'StateEntered' || eventType === 'StateExited' ? 2 : 1;
    default:
      // Choice, Wait, Pass, Succeed: Entered and Exited.
      return eventType === 'StateEntered' || eventType === 'StateExited' ? 1 : 0;
  }
}
