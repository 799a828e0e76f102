import { beforeEach, describe, expect, it } from 'vitest';
import { JobRegistry, type ItemOutcome, type JobContext, type JobHandler } from '../../lambdas/domain/job-registry';
import { BatchBusyError, type BatchMessage } from '../../lambdas/services/worker-service';
import { createEngineHarness, type EngineHarness } from '../support/engine-harness';
import { InstrumentedJob } from '../support/instrumented-job';

describe('the batch worker', () => {
  let engine: EngineHarness;
  let job: InstrumentedJob;

  beforeEach(async () => {
    job = new InstrumentedJob(20);
    // One chunk at a time, so that a crash on the nth call has a known checkpoint before it; chunks in parallel below.
    engine = await createEngineHarness({ registry: new JobRegistry([job]), chunkSize: 5, chunkConcurrency: 1, checkpointMs: 0 });
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

  it('heartbeats the waiting Map child when it picks the batch up and at each checkpoint, so time in the queue ends at pick-up', async () => {
    const { runId, executionName } = await startRun({ items: 20 });

    expect(await engine.worker.processBatch(message(runId, executionName, 0, 'live'))).toBe('SUCCEEDED');

    // Pick-up, then a checkpoint after each of the first three chunks of five (checkpointMs 0).
    expect(engine.callbacks.heartbeats).toEqual(['live', 'live', 'live', 'live']);
    expect(engine.callbacks.answers).toEqual([{ token: 'live', ok: true }]);
  });

  it('leaves a message whose task token is closed (its task was retried, or the execution ended) without doing its work', async () => {
    const { runId, executionName } = await startRun({ items: 20 });
    engine.callbacks.sendTaskHeartbeat = async () => {
      throw Object.assign(new Error('Task Timed Out'), { name: 'TaskTimedOut' });
    };

    expect(await engine.worker.processBatch(message(runId, executionName, 0, 'stale'))).toBe('SKIPPED');

    expect(job.processed.size).toBe(0);
    expect(engine.callbacks.answers).toEqual([]);
  });

  it('sends a message whose batch another delivery holds back for the lease time, not the whole visibility timeout', async () => {
    const { runId, executionName } = await startRun({ items: 20 });
    const now = engine.clock.now().getTime();
    expect(await engine.store.leaseBatch({ runId, seq: 1, batchNo: 0 }, 0, { holder: 'other-delivery', untilMs: now + 60_000 }, now)).toBe(true);
    const queueArn = 'arn:aws:sqs:us-east-1:000000000000:work';

    const response = await engine.worker.handleSqsEvent({
      Records: [
        { messageId: 'm-1', receiptHandle: 'receipt-1', body: JSON.stringify(message(runId, executionName, 0)), attributes: {}, messageAttributes: {}, md5OfBody: '', eventSource: 'aws:sqs', eventSourceARN: queueArn, awsRegion: 'us-east-1' } as never,
      ],
    });

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
    // The harness's lease is 60 s; the deployed queue would otherwise keep it hidden for 30 minutes.
    expect(engine.workQueue.visibilityChanges).toEqual([{ queueArn, receiptHandle: 'receipt-1', seconds: 60 }]);
    expect(job.processed.size).toBe(0);
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

/**
 * A worker process that dies mid-batch (the invocation never returns: no outcome write, no lease
 * release) leaves its message to reappear after the visibility timeout, which is the lease time
 * (60 s in the harness). The redelivery must then find the batch free, not turn away for another
 * whole visibility timeout.
 */
describe('the batch worker after a worker process died mid-batch', () => {
  const T0 = '2026-11-25T12:00:00.000Z';
  const at = (seconds: number): string => new Date(Date.parse(T0) + seconds * 1000).toISOString();

  /** A process() call held until the test opens it; `reached` resolves when the call arrives. */
  class Gate {
    reached: Promise<void>;
    opened: Promise<void>;
    arrive: () => void = () => undefined;
    open: () => void = () => undefined;

    constructor() {
      this.reached = new Promise((resolve) => (this.arrive = resolve));
      this.opened = new Promise((resolve) => (this.open = resolve));
    }
  }

  /** SYNTHETIC whose process dies on one process() call, after that call's items were processed (done, never recorded). */
  class DyingJob implements JobHandler {
    readonly type = 'SYNTHETIC' as const;
    readonly batchSize = 20;
    readonly inner = new InstrumentedJob(20);
    readonly died: Promise<void>;
    private readonly gates = new Map<number, Gate>();
    private calls = 0;
    private markDead: () => void = () => undefined;

    constructor(private readonly dieOnCall: number) {
      this.died = new Promise((resolve) => (this.markDead = resolve));
    }

    /** Holds the n-th process() call (1-based) at a gate. */
    hold(call: number): Gate {
      const gate = new Gate();
      this.gates.set(call, gate);
      return gate;
    }

    parseSettings(settings: Record<string, unknown> | undefined): Record<string, unknown> {
      return this.inner.parseSettings(settings);
    }

    collect(ctx: JobContext): AsyncIterable<string> {
      return this.inner.collect(ctx);
    }

    async process(ctx: JobContext, itemIds: readonly string[]): Promise<ItemOutcome[]> {
      const call = ++this.calls;
      const gate = this.gates.get(call);
      if (gate) {
        gate.arrive();
        await gate.opened;
      }
      const outcomes = await this.inner.process(ctx, itemIds);
      if (call !== this.dieOnCall) return outcomes;
      this.markDead();
      return new Promise<never>(() => undefined);
    }
  }

  async function harnessWith(job: DyingJob): Promise<{ engine: EngineHarness; message: BatchMessage }> {
    const engine = await createEngineHarness({ registry: new JobRegistry([job]), chunkSize: 5, chunkConcurrency: 1, checkpointMs: 0 });
    engine.clock.set(T0);
    const schedule = await engine.addSchedule({ jobs: [{ type: 'SYNTHETIC', settings: { items: 20 } }] });
    const { run } = await engine.runs.trigger('acme', schedule.scheduleId, { processingDate: '2026-11-25' });
    const begun = await engine.steps.beginRun({ input: { clientId: 'acme', scheduleId: schedule.scheduleId, runId: run.runId, trigger: 'API' }, executionName: run.executionName });
    await engine.steps.beginJob({ runId: run.runId, index: begun.index, executionName: run.executionName });
    await engine.steps.collectWorkItems({ runId: run.runId, seq: 1, executionName: run.executionName });
    return { engine, message: { taskToken: 'token', runId: run.runId, seq: 1, batchNo: 0, executionName: run.executionName, finalAttempt: true } };
  }

  it('takes over, when the message reappears, a batch whose dead worker had checkpointed late in its visibility timeout', async () => {
    const job = new DyingJob(2);
    const firstChunk = job.hold(1);
    const { engine, message } = await harnessWith(job);

    void engine.worker.processBatch(message);
    await firstChunk.reached;
    engine.clock.set(at(30));
    firstChunk.open();
    await job.died;
    expect((await engine.runs.listItems('acme', message.runId, 1, { status: 'SUCCEEDED', limit: 100 })).items).toHaveLength(5);

    engine.clock.set(at(60));
    expect(await engine.worker.processBatch({ ...message, taskToken: 'redelivered' })).toBe('SUCCEEDED');

    // The checkpointed chunk ran once; the chunk the dead worker did without recording it ran again.
    expect(job.inner.processedMoreThanOnce().sort()).toEqual(['job1:item-0000005', 'job1:item-0000006', 'job1:item-0000007', 'job1:item-0000008', 'job1:item-0000009']);
    expect(job.inner.processed.size).toBe(20);
    const items = (await engine.runs.listItems('acme', message.runId, 1, { limit: 100 })).items;
    expect(items.every((item) => item.status === 'SUCCEEDED' && item.attempts === 1)).toBe(true);
    expect((await engine.runs.getRun('acme', message.runId)).jobs[0]?.stats).toMatchObject({ succeeded: 20, failed: 0 });
    expect(engine.callbacks.answers).toEqual([{ token: 'redelivered', ok: true }]);
  });

  it('takes over, the moment the message reappears, a batch whose dead worker never checkpointed', async () => {
    const job = new DyingJob(1);
    const { engine, message } = await harnessWith(job);

    void engine.worker.processBatch(message);
    await job.died;

    engine.clock.set(at(60));
    expect(await engine.worker.processBatch({ ...message, taskToken: 'redelivered' })).toBe('SUCCEEDED');

    expect(job.inner.processed.size).toBe(20);
    expect(engine.callbacks.answers).toEqual([{ token: 'redelivered', ok: true }]);
  });

  it('sends the message back, not away, when it lost the race to record to a delivery that then died', async () => {
    // Delivery A outlives its lease (a slow worker); B takes the batch; A records its first chunk
    // first and dies in its second; B cannot record. Nobody has answered the Map child yet.
    const job = new DyingJob(3);
    const firstChunkOfA = job.hold(1);
    const firstChunkOfB = job.hold(2);
    const { engine, message } = await harnessWith(job);

    void engine.worker.processBatch(message);
    await firstChunkOfA.reached;
    engine.clock.set(at(90));
    const b = engine.worker.processBatch({ ...message, taskToken: 'b' });
    await firstChunkOfB.reached;
    firstChunkOfA.open();
    await job.died;
    firstChunkOfB.open();

    await expect(b).rejects.toThrow(BatchBusyError);
    expect(engine.callbacks.answers).toEqual([]);

    engine.clock.set(at(200));
    expect(await engine.worker.processBatch({ ...message, taskToken: 'c' })).toBe('SUCCEEDED');
    expect(engine.callbacks.answers).toEqual([{ token: 'c', ok: true }]);
    const items = (await engine.runs.listItems('acme', message.runId, 1, { limit: 100 })).items;
    expect(items.every((item) => item.status === 'SUCCEEDED')).toBe(true);
    expect((await engine.runs.getRun('acme', message.runId)).jobs[0]?.stats).toMatchObject({ succeeded: 20, failed: 0 });
  });
});

describe('the batch worker with the chunks of a batch in parallel', () => {
  let engine: EngineHarness;
  let job: InstrumentedJob;

  beforeEach(async () => {
    job = new InstrumentedJob(40);
    engine = await createEngineHarness({ registry: new JobRegistry([job]), chunkSize: 5, chunkConcurrency: 4, checkpointMs: 0 });
  });

  async function startBatch(): Promise<BatchMessage> {
    const schedule = await engine.addSchedule({ jobs: [{ type: 'SYNTHETIC', settings: { items: 40 } }] });
    const { run } = await engine.runs.trigger('acme', schedule.scheduleId, { processingDate: '2026-11-25' });
    const begun = await engine.steps.beginRun({ input: { clientId: 'acme', scheduleId: schedule.scheduleId, runId: run.runId, trigger: 'API' }, executionName: run.executionName });
    await engine.steps.beginJob({ runId: run.runId, index: begun.index, executionName: run.executionName });
    expect(await engine.steps.collectWorkItems({ runId: run.runId, seq: 1, executionName: run.executionName })).toEqual({ batches: [0] });
    return { taskToken: 'token', runId: run.runId, seq: 1, batchNo: 0, executionName: run.executionName, finalAttempt: true };
  }

  it('works on four chunks at once and records every item once, checkpoints included', async () => {
    const message = await startBatch();

    expect(await engine.worker.processBatch(message)).toBe('SUCCEEDED');

    expect(job.maxConcurrentCalls).toBe(4);
    expect(job.processed.size).toBe(40);
    expect(job.everyItemProcessed(1)).toBe(true);
    const items = (await engine.runs.listItems('acme', message.runId, 1, { limit: 100 })).items;
    expect(items.every((item) => item.status === 'SUCCEEDED' && item.attempts === 1)).toBe(true);
    expect((await engine.runs.getRun('acme', message.runId)).jobs[0]?.stats).toMatchObject({ total: 40, succeeded: 40, failed: 0 });
  });

  it('saves the chunks that ended when one throws, and the retry works only on the rest', async () => {
    const message = await startBatch();
    job.crashOnCalls = new Set([2]);

    await expect(engine.worker.processBatch(message)).rejects.toThrow('worker crash on call 2');
    // Chunks 1, 3 and 4 were running beside the one that threw: they end and are saved; no fifth starts.
    expect((await engine.runs.listItems('acme', message.runId, 1, { status: 'SUCCEEDED', limit: 100 })).items).toHaveLength(15);
    expect((await engine.runs.getRun('acme', message.runId)).jobs[0]?.stats).toMatchObject({ succeeded: 15, failed: 0 });

    expect(await engine.worker.processBatch({ ...message, taskToken: 'retry' })).toBe('SUCCEEDED');
    expect(job.processedMoreThanOnce()).toEqual([]);
    expect(job.processed.size).toBe(40);
    expect((await engine.runs.getRun('acme', message.runId)).jobs[0]?.stats).toMatchObject({ succeeded: 40, failed: 0 });
  });
});
