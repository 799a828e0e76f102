import { afterEach, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lambdas/composition/local-runtime';
import { JobRegistry, type JobHandler } from '../../lambdas/domain/job-registry';
import type { JobSpec } from '../../lambdas/domain/model';
import { silentLogger } from '../support/engine-harness';
import { InstrumentedJob } from '../support/instrumented-job';
import { startTestRuntime, waitForRun } from '../support/local-runtime';

/**
 * statemachines/schedule-run.asl.json executed end to end by the local interpreter, with the
 * real step handlers, worker, queue and DynamoDB Local.
 */

/** A BILLING job with no account due: a job type that finds no work items. */
const billingWithNothingDue: JobHandler = {
  type: 'BILLING',
  batchSize: 250,
  parseSettings: (settings) => settings ?? {},
  collect: async function* () {
    yield* [];
  },
  process: async () => [],
};

// A bound for a machine shared by many test runs (a runtime's tables alone can take 20 s there), not a speed check.
describe('the schedule-run state machine, executed locally', { timeout: 180_000 }, () => {
  let runtime: LocalRuntime | undefined;
  let job: InstrumentedJob;

  afterEach(async () => {
    await runtime?.stop();
    runtime = undefined;
  });

  async function start(options: Parameters<typeof startTestRuntime>[0] = {}): Promise<LocalRuntime> {
    job = new InstrumentedJob(100);
    const registry = new JobRegistry([job, billingWithNothingDue]);
    // The visibility timeout (and so the worker's lease) must outlast a batch's processing, as in
    // the deployed stack: a loaded machine can take seconds for one, and a message that comes back
    // while its batch is being processed processes the batch's failed items again (one more attempt).
    runtime = await startTestRuntime({ registry, worker: { checkpointMs: 0, visibilityTimeoutMs: 15_000 }, mapMaxConcurrency: 4, ...options });
    await runtime.schedules.putClient('acme', { name: 'Acme', timezone: 'America/New_York' });
    return runtime;
  }

  async function schedule(rt: LocalRuntime, jobs: JobSpec[]): Promise<string> {
    const created = await rt.schedules.createSchedule('acme', {
      name: `Schedule ${Math.random()}`,
      frequency: { type: 'MANUAL' },
      executionTime: '01:00:00',
      timezone: 'America/New_York',
      exceptionWindows: [],
      jobs,
      enabled: true,
    });
    return created.scheduleId;
  }

  it('runs every job in sequence to COMPLETED, each item once', async () => {
    const rt = await start();
    const scheduleId = await schedule(rt, [{ type: 'SYNTHETIC', settings: { items: 1000 } }, { type: 'SYNTHETIC', settings: { items: 250 } }]);

    const { run } = await rt.engine.runs.trigger('acme', scheduleId, { processingDate: '2026-11-25' });
    expect(run.status).toBe('PENDING');
    const done = await waitForRun(rt, 'acme', run.runId, ['COMPLETED', 'FAILED']);

    expect(done.status).toBe('COMPLETED');
    expect(done.jobs.map((j) => [j.status, j.stats.total, j.stats.succeeded])).toEqual([
      ['COMPLETED', 1000, 1000],
      ['COMPLETED', 250, 250],
    ]);
    expect(done.stats.items).toEqual({ total: 1250, succeeded: 1250, failed: 0, pending: 0 });
    expect(job.processedMoreThanOnce()).toEqual([]);
    expect(done.endedAt).toBeDefined();
  });

  it('completes a job with no work items by itself', async () => {
    const rt = await start();
    const scheduleId = await schedule(rt, [{ type: 'SYNTHETIC', settings: { items: 0 } }, { type: 'BILLING' }]);

    const { run } = await rt.engine.runs.trigger('acme', scheduleId, { processingDate: '2026-11-25' });
    const done = await waitForRun(rt, 'acme', run.runId, ['COMPLETED', 'FAILED']);

    expect(done.status).toBe('COMPLETED');
    expect(done.jobs.map((j) => [j.status, j.stats.total])).toEqual([
      ['COMPLETED', 0],
      ['COMPLETED', 0],
    ]);
  });

  it('fails the run at the job whose items failed, stops the sequence, and a healing reprocess completes it', async () => {
    const rt = await start();
    const scheduleId = await schedule(rt, [{ type: 'SYNTHETIC', settings: { items: 500, failItems: [7, 450] } }, { type: 'SYNTHETIC', settings: { items: 10 } }]);

    const { run } = await rt.engine.runs.trigger('acme', scheduleId, { processingDate: '2026-11-25' });
    const failed = await waitForRun(rt, 'acme', run.runId, ['COMPLETED', 'FAILED']);

    expect(failed.status).toBe('FAILED');
    expect(failed.error).toMatchObject({ code: 'ITEMS_FAILED', seq: 1 });
    expect(failed.jobs.map((j) => j.status)).toEqual(['FAILED', 'PENDING']);
    expect(failed.jobs[0]?.stats.failed).toBe(2);
    const failedItems = await rt.engine.runs.listItems('acme', run.runId, 1, { status: 'FAILED', limit: 100 });
    expect(failedItems.items.map((i) => i.itemId)).toEqual(['item-0000007', 'item-0000450']);

    const reprocessed = await rt.engine.runs.reprocess('acme', run.runId, { scope: 'RUN', heal: true });
    // API.md: PENDING or RUNNING, never the previous terminal status (the local execution may
    // already have begun when the reprocess reads the run back).
    expect(['PENDING', 'RUNNING']).toContain(reprocessed.status);
    const completed = await waitForRun(rt, 'acme', run.runId, ['COMPLETED', 'FAILED']);

    expect(completed.status).toBe('COMPLETED');
    expect(completed.error).toBeUndefined();
    expect(completed.jobs.map((j) => j.status)).toEqual(['COMPLETED', 'COMPLETED']);
    const items = (await rt.engine.runs.listItems('acme', run.runId, 1, { limit: 1000 })).items;
    // attempt 1: first pass; 2: the automatic retry pass; 3: the healing reprocess.
    expect(items.filter((i) => i.attempts !== 1).map((i) => [i.itemId, i.attempts])).toEqual([
      ['item-0000007', 3],
      ['item-0000450', 3],
    ]);
    expect(job.processed.get('job1:item-0000008')).toBe(1);
  });

  it('lets the sequence go on past a CONTINUE job with failed items, ends the run and the execution FAILED, and a healing reprocess completes it', async () => {
    const rt = await start();
    const ended: string[] = [];
    rt.orchestrator.onExecutionEnd((event) => void ended.push(event.status));
    const scheduleId = await schedule(rt, [
      { type: 'SYNTHETIC', settings: { items: 300, failItems: [7] }, onItemFailure: 'CONTINUE' },
      { type: 'SYNTHETIC', settings: { items: 20 } },
    ]);

    const { run } = await rt.engine.runs.trigger('acme', scheduleId, { processingDate: '2026-11-25' });
    const failed = await waitForRun(rt, 'acme', run.runId, ['COMPLETED', 'FAILED']);
    await rt.orchestrator.idle();

    expect(failed.status).toBe('FAILED');
    expect(ended).toEqual(['FAILED']);
    expect(failed.error).toMatchObject({ code: 'ITEMS_FAILED', seq: 1 });
    expect(failed.jobs.map((j) => [j.status, j.stats.total, j.stats.succeeded, j.stats.failed])).toEqual([
      ['FAILED', 300, 299, 1],
      ['COMPLETED', 20, 20, 0],
    ]);

    await rt.engine.runs.reprocess('acme', run.runId, { scope: 'RUN', heal: true });
    const completed = await waitForRun(rt, 'acme', run.runId, ['COMPLETED', 'FAILED']);

    expect(completed.status).toBe('COMPLETED');
    expect(completed.jobs.map((j) => j.status)).toEqual(['COMPLETED', 'COMPLETED']);
    // item 7: the first pass, the retry pass, the healing reprocess; every other item once.
    expect(job.processedMoreThanOnce()).toEqual(['job1:item-0000007']);
    expect(job.processed.get('job1:item-0000007')).toBe(3);
  });

  it('reprocesses one job with ALL items and then the rest of the sequence', async () => {
    const rt = await start();
    const scheduleId = await schedule(rt, [{ type: 'SYNTHETIC', settings: { items: 200 } }, { type: 'SYNTHETIC', settings: { items: 30 } }]);
    const { run } = await rt.engine.runs.trigger('acme', scheduleId, { processingDate: '2026-11-25' });
    await waitForRun(rt, 'acme', run.runId, ['COMPLETED']);

    await rt.engine.runs.reprocess('acme', run.runId, { scope: 'JOB', seq: 1, items: 'ALL' });
    const done = await waitForRun(rt, 'acme', run.runId, ['COMPLETED', 'FAILED']);

    expect(done.status).toBe('COMPLETED');
    const first = (await rt.engine.runs.listItems('acme', run.runId, 1, { limit: 1000 })).items;
    const second = (await rt.engine.runs.listItems('acme', run.runId, 2, { limit: 1000 })).items;
    expect(first.every((i) => i.attempts === 2)).toBe(true);
    expect(second.every((i) => i.attempts === 1)).toBe(true);
  });

  it('resets a running run: the execution stops, and a new trigger creates attempt 2', async () => {
    const rt = await start();
    const scheduleId = await schedule(rt, [{ type: 'SYNTHETIC', settings: { items: 2000, delayMs: 200 } }]);
    const { run } = await rt.engine.runs.trigger('acme', scheduleId, { processingDate: '2026-11-25' });
    await waitForRun(rt, 'acme', run.runId, ['RUNNING']);

    const reset = await rt.engine.runs.reset('acme', run.runId);
    await rt.orchestrator.idle();

    expect(reset.status).toBe('RESET');
    expect((await rt.engine.runs.getRun('acme', run.runId)).status).toBe('RESET');
    expect(rt.orchestrator.running()).toEqual([]);
    const again = await rt.engine.runs.trigger('acme', scheduleId, { processingDate: '2026-11-25' });
    expect(again.created).toBe(true);
    expect(again.run.attempt).toBe(2);
    expect(again.run.runId).not.toBe(run.runId);
  });

  it('survives worker crashes and duplicate deliveries without processing an item twice', async () => {
    // Short, so crashed batches come back soon; long enough that a lease does not end mid-batch,
    // when a duplicate would take the batch over and process the chunk under way a second time.
    const rt = await start({ worker: { checkpointMs: 0, visibilityTimeoutMs: 5_000, duplicateRate: 0.3 } });
    job.crashOnCalls = new Set([2, 5, 9]);
    const scheduleId = await schedule(rt, [{ type: 'SYNTHETIC', settings: { items: 1000, batchSize: 100 } }]);

    const { run } = await rt.engine.runs.trigger('acme', scheduleId, { processingDate: '2026-11-25' });
    const done = await waitForRun(rt, 'acme', run.runId, ['COMPLETED', 'FAILED']);

    expect(done.status).toBe('COMPLETED');
    expect(job.processed.size).toBe(1000);
    expect(job.processedMoreThanOnce()).toEqual([]);
    const items = (await rt.engine.runs.listItems('acme', run.runId, 1, { limit: 1000 })).items;
    expect(items.every((i) => i.attempts === 1)).toBe(true);
    expect(rt.deadLetterQueue.approximateDepth()).toBe(0);
  });

  it('is safe to redrive from the console: the run reads RUNNING again, and only failed items are retried', async () => {
    const rt = await start();
    job.broken = new Set(['item-0000003']);
    const scheduleId = await schedule(rt, [{ type: 'SYNTHETIC', settings: { items: 300 } }, { type: 'SYNTHETIC', settings: { items: 5 } }]);
    const { run } = await rt.engine.runs.trigger('acme', scheduleId, { processingDate: '2026-11-25' });
    const failed = await waitForRun(rt, 'acme', run.runId, ['FAILED']);
    expect(failed.jobs[0]?.stats.failed).toBe(1);

    job.broken.clear();
    await rt.orchestrator.redrive(failed.executionName);
    const done = await waitForRun(rt, 'acme', run.runId, ['COMPLETED', 'FAILED']);

    expect(done.status).toBe('COMPLETED');
    expect(done.jobs.map((j) => j.status)).toEqual(['COMPLETED', 'COMPLETED']);
    expect(job.processedMoreThanOnce()).toEqual(['job1:item-0000003']);
    const items = (await rt.engine.runs.listItems('acme', run.runId, 1, { limit: 1000 })).items;
    // attempt 1: first pass; 2: the automatic retry pass that failed the execution; 3: the redrive.
    expect(items.filter((i) => i.attempts !== 1).map((i) => [i.itemId, i.attempts])).toEqual([['item-0000003', 3]]);
  });

  it('resumes a run after the runtime stopped in the middle of it, without processing an item twice', async () => {
    const first = await start({ resume: false });
    const scheduleId = await schedule(first, [{ type: 'SYNTHETIC', settings: { items: 3000, batchSize: 100, delayMs: 40 } }]);
    // The first runtime's workers stop at 300 items: however long its stop takes, it cannot finish the run.
    job.haltAt = 300;
    const { run } = await first.engine.runs.trigger('acme', scheduleId, { processingDate: '2026-11-25' });
    while (job.processed.size < 300) await new Promise((resolve) => setTimeout(resolve, 25));
    const before = new Map(job.processed);
    await first.stop();
    runtime = undefined;
    job.haltAt = undefined;

    const registry = new JobRegistry([job]);
    const second = await startTestRuntime({
      registry,
      tablePrefix: first.tablePrefix,
      // A batch the halted worker had leased is busy until its lease ends, then taken again.
      worker: { checkpointMs: 0, visibilityTimeoutMs: 15_000 },
      logger: silentLogger,
    });
    runtime = second;
    expect(second.resumed).toEqual([run.runId]);
    const done = await waitForRun(second, 'acme', run.runId, ['COMPLETED', 'FAILED'], 120_000);

    expect(done.status).toBe('COMPLETED');
    expect(done.stats.items).toEqual({ total: 3000, succeeded: 3000, failed: 0, pending: 0 });
    expect(before.size).toBeGreaterThan(0);
    expect(job.processedMoreThanOnce()).toEqual([]);
  });
});
