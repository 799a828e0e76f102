import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { HISTORY_EVENT_LIMIT, PAYLOAD_LIMIT_BYTES } from '../../lambdas/adapters/local/aws-limits';
import { definitionSubstitutions, loadDefinition, UNBOUNDED_TASK_TIMEOUT_SECONDS } from '../../lambdas/adapters/local/local-asl-definition';
import { LocalQueue } from '../../lambdas/adapters/local/local-queue';
import { LocalStateMachine, type StepFunctions } from '../../lambdas/adapters/local/local-state-machine';
import { sleep } from '../local/support';

/**
 * Each quota the local state machine enforces (lambdas/adapters/local/aws-limits.ts), shown
 * firing on a deliberately oversized case, next to a case just inside it. Small definitions bind
 * their Task states to the step functions by the substitutions the real ASL uses.
 */

const realAsl = fileURLToPath(new URL('../../statemachines/schedule-run.asl.json', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'limits-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let definitions = 0;
function definitionFile(definition: unknown): string {
  const path = join(scratch, `definition-${definitions++}.asl.json`);
  writeFileSync(path, JSON.stringify(definition));
  return path;
}

/** Every step answers {} unless replaced; `calls` counts the invocations of each. */
function recordingSteps(overrides: Partial<StepFunctions> = {}): { steps: StepFunctions; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const counted = (name: keyof StepFunctions) => async (input: unknown) => {
    calls[name] = (calls[name] ?? 0) + 1;
    return overrides[name] ? overrides[name](input) : {};
  };
  return {
    calls,
    steps: { BeginRun: counted('BeginRun'), BeginJob: counted('BeginJob'), CollectWorkItems: counted('CollectWorkItems'), FinalizeJob: counted('FinalizeJob'), CompleteRun: counted('CompleteRun') },
  };
}

function machine(definitionPath: string, steps: StepFunctions, queue = new LocalQueue({ name: 'work' })): LocalStateMachine {
  return new LocalStateMachine({ definitionPath, steps, workQueue: queue, retryIntervalOverrides: {} });
}

const task = (step: keyof StepFunctions, fields: Record<string, unknown>) => ({ Type: 'Task', Resource: `\${${step}FunctionArn}`, ...fields });
const text = (bytes: number) => 'x'.repeat(bytes);

describe('256 KiB payloads (States.DataLimitExceeded)', () => {
  it('fails a state whose output grows past 256 KiB although each Task result fits, and runs nothing after it', async () => {
    const path = definitionFile({
      StartAt: 'First',
      States: {
        First: task('BeginRun', { ResultPath: '$.first', Next: 'Second' }),
        Second: task('BeginJob', { ResultPath: '$.second', Next: 'Last' }),
        Last: task('CompleteRun', { End: true }),
      },
    });
    const { steps, calls } = recordingSteps({ BeginRun: async () => text(150_000), BeginJob: async () => text(150_000) });

    const outcome = await machine(path, steps).start('big-output', {}).result;

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded', cause: expect.stringMatching(/^The output of state Second is 3000\d\d bytes/) });
    expect(calls).toEqual({ BeginRun: 1, BeginJob: 1 });
  });

  it('fails a Task whose result is over 256 KiB, with no retry even for States.ALL, and accepts one of exactly 256 KiB', async () => {
    const retried = { Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 3 }] };
    const path = definitionFile({ StartAt: 'Step', States: { Step: task('BeginRun', { ...retried, ResultPath: null, End: true }) } });
    // A JSON string of n characters is n + 2 bytes.
    const tooBig = recordingSteps({ BeginRun: async () => text(PAYLOAD_LIMIT_BYTES - 1) });
    const justFits = recordingSteps({ BeginRun: async () => text(PAYLOAD_LIMIT_BYTES - 2) });

    const failed = await machine(path, tooBig.steps).start('too-big', {}).result;
    const passed = await machine(path, justFits.steps).start('just-fits', {}).result;

    expect(failed).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded', cause: `The result of Task Step is ${PAYLOAD_LIMIT_BYTES + 1} bytes, over the ${PAYLOAD_LIMIT_BYTES}-byte payload quota` });
    expect(tooBig.calls.BeginRun).toBe(1);
    expect(passed.status).toBe('SUCCEEDED');
    expect(passed.limits.largestPayload).toEqual({ value: PAYLOAD_LIMIT_BYTES, where: 'result of Task Step' });
  });

  it('fails a Task whose input after Parameters is over 256 KiB before it runs', async () => {
    const path = definitionFile({
      StartAt: 'Step',
      States: { Step: task('BeginRun', { Parameters: { 'twice.$': 'States.Array($.half, $.half)' }, End: true }) },
    });
    const { steps, calls } = recordingSteps();

    const outcome = await machine(path, steps).start('big-parameters', { half: text(140_000) }).result;

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded', cause: expect.stringContaining('The input of Task Step after Parameters') });
    expect(calls).toEqual({});
  });

  /** A Distributed Map over `items` children that each output `childBytes` of JSON, its result dropped. */
  function mapOf(items: number, childBytes: number) {
    const path = definitionFile({
      StartAt: 'Fan',
      States: {
        Fan: {
          Type: 'Map',
          ItemsPath: '$.items',
          MaxConcurrency: 10,
          ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, StartAt: 'Child', States: { Child: task('BeginJob', { End: true }) } },
          ResultPath: null,
          Next: 'After',
        },
        After: task('CompleteRun', { End: true }),
      },
    });
    const { steps, calls } = recordingSteps({ BeginJob: async () => text(childBytes - 2) });
    return { run: () => machine(path, steps).start(`map-${items}`, { items: Array.from({ length: items }, (_, i) => i) }).result, calls };
  }

  it("fails a Distributed Map whose children's outputs add up to more than 256 KiB, even with ResultPath null, once every child has run", async () => {
    const over = mapOf(100, 3_000);
    const under = mapOf(80, 3_000);

    const failed = await over.run();
    const passed = await under.run();

    // 100 outputs of 3,000 bytes, 99 commas and the brackets.
    expect(failed).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded', cause: expect.stringContaining('The aggregated result of Map Fan is 300101 bytes') });
    expect(over.calls).toEqual({ BeginJob: 100 });
    expect(passed.status).toBe('SUCCEEDED');
    expect(passed.limits.largestMapResult).toEqual({ value: 80 * 3_000 + 79 + 2, where: 'Fan' });
    expect(under.calls).toEqual({ BeginJob: 80, CompleteRun: 1 });
  });

  it('fails the real schedule-run ASL when CollectWorkItems returns 50,000 batch numbers, before any batch is sent', async () => {
    const queue = new LocalQueue({ name: 'work' });
    const { steps, calls } = recordingSteps({
      BeginRun: async () => ({ runId: 'run_1', index: 0, action: 'RUN', maxConcurrency: 40, batchTimeoutSeconds: 900 }),
      BeginJob: async () => ({ action: 'RUN', seq: 1 }),
      CollectWorkItems: async () => ({ batches: Array.from({ length: 50_000 }, (_, i) => i) }),
    });
    const runtime = new LocalStateMachine({ definitionPath: realAsl, steps, workQueue: queue });

    const outcome = await runtime.start('run_1-x1', { clientId: 'acme' }).result;

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded', cause: expect.stringContaining('The result of Task CollectWorkItems is 288903 bytes') });
    expect(queue.approximateDepth()).toBe(0);
    expect(calls).toEqual({ BeginRun: 1, BeginJob: 1, CollectWorkItems: 1 });
  });
});

describe(`the ${HISTORY_EVENT_LIMIT.toLocaleString('en')}-event history of a Standard execution`, () => {
  it('counts the events AWS records: ExecutionStarted, five per Lambda Task, two per Choice and Succeed, ExecutionSucceeded', async () => {
    const path = definitionFile({
      StartAt: 'Ask',
      States: {
        Ask: task('BeginJob', { ResultPath: '$.job', Next: 'Again' }),
        Again: { Type: 'Choice', Choices: [{ Variable: '$.job.again', BooleanEquals: true, Next: 'Ask' }], Default: 'Done' },
        Done: { Type: 'Succeed' },
      },
    });
    let asked = 0;
    const { steps } = recordingSteps({ BeginJob: async () => ({ again: ++asked < 10 }) });

    const outcome = await machine(path, steps).start('ten-rounds', {}).result;

    expect(outcome.status).toBe('SUCCEEDED');
    expect(outcome.limits.historyEvents).toBe(1 + 10 * (5 + 2) + 2 + 1);
  });

  it('fails an execution whose loop would record more than 25,000 events, and stops it there', async () => {
    const path = definitionFile({
      StartAt: 'Ask',
      States: {
        Ask: task('BeginJob', { ResultPath: null, Next: 'Again' }),
        Again: { Type: 'Choice', Choices: [{ Variable: '$.stop', IsPresent: true, Next: 'Done' }], Default: 'Ask' },
        Done: { Type: 'Succeed' },
      },
    });
    const { steps, calls } = recordingSteps();

    const outcome = await machine(path, steps).start('endless', {}).result;

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'States.Runtime', cause: 'The execution reached the maximum number of history events (25000)' });
    // 1 + 7 × 3,571 = 24,998 events; the next Task's first three would make 25,001: it never runs.
    expect(calls.BeginJob).toBe(3_571);
  });
});

describe('Map MaxConcurrency', () => {
  function mapWith(concurrency: Record<string, unknown>, items: number) {
    let inFlight = 0;
    let peak = 0;
    const path = definitionFile({
      StartAt: 'Fan',
      States: {
        Fan: {
          Type: 'Map',
          ItemsPath: '$.items',
          ...concurrency,
          ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, StartAt: 'Child', States: { Child: task('BeginJob', { End: true }) } },
          ResultPath: null,
          End: true,
        },
      },
    });
    const { steps } = recordingSteps({
      BeginJob: async () => {
        peak = Math.max(peak, ++inFlight);
        await sleep(30);
        inFlight -= 1;
        return {};
      },
    });
    return { path, steps, peak: () => peak, items: Array.from({ length: items }, (_, i) => i) };
  }

  it('runs at most MaxConcurrency children at once, and as many as MaxConcurrencyPath says even past the interpreter’s default of 40', async () => {
    const three = mapWith({ MaxConcurrency: 3 }, 12);
    const fifty = mapWith({ MaxConcurrencyPath: '$.limit' }, 60);

    const bounded = await machine(three.path, three.steps).start('three', { items: three.items }).result;
    const wide = await machine(fifty.path, fifty.steps).start('fifty', { items: fifty.items, limit: 50 }).result;

    expect(bounded.status).toBe('SUCCEEDED');
    expect(three.peak()).toBe(3);
    expect(bounded.limits.mapChildrenInFlight.value).toBe(3);
    expect(wide.status).toBe('SUCCEEDED');
    expect(fifty.peak()).toBe(50);
  });

  it('refuses what the interpreter would run differently: a Distributed Map without a bound, or a path that holds 0', async () => {
    const unbounded = mapWith({}, 1);
    const zero = mapWith({ MaxConcurrencyPath: '$.limit' }, 3);

    expect(() => machine(unbounded.path, unbounded.steps)).toThrow(/without MaxConcurrency runs up to 10,000 children on AWS and 40 locally/);
    const outcome = await machine(zero.path, zero.steps).start('zero', { items: zero.items, limit: 0 }).result;
    expect(outcome).toMatchObject({ status: 'FAILED', error: 'States.Runtime', cause: expect.stringContaining('MaxConcurrency 0') });
    expect(zero.peak()).toBe(0);
  });
});

describe('Task TimeoutSeconds and HeartbeatSeconds', () => {
  const sendAndWait = (fields: Record<string, unknown>) => ({
    StartAt: 'Send',
    States: { Send: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken', Parameters: { QueueUrl: '${WorkQueueUrl}', MessageBody: { 'taskToken.$': '$$.Task.Token' } }, ...fields, End: true } },
  });

  it('fails a Lambda Task that runs past TimeoutSeconds with States.Timeout', async () => {
    const path = definitionFile({ StartAt: 'Slow', States: { Slow: task('BeginRun', { TimeoutSeconds: 1, End: true }) } });
    const { steps } = recordingSteps({ BeginRun: () => sleep(3_000).then(() => ({})) });

    const outcome = await machine(path, steps).start('slow', {}).result;

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
  });

  it('gives a Task without TimeoutSeconds no 60-second limit of the interpreter’s, as AWS gives it none', () => {
    const path = definitionFile({ StartAt: 'Open', States: { Open: task('BeginRun', { End: true }) } });

    const loaded = loadDefinition(path, definitionSubstitutions('http://queue')) as unknown as { States: Record<string, { TimeoutSeconds?: number }> };

    expect(loaded.States.Open!.TimeoutSeconds).toBe(UNBOUNDED_TASK_TIMEOUT_SECONDS);
    expect(UNBOUNDED_TASK_TIMEOUT_SECONDS * 1000).toBeLessThanOrEqual(2 ** 31 - 1);
  });

  it('fails a task-token Task without a heartbeat for HeartbeatSeconds with States.HeartbeatTimeout', async () => {
    const queue = new LocalQueue({ name: 'work' });
    const { steps } = recordingSteps();

    const outcome = await machine(definitionFile(sendAndWait({ HeartbeatSeconds: 1 })), steps, queue).start('silent', {}).result;

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'States.HeartbeatTimeout' });
    expect(queue.approximateDepth()).toBe(1);
  });

  it('fails a task-token Task at TimeoutSeconds however often its worker heartbeats', async () => {
    const queue = new LocalQueue({ name: 'work' });
    const runtime = machine(definitionFile(sendAndWait({ HeartbeatSeconds: 2, TimeoutSeconds: 3 })), recordingSteps().steps, queue);
    let beats = 0;
    queue.startConsumer({
      batchSize: 1,
      maxConcurrency: 1,
      visibilityTimeoutMs: 30_000,
      maxReceiveCount: 1,
      handler: async (event) => {
        const { taskToken } = JSON.parse(event.Records[0]!.body) as { taskToken: string };
        for (;;) {
          try {
            await runtime.callbacks.sendTaskHeartbeat(taskToken);
          } catch {
            return;
          }
          beats += 1;
          await sleep(200);
        }
      },
    });

    const outcome = await runtime.start('busy', {}).result;
    await queue.stop();

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
    // Beats every 200 ms against a 2-second heartbeat window: only TimeoutSeconds can end it.
    expect(beats).toBeGreaterThan(3);
  });
});
