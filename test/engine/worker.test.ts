import { beforeEach, describe, expect, it } from 'vitest';
import { JobRegistry } from '../../lambdas/domain/job-registry';
import type { BatchMessage } from '../../lambdas/services/worker-service';
import { createEngineHarness, type EngineHarness } from '../support/engine-harness';
import { InstrumentedJob } from '../support/instrumented-job';

describe('the batch worker', () => {
  let engine: EngineHarness;
  let job: InstrumentedJob;

  beforeEach(async () => {
    job = new InstrumentedJob(20);
    engine = await createEngineHarness({ registry: new JobRegistry([job]), chunkSize: 5, checkpointMs: 0 });
  });

  async function startRun(settings: Record<string, unknown>): Promise<{ runId: string; executionName: string; batches: number[] }> {
    const schedule = await engine.addSchedule({ jobs: [{ type: 'SYNTHETIC', settings }] });
    const { run } = await engine.runs.trigger('acme', schedule.scheduleId, { processingDate: '2026-11-25' });
    const executionName = run.executionName;
    const begun = await engine.steps.beginRun({ input: { clientId: 'acme', scheduleId: schedule.scheduleId, runId: run.runId, trigger: 'API' }, executionName });
    await engine.steps.beginJob({ runId: run.runId, index: begun.index, executionName });
    const { batches } = await engine.steps.collectWorkItems({ runId: run.runId, seq: 1, executionName });
    return { runId: run.runId, executionName, batches };
  }

  const message = (runId: string, executionName: string, batchNo: number, token = `token-${batchNo}`): BatchMessage => ({
    taskToken: token,
    runId,
    seq: 1,
    batchNo,
    executionName,
    finalAttempt: true,
  });

  it('answers a duplicate delivery of a finished batch without processing anything again', async () => {
    const { runId, executionName } = await startRun({ items: 20 });

    expect(await engine.worker.processBatch(message(runId, executionName, 0, 'first'))).toBe('SUCCEEDED');
    expect(await engine.worker.processBatch(message(runId, executionName, 0, 'duplicate'))).toBe('SUCCEEDED');

    expect(job.everyItemProcessed(1)).toBe(true);
    const page = await engine.runs.listItems('acme', runId, 1, { limit: 100 });
    expect(page.items.map((i) => i.attempts)).toEqual(Array(20).fill(1));
    expect(engine.callbacks.answers.map((a) => [a.token, a.ok])).toEqual([
      ['first', true],
      ['duplicate', true],
    ]);
  });

  it('lets only one of two concurrent deliveries of a batch process it; the other returns to the queue and then finds it done', async () => {
    const { runId, executionName } = await startRun({ items: 20 });

    const results = await Promise.allSettled([
      engine.worker.processBatch(message(runId, executionName, 0, 'a')),
      engine.worker.processBatch(message(runId, executionName, 0, 'b')),
    ]);

    // Either the second delivery found the batch leased (and goes back to the queue), or, on a
    // slow machine, it came after the first had finished and found every item done.
    const outcomes = results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).name)).sort();
    expect([['BatchBusyError', 'SUCCEEDED'], ['SUCCEEDED', 'SUCCEEDED']]).toContainEqual(outcomes);
    expect(job.processed.size).toBe(20);
    expect(job.everyItemProcessed(1)).toBe(true);
    expect(await engine.worker.processBatch(message(runId, executionName, 0, 'again'))).toBe('SUCCEEDED');
    expect(job.everyItemProcessed(1)).toBe(true);
    const page = await engine.runs.listItems('acme', runId, 1, { limit: 100 });
    expect(page.items.every((i) => i.status === 'SUCCEEDED' && i.attempts === 1)).toBe(true);
  });

  it('records failed items in the first pass without failing the Map child, so the other batches still run', async () => {
    const { runId, executionName } = await startRun({ items: 20, failItems: [4] });

    expect(await engine.worker.processBatch({ ...message(runId, executionName, 0, 'first-pass'), finalAttempt: false })).toBe('FAILED');

    expect(engine.callbacks.answers).toEqual([{ token: 'first-pass', ok: true }]);
    const failed = await engine.runs.listItems('acme', runId, 1, { status: 'FAILED', limit: 10 });
    expect(failed.items.map((i) => i.itemId)).toEqual(['item-0000004']);
    expect(await engine.steps.collectWorkItems({ runId, seq: 1, executionName, failedOnly: true })).toEqual({ batches: [0] });
  });

  it('resumes a batch after a crash mid-batch from its checkpoint, processing no item twice', async () => {
    const { runId, executionName } = await startRun({ items: 20 });
    job.crashOnCalls = new Set([3]);

    await expect(engine.worker.processBatch(message(runId, executionName, 0))).rejects.toThrow('worker crash on call 3');
    const afterCrash = await engine.runs.listItems('acme', runId, 1, { status: 'SUCCEEDED', limit: 100 });
    expect(afterCrash.items).toHaveLength(10);

    expect(await engine.worker.processBatch(message(runId, executionName, 0))).toBe('SUCCEEDED');

    expect(job.processed.size).toBe(20);
    expect(job.everyItemProcessed(1)).toBe(true);
    const run = await engine.runs.getRun('acme', runId);
    expect(run.jobs[0]?.stats).toMatchObject({ succeeded: 20, failed: 0 });
  });

  it('fails the Map child with the failed items, and a healing reprocess retries only those', async () => {
    const { runId, executionName } = await startRun({ items: 20, failItems: [3, 17] });

    expect(await engine.worker.processBatch(message(runId, executionName, 0))).toBe('FAILED');
    expect(engine.callbacks.answers[0]).toMatchObject({ ok: false, error: 'ItemsFailed' });
    expect(engine.callbacks.answers[0]?.cause).toContain('2 of 20 items failed');

    await engine.store.transitionRun(runId, { from: ['RUNNING'], set: { status: 'FAILED' } });
    const reprocessed = await engine.runs.reprocess('acme', runId, { scope: 'RUN', heal: true });
    expect(reprocessed.status).toBe('PENDING');
    expect(await engine.worker.processBatch(message(runId, reprocessed.executionName, 0))).toBe('SUCCEEDED');

    const items = (await engine.runs.listItems('acme', runId, 1, { limit: 100 })).items;
    expect(items.filter((i) => i.attempts === 2).map((i) => i.itemId)).toEqual(['item-0000003', 'item-0000017']);
    expect(items.filter((i) => i.attempts === 1)).toHaveLength(18);
    expect(job.processed.get('job1:item-0000000')).toBe(1);
  });

  it('re-runs every item of a job reprocessed with items ALL, once each', async () => {
    const { runId, executionName } = await startRun({ items: 20 });
    await engine.worker.processBatch(message(runId, executionName, 0));
    await engine.steps.finalizeJob({ runId, seq: 1, index: 0, executionName });
    await engine.steps.completeRun({ runId, executionName });

    const reprocessed = await engine.runs.reprocess('acme', runId, { scope: 'JOB', seq: 1, items: 'ALL' });
    const { batches } = await engine.steps.collectWorkItems({ runId, seq: 1, executionName: reprocessed.executionName });
    expect(batches).toEqual([0]);
    await engine.worker.processBatch(message(runId, reprocessed.executionName, 0, 'all-1'));
    await engine.worker.processBatch(message(runId, reprocessed.executionName, 0, 'all-2-duplicate'));

    expect(job.everyItemProcessed(2)).toBe(true);
    const items = (await engine.runs.listItems('acme', runId, 1, { limit: 100 })).items;
    expect(items.every((i) => i.attempts === 2)).toBe(true);
  });

  it('refuses batches of a superseded execution and of a reset run without processing them', async () => {
    const { runId, executionName } = await startRun({ items: 20 });

    expect(await engine.worker.processBatch(message(runId, 'an-old-execution', 0, 'old'))).toBe('SKIPPED');
    await engine.runs.reset('acme', runId);
    expect(await engine.worker.processBatch(message(runId, executionName, 0, 'after-reset'))).toBe('SKIPPED');

    expect(job.processed.size).toBe(0);
    expect(engine.callbacks.answers.map((a) => a.error)).toEqual(['SupersededExecution', 'RunReset']);
    expect(engine.orchestrator.stopped).toEqual([executionName]);
  });

  it('drops a malformed message, failing its task token when it has one, and reports SQS failures per record', async () => {
    const { runId, executionName } = await startRun({ items: 20 });
    job.crashOnCalls = new Set([1]);
    const record = (messageId: string, body: string) => ({ messageId, body, receiptHandle: messageId, attributes: {}, messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:work', awsRegion: 'us-east-1' }) as never;

    const response = await engine.worker.handleSqsEvent({
      Records: [
        record('not-json', '{oops'),
        record('bad-shape', JSON.stringify({ taskToken: 'tok', runId: 5 })),
        record('crashes', JSON.stringify(message(runId, executionName, 0))),
      ],
    });

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'crashes' }]);
    expect(engine.callbacks.answers).toEqual([{ token: 'tok', ok: false, error: 'MalformedMessage', cause: expect.any(String) }]);
  });
});
