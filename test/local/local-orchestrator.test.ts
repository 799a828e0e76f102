import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalQueue } from '../../lambdas/adapters/local/local-queue';
import { LocalStateMachine, TaskTimedOut, type StepFunctions } from '../../lambdas/adapters/local/local-state-machine';
import { ExecutionAlreadyExists, ExecutionNotRedrivable, LocalOrchestrator, type ExecutionEnded, type ExecutionRedriven } from '../../lambdas/adapters/local/local-orchestrator';
import type { ExecutionInput } from '../../lambdas/ports/orchestrator';
import { InMemoryUsageMeter } from '../../lambdas/adapters/local/usage-meter';
import { sleep, until } from './support';

/**
 * The real statemachines/schedule-run.asl.json, run by the local orchestrator with small fake
 * step functions (a run of N jobs with given batches) and a fake worker on the LocalQueue that
 * answers each batch's task token.
 */

const definitionPath = fileURLToPath(new URL('../../statemachines/schedule-run.asl.json', import.meta.url));
const input: ExecutionInput = { clientId: 'acme', scheduleId: 'sch_daily', runId: 'run_1', processingDate: '2026-11-25', trigger: 'API' };

interface Batch {
  taskToken: string;
  runId: string;
  seq: number;
  batchNo: number;
  executionName: string;
  finalAttempt: boolean;
}

type Answer = 'SUCCEED' | 'FAIL' | 'IGNORE';

interface Scenario {
  /** Batch numbers per job, in sequence. */
  jobs: number[][];
  /** Per job, the batches FindFailedBatches reports after the first pass. @default none */
  failedAfterFirstPass?: number[][];
  maxConcurrency?: number;
  batchTimeoutSeconds?: number;
  /** The first time BeginJob is asked, it answers WAIT until this many ms later. */
  waitMs?: number;
  /** How the worker answers a delivered batch. @default SUCCEED */
  answer?: (batch: Batch, attempt: number) => Answer;
  /** How long the worker works on a batch. @default 0 */
  workMs?: number;
  steps?: Partial<StepFunctions>;
}

const harnesses: { orchestrator: LocalOrchestrator; queue: LocalQueue }[] = [];

afterEach(async () => {
  for (const { orchestrator, queue } of harnesses.splice(0)) {
    await orchestrator.shutdown();
    await queue.stop(1_000);
  }
});

function harness(scenario: Scenario) {
  const meter = new InMemoryUsageMeter();
  const queue = new LocalQueue({ name: 'work', meter });
  const calls: { step: string; input: Record<string, unknown>; at: number }[] = [];
  const deliveries: Batch[] = [];
  const attempts = new Map<string, number>();
  let waited = false;
  let inFlight = 0;
  let peakInFlight = 0;

  const record = (step: string, stepInput: unknown) => calls.push({ step, input: stepInput as Record<string, unknown>, at: Date.now() });
  const steps: StepFunctions = {
    BeginRun: async (i) => {
      record('BeginRun', i);
      return { runId: 'run_1', index: 0, action: 'RUN', maxConcurrency: scenario.maxConcurrency ?? 10, batchTimeoutSeconds: scenario.batchTimeoutSeconds ?? 30 };
    },
    BeginJob: async (i) => {
      record('BeginJob', i);
      const { index } = i as { index: number };
      if (index >= scenario.jobs.length) return { action: 'COMPLETE', seq: index };
      if (scenario.waitMs !== undefined && !waited) {
        waited = true;
        return { action: 'WAIT', seq: index + 1, waitUntil: new Date(Date.now() + scenario.waitMs).toISOString() };
      }
      return { action: 'RUN', seq: index + 1 };
    },
    CollectWorkItems: async (i) => {
      const { seq, failedOnly } = i as { seq: number; failedOnly?: boolean };
      record(failedOnly ? 'FindFailedBatches' : 'CollectWorkItems', i);
      return { batches: (failedOnly ? scenario.failedAfterFirstPass?.[seq - 1] : scenario.jobs[seq - 1]) ?? [] };
    },
    FinalizeJob: async (i) => {
      record('FinalizeJob', i);
      return (i as { index: number }).index + 1;
    },
    CompleteRun: async (i) => {
      record('CompleteRun', i);
      return { completed: true };
    },
    ...scenario.steps,
  };
  const stateMachine = new LocalStateMachine({ definitionPath, steps, workQueue: queue, meter, retryIntervalOverrides: { ProcessBatch: 0 } });
  queue.startConsumer({
    batchSize: 1,
    maxConcurrency: 20,
    visibilityTimeoutMs: 30_000,
    maxReceiveCount: 3,
    handler: async (event) => {
      for (const message of event.Records) {
        const batch = JSON.parse(message.body) as Batch;
        deliveries.push(batch);
        const key = `${batch.seq}/${batch.batchNo}`;
        const attempt = (attempts.get(key) ?? 0) + 1;
        attempts.set(key, attempt);
        inFlight += 1;
        peakInFlight = Math.max(peakInFlight, inFlight);
        await sleep(scenario.workMs ?? 0);
        inFlight -= 1;
        const answer = scenario.answer?.(batch, attempt) ?? 'SUCCEED';
        if (answer === 'SUCCEED') await stateMachine.callbacks.sendTaskSuccess(batch.taskToken, { seq: batch.seq, batchNo: batch.batchNo });
        if (answer === 'FAIL') await stateMachine.callbacks.sendTaskFailure(batch.taskToken, 'BatchItemsFailed', `2 items of batch ${batch.batchNo} failed`);
      }
    },
  });
  const orchestrator = new LocalOrchestrator(stateMachine);
  const ended: ExecutionEnded[] = [];
  const redriven: ExecutionRedriven[] = [];
  orchestrator.onExecutionEnd((event) => void ended.push(event));
  orchestrator.onExecutionRedriven((event) => void redriven.push(event));
  harnesses.push({ orchestrator, queue });
  const stepCalls = (step: string) => calls.filter((c) => c.step === step).map((c) => c.input);
  const stepTimes = (step: string) => calls.filter((c) => c.step === step).map((c) => c.at);
  return { stepTimes, meter, queue, stateMachine, orchestrator, deliveries, ended, redriven, stepCalls, peakInFlight: () => peakInFlight };
}

const delivered = (deliveries: Batch[]) => deliveries.map((d) => `${d.seq}/${d.batchNo}`).sort();

describe('LocalOrchestrator running statemachines/schedule-run.asl.json', () => {
  it('runs every job in sequence, fans each batch out once, and reports SUCCEEDED', async () => {
    const h = harness({ jobs: [[1, 2, 3], [1, 2]] });

    await h.orchestrator.startExecution('run_1-x1', input);
    await h.orchestrator.idle();

    expect(h.ended).toEqual([expect.objectContaining({ executionName: 'run_1-x1', status: 'SUCCEEDED', input, redriveCount: 0 })]);
    expect(delivered(h.deliveries)).toEqual(['1/1', '1/2', '1/3', '2/1', '2/2']);
    expect(h.deliveries[0]).toEqual({ taskToken: expect.any(String), runId: 'run_1', seq: 1, batchNo: expect.any(Number), executionName: 'run_1-x1', finalAttempt: false });
    expect(new Set(h.deliveries.map((d) => d.taskToken)).size).toBe(5);
    expect(h.stepCalls('BeginRun')).toEqual([{ input, executionName: 'run_1-x1' }]);
    expect(h.stepCalls('FinalizeJob')).toEqual([
      { runId: 'run_1', seq: 1, index: 0, executionName: 'run_1-x1' },
      { runId: 'run_1', seq: 2, index: 1, executionName: 'run_1-x1' },
    ]);
    expect(h.stepCalls('CompleteRun')).toEqual([{ runId: 'run_1', executionName: 'run_1-x1' }]);
    expect(h.queue.approximateDepth()).toBe(0);
    // BeginRun, HasWork, 2 × (BeginJob, JobGate, CollectWorkItems, ProcessBatches,
    // FindFailedBatches, AnyFailedBatches, FinalizeJob), BeginJob, JobGate, CompleteRun = 19,
    // plus one ProcessBatch per batch = 5.
    expect(h.meter.get('stateTransitions')).toBe(24);
    // 11 step-function calls + 5 worker invocations.
    expect(h.meter.get('lambdaInvocations')).toBe(16);
    // 5 × (SendMessage + ReceiveMessage + DeleteMessageBatch).
    expect(h.meter.get('sqsRequests')).toBe(15);
  });

  it('fails the execution with the worker’s error when a batch fails, and stops the sequence', async () => {
    const h = harness({ jobs: [[1, 2, 3], [1]], maxConcurrency: 1, answer: (b) => (b.batchNo === 2 ? 'FAIL' : 'SUCCEED') });

    await h.orchestrator.startExecution('run_1-x1', input);
    await h.orchestrator.idle();

    expect(h.ended).toEqual([
      expect.objectContaining({ executionName: 'run_1-x1', status: 'FAILED', error: 'BatchItemsFailed', cause: '2 items of batch 2 failed' }),
    ]);
    expect(h.stepCalls('CollectWorkItems').map((c) => c.seq)).toEqual([1]);
    expect(h.stepCalls('FinalizeJob')).toEqual([]);
    // MaxConcurrency 1: batch 3 was still queued in the Map when batch 2 failed, and never starts.
    await sleep(50);
    expect(delivered(h.deliveries)).toEqual(['1/1', '1/2']);
    await expect(h.stateMachine.callbacks.sendTaskSuccess(h.deliveries[1]!.taskToken, {})).rejects.toBeInstanceOf(TaskTimedOut);
  });

  it('sends the batches FindFailedBatches reports once more as the final attempt, whose failure fails the execution', async () => {
    const h = harness({
      jobs: [[1, 2, 3], [1]],
      failedAfterFirstPass: [[2]],
      answer: (b) => (b.finalAttempt ? 'FAIL' : 'SUCCEED'),
    });

    await h.orchestrator.startExecution('run_1-x1', input);
    await h.orchestrator.idle();

    expect(h.deliveries.map((d) => `${d.seq}/${d.batchNo}${d.finalAttempt ? ' final' : ''}`).sort()).toEqual(['1/1', '1/2', '1/2 final', '1/3']);
    expect(h.ended[0]).toMatchObject({ status: 'FAILED', error: 'BatchItemsFailed' });
    expect(h.stepCalls('FindFailedBatches')).toEqual([{ runId: 'run_1', seq: 1, executionName: 'run_1-x1', failedOnly: true }]);
    expect(h.stepCalls('FinalizeJob')).toEqual([]);
  });

  it('surfaces a step function’s error name, with the Lambda runtime’s cause', async () => {
    class SupersededExecutionError extends Error {
      override name = 'SupersededExecutionError';
    }
    const h = harness({
      jobs: [[1]],
      steps: {
        CollectWorkItems: async () => {
          throw new SupersededExecutionError('run_1-x2 is the current execution');
        },
      },
    });

    await h.orchestrator.startExecution('run_1-x1', input);
    await h.orchestrator.idle();

    expect(h.ended[0]).toMatchObject({
      status: 'FAILED',
      error: 'SupersededExecutionError',
      cause: JSON.stringify({ errorType: 'SupersededExecutionError', errorMessage: 'run_1-x2 is the current execution' }),
    });
  });

  it('moves on over a job with zero batches', async () => {
    const h = harness({ jobs: [[], [1]] });

    await h.orchestrator.startExecution('run_1-x1', input);
    await h.orchestrator.idle();

    expect(h.ended[0]?.status).toBe('SUCCEEDED');
    expect(delivered(h.deliveries)).toEqual(['2/1']);
    expect(h.stepCalls('FinalizeJob').map((c) => c.seq)).toEqual([1, 2]);
  });

  it('waits out an exception window until BeginJob’s waitUntil, then asks again', async () => {
    const h = harness({ jobs: [[1]], waitMs: 400 });

    await h.orchestrator.startExecution('run_1-x1', input);
    await h.orchestrator.idle();

    expect(h.ended[0]?.status).toBe('SUCCEEDED');
    expect(h.stepCalls('BeginJob').map((c) => c.index)).toEqual([0, 0, 1]);
    const [asked, askedAgain] = h.stepTimes('BeginJob');
    expect(askedAgain! - asked!).toBeGreaterThanOrEqual(395);
    // The Wait state is a transition: 12 + BeginJob, JobGate, WaitForExceptionWindow + 1 batch.
    expect(h.meter.get('stateTransitions')).toBe(16);
  });

  it('aborts a running execution, its task-token waits included', async () => {
    const h = harness({ jobs: [[1, 2, 3], [1]], maxConcurrency: 2, answer: () => 'IGNORE' });
    await h.orchestrator.startExecution('run_1-x1', input);
    await until(() => h.deliveries.length === 2, 'two batches delivered');

    await h.orchestrator.stopExecution('run_1-x1', 'Run reset by an operator');
    await h.orchestrator.idle();

    expect(h.ended).toEqual([expect.objectContaining({ status: 'ABORTED', cause: 'Run reset by an operator' })]);
    expect(h.orchestrator.running()).toEqual([]);
    await expect(h.stateMachine.callbacks.sendTaskSuccess(h.deliveries[0]!.taskToken, {})).rejects.toBeInstanceOf(TaskTimedOut);
    // Batch 3, still queued in the Map, never starts.
    await sleep(50);
    expect(h.deliveries).toHaveLength(2);
    expect(h.stepCalls('FinalizeJob')).toEqual([]);
  });

  it('redrives a failed execution from the start with its input, reporting RUNNING with the redrive count', async () => {
    const h = harness({ jobs: [[1, 2]], answer: (b, attempt) => (b.batchNo === 2 && attempt === 1 ? 'FAIL' : 'SUCCEED') });
    await h.orchestrator.startExecution('run_1-x1', input);
    await h.orchestrator.idle();
    expect(h.ended.map((e) => e.status)).toEqual(['FAILED']);

    await h.orchestrator.redrive('run_1-x1');
    await h.orchestrator.idle();

    expect(h.redriven).toEqual([{ executionName: 'run_1-x1', status: 'RUNNING', input, redriveCount: 1 }]);
    expect(h.ended.map((e) => [e.status, e.redriveCount])).toEqual([
      ['FAILED', 0],
      ['SUCCEEDED', 1],
    ]);
    expect(h.stepCalls('BeginRun')).toEqual([
      { input, executionName: 'run_1-x1' },
      { input, executionName: 'run_1-x1' },
    ]);
    await expect(h.orchestrator.redrive('run_1-x1')).rejects.toBeInstanceOf(ExecutionNotRedrivable);
  });

  it('treats a start with a running execution’s name and input as a no-op, and refuses a taken name otherwise', async () => {
    const h = harness({ jobs: [[1]], answer: () => 'IGNORE' });

    await h.orchestrator.startExecution('run_1-x1', input);
    await h.orchestrator.startExecution('run_1-x1', { ...input });
    await expect(h.orchestrator.startExecution('run_1-x1', { ...input, runId: 'run_2' })).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    await until(() => h.deliveries.length === 1, 'batch delivered');
    expect(h.orchestrator.running()).toEqual(['run_1-x1']);
    expect(h.stepCalls('BeginRun')).toHaveLength(1);

    await h.stateMachine.callbacks.sendTaskHeartbeat(h.deliveries[0]!.taskToken);
    await h.stateMachine.callbacks.sendTaskSuccess(h.deliveries[0]!.taskToken, {});
    await h.orchestrator.idle();
    await expect(h.orchestrator.startExecution('run_1-x1', input)).rejects.toBeInstanceOf(ExecutionAlreadyExists);
  });

  it('keeps at most MaxConcurrency (from the state data) Map children in flight', async () => {
    const h = harness({ jobs: [[1, 2, 3, 4, 5, 6]], maxConcurrency: 2, workMs: 20 });

    await h.orchestrator.startExecution('run_1-x1', input);
    await h.orchestrator.idle();

    expect(h.ended[0]?.status).toBe('SUCCEEDED');
    expect(h.deliveries).toHaveLength(6);
    expect(h.peakInFlight()).toBe(2);
  });

  it('times a batch out after TimeoutSecondsPath from the state input, sends it again with a new token and closes the old one', async () => {
    const h = harness({ jobs: [[1]], batchTimeoutSeconds: 1, answer: (_b, attempt) => (attempt === 1 ? 'IGNORE' : 'SUCCEED') });

    await h.orchestrator.startExecution('run_1-x1', input);
    await h.orchestrator.idle();

    expect(h.ended[0]?.status).toBe('SUCCEEDED');
    expect(h.deliveries.map((d) => d.batchNo)).toEqual([1, 1]);
    expect(h.deliveries[0]!.taskToken).not.toBe(h.deliveries[1]!.taskToken);
    await expect(h.stateMachine.callbacks.sendTaskHeartbeat(h.deliveries[0]!.taskToken)).rejects.toBeInstanceOf(TaskTimedOut);
    await expect(h.stateMachine.callbacks.sendTaskSuccess(h.deliveries[0]!.taskToken, {})).rejects.toBeInstanceOf(TaskTimedOut);
    // A retry is a transition too: 12 root states, ProcessBatch entered once and retried once.
    expect(h.meter.get('stateTransitions')).toBe(14);
  });

  it('shutdown() ends running executions without reporting them, so a restart resumes the run', async () => {
    const h = harness({ jobs: [[1]], answer: () => 'IGNORE' });
    await h.orchestrator.startExecution('run_1-x1', input);
    await until(() => h.deliveries.length === 1, 'batch delivered');

    await h.orchestrator.shutdown();

    expect(h.orchestrator.running()).toEqual([]);
    expect(h.ended).toEqual([]);
    await expect(h.orchestrator.startExecution('run_1-x2', input)).rejects.toThrow(/shut down/);
  });
});
