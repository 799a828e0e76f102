import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalQueue } from '../../lambdas/adapters/local/local-queue';
import { definitionSubstitutions, loadDefinition } from '../../lambdas/adapters/local/local-asl-definition';
import { LocalStateMachine, TaskTimedOut, type StepFunctions } from '../../lambdas/adapters/local/local-state-machine';
import { sleep } from './support';
import { InMemoryUsageMeter } from '../../lambdas/adapters/local/usage-meter';

const definitionPath = fileURLToPath(new URL('../../statemachines/schedule-run.asl.json', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'local-state-machine-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A run with one job and no batches, unless a step is replaced. */
function steps(overrides: Partial<StepFunctions> = {}): StepFunctions {
  return {
    BeginRun: async () => ({ runId: 'run_1', index: 0, action: 'RUN', maxConcurrency: 1, batchTimeoutSeconds: 30 }),
    BeginJob: async (input) => ((input as { index: number }).index === 0 ? { action: 'RUN', seq: 1 } : { action: 'COMPLETE', seq: 1 }),
    CollectWorkItems: async () => ({ batches: [] }),
    FinalizeJob: async (input) => (input as { index: number }).index + 1,
    CompleteRun: async () => ({}),
    ...overrides,
  };
}

describe('LocalStateMachine', () => {
  it('provides exactly the substitutions the ASL file uses', () => {
    const used = new Set([...readFileSync(definitionPath, 'utf8').matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]));

    expect(new Set(Object.keys(definitionSubstitutions('http://queue')))).toEqual(used);
  });

  it('refuses a definition with a substitution it does not know, or a Map field it does not bridge', () => {
    const unknownPlaceholder = join(scratch, 'unknown.asl.json');
    writeFileSync(unknownPlaceholder, JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Task', Resource: '${NewFunctionArn}', End: true } } }));
    const itemReader = join(scratch, 'reader.asl.json');
    writeFileSync(
      itemReader,
      JSON.stringify({ StartAt: 'M', States: { M: { Type: 'Map', ItemReader: { Resource: 'arn:aws:states:::s3:getObject' }, ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }, End: true } } }),
    );

    expect(() => loadDefinition(unknownPlaceholder, definitionSubstitutions('http://queue'))).toThrow(/NewFunctionArn/);
    expect(() => loadDefinition(itemReader, {})).toThrow(/ItemReader/);
  });

  it('answers TaskTimedOut for a token it never minted', async () => {
    const machine = new LocalStateMachine({ definitionPath, steps: steps(), workQueue: new LocalQueue({ name: 'work' }) });

    await expect(machine.callbacks.sendTaskSuccess('no-such-token', {})).rejects.toBeInstanceOf(TaskTimedOut);
    await expect(machine.callbacks.sendTaskFailure('no-such-token', 'E', 'c')).rejects.toThrow(/Task Timed Out/);
    await expect(machine.callbacks.sendTaskHeartbeat('no-such-token')).rejects.toBeInstanceOf(TaskTimedOut);
  });

  it('refuses TimeoutSecondsPath on a Task with Parameters, which the interpreter would read from the wrong input', () => {
    const timeoutPath = join(scratch, 'timeout-path.asl.json');
    writeFileSync(timeoutPath, JSON.stringify({ StartAt: 'T', States: { T: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken', Parameters: { QueueUrl: 'q' }, TimeoutSecondsPath: '$.t', End: true } } }));

    expect(() => loadDefinition(timeoutPath, {})).toThrow(/TimeoutSecondsPath/);
  });

  /** One job with one batch, whose Map child waits HeartbeatSeconds 1 between signs of life. */
  function oneBatchMachine(queue: LocalQueue): LocalStateMachine {
    return new LocalStateMachine({
      definitionPath,
      workQueue: queue,
      retryIntervalOverrides: { ProcessBatch: 0 },
      steps: steps({
        BeginRun: async () => ({ runId: 'run_1', index: 0, action: 'RUN', maxConcurrency: 1, batchTimeoutSeconds: 1 }),
        CollectWorkItems: async (input) => ({ batches: (input as { failedOnly?: boolean }).failedOnly ? [] : [0] }),
      }),
    });
  }

  it('fails a batch that gets no heartbeat within HeartbeatSeconds with States.HeartbeatTimeout, once the ASL’s retries have sent it again', async () => {
    const queue = new LocalQueue({ name: 'work' });
    const machine = oneBatchMachine(queue);

    const outcome = await machine.start('run_1-x1', { clientId: 'acme' }).result;

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'States.HeartbeatTimeout' });
    // Nobody consumes the queue: the first message and the two the Retry sent are all still there.
    expect(queue.approximateDepth()).toBe(3);
  });

  it('keeps a batch waiting past HeartbeatSeconds while its worker heartbeats, and sends it only once', async () => {
    const queue = new LocalQueue({ name: 'work' });
    const machine = oneBatchMachine(queue);
    let deliveries = 0;
    queue.startConsumer({
      batchSize: 1,
      maxConcurrency: 1,
      visibilityTimeoutMs: 30_000,
      maxReceiveCount: 1,
      handler: async (event) => {
        deliveries += 1;
        const { taskToken } = JSON.parse(event.Records[0]!.body) as { taskToken: string };
        // Two seconds of work against a one-second heartbeat window.
        for (let beat = 0; beat < 10; beat++) {
          await machine.callbacks.sendTaskHeartbeat(taskToken);
          await sleep(200);
        }
        await machine.callbacks.sendTaskSuccess(taskToken, {});
      },
    });

    const outcome = await machine.start('run_1-x1', { clientId: 'acme' }).result;
    await queue.stop();

    expect(outcome.status).toBe('SUCCEEDED');
    expect(deliveries).toBe(1);
  });

  it('retries a step per the ASL’s Retry, counting each attempt as an invocation and each retry as a transition', async () => {
    const meter = new InMemoryUsageMeter();
    let attempts = 0;
    const machine = new LocalStateMachine({
      definitionPath,
      meter,
      workQueue: new LocalQueue({ name: 'work' }),
      retryIntervalOverrides: { CompleteRun: 0 },
      steps: steps({
        CompleteRun: async () => {
          attempts += 1;
          if (attempts === 1) throw Object.assign(new Error('throttled'), { name: 'TransientStoreError' });
          return {};
        },
      }),
    });

    const outcome = await machine.start('run_1-x1', { clientId: 'acme' }).result;

    expect(outcome.status).toBe('SUCCEEDED');
    expect(attempts).toBe(2);
    // BeginRun, BeginJob, CollectWorkItems, FindFailedBatches, FinalizeJob, BeginJob, CompleteRun × 2.
    expect(meter.get('lambdaInvocations')).toBe(8);
    // BeginRun, HasWork, BeginJob, JobGate, CollectWorkItems, ProcessBatches, FindFailedBatches,
    // AnyFailedBatches, FinalizeJob, BeginJob, JobGate, CompleteRun, and the retry of CompleteRun.
    expect(meter.get('stateTransitions')).toBe(13);
  });

  it('shortens a Wait with waitTimeOverrides, and passes the context’s execution name to the steps', async () => {
    const names: unknown[] = [];
    let asked = 0;
    const machine = new LocalStateMachine({
      definitionPath,
      workQueue: new LocalQueue({ name: 'work' }),
      waitTimeOverrides: { WaitForExceptionWindow: 0 },
      steps: steps({
        BeginJob: async (input) => {
          names.push((input as { executionName: string }).executionName);
          asked += 1;
          if (asked === 1) return { action: 'WAIT', seq: 1, waitUntil: new Date(Date.now() + 3_600_000).toISOString() };
          return { action: 'COMPLETE', seq: 1 };
        },
      }),
    });

    const outcome = await machine.start('run_1-x7', { clientId: 'acme' }).result;

    expect(outcome.status).toBe('SUCCEEDED');
    expect(names).toEqual(['run_1-x7', 'run_1-x7']);
  });

  it('reports a path the data does not satisfy as States.Runtime', async () => {
    const machine = new LocalStateMachine({
      definitionPath,
      workQueue: new LocalQueue({ name: 'work' }),
      steps: steps({ BeginJob: async () => ({ action: 'WAIT', seq: 1 }) }),
    });

    const outcome = await machine.start('run_1-x1', {}).result;

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'States.Runtime', cause: expect.stringContaining('$.job.waitUntil') });
  });
});
