import { afterEach, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lambdas/composition/local-runtime';
import { api, startTestRuntime, waitForRun } from '../support/local-runtime';

const CLIENT = 'threads';

/** The worker in two threads of its own, as deployed workers are other Lambdas. The catalogue's job types need the system clock there. */
async function startThreaded(): Promise<LocalRuntime> {
  return startTestRuntime({ clock: undefined, worker: { threads: 2, maxConcurrency: 2, visibilityTimeoutMs: 2_000 } });
}

async function triggerSynthetic(runtime: LocalRuntime, settings: Record<string, unknown>): Promise<string> {
  await api(runtime, 'PUT', `/v1/clients/${CLIENT}`, { name: 'Threads', timezone: 'UTC' });
  const schedule = await api(runtime, 'POST', `/v1/clients/${CLIENT}/schedules`, {
    name: 'In threads',
    frequency: { type: 'MANUAL' },
    executionTime: '00:00:00',
    timezone: 'UTC',
    jobs: [{ type: 'SYNTHETIC', settings }],
  });
  expect(schedule.status).toBe(201);
  const run = await api(runtime, 'POST', `/v1/clients/${CLIENT}/schedules/${schedule.body.scheduleId}/runs`, { processingDate: '2026-11-25' });
  expect(run.status).toBe(202);
  return run.body.runId as string;
}

describe('the local runtime with its worker in worker threads', () => {
  let runtime: LocalRuntime | undefined;
  afterEach(async () => {
    await runtime?.stop();
    runtime = undefined;
  });

  it('processes a run in the threads: every item recorded, failures included, and their DynamoDB requests metered', async () => {
    runtime = await startThreaded();
    const writesBefore = runtime.meter.snapshot().dynamoWrites;
    const runId = await triggerSynthetic(runtime, { items: 30, batchSize: 10, failItems: [4] });
    const run = await waitForRun(runtime, CLIENT, runId, ['COMPLETED', 'FAILED']);
    expect(run.jobs[0]?.stats).toMatchObject({ total: 30, succeeded: 29, failed: 1 });
    expect(runtime.workerThreads?.threadIds()).toHaveLength(2);
    // The threads' own DynamoDB clients count into the runtime's meter: batch records were written there.
    expect(runtime.meter.snapshot().dynamoWrites).toBeGreaterThan(writesBefore);
  });

  it('survives a thread that dies mid-batch: the pool replaces it and the batch is delivered again and completes', async () => {
    runtime = await startThreaded();
    const runId = await triggerSynthetic(runtime, { items: 40, batchSize: 10, delayMs: 400 });
    const pool = runtime.workerThreads;
    if (!pool) throw new Error('the runtime started no worker threads');
    const before = pool.threadIds();
    let busy: number | undefined;
    while (busy === undefined) {
      busy = pool.busyThreadIds()[0];
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await pool.crash(busy);
    const run = await waitForRun(runtime, CLIENT, runId, ['COMPLETED', 'FAILED']);
    expect(run.status).toBe('COMPLETED');
    expect(run.jobs[0]?.stats).toMatchObject({ total: 40, succeeded: 40, failed: 0 });
    const after = pool.threadIds();
    expect(after).toHaveLength(2);
    expect(after).not.toContain(busy);
    expect(after.filter((id) => before.includes(id))).toHaveLength(1);
  });
});
