import { beforeEach, describe, expect, it } from 'vitest';
import { JobRegistry, type ItemOutcome, type JobContext, type JobHandler } from '../../lambdas/domain/job-registry';
import type { JobSpec } from '../../lambdas/domain/model';
import type { BatchMessage } from '../../lambdas/services/worker-service';
import { createEngineHarness, type EngineHarness } from '../support/engine-harness';

/**
 * A job whose due items grow between runs, as usage becomes ratable once a rate is fixed: its
 * collect streams `due`, and an item in `broken` fails. It counts how often each item is processed.
 */
class GrowingJob implements JobHandler {
  readonly type = 'BILLING' as const;
  readonly due: string[] = [];
  readonly broken = new Set<string>();
  readonly processed = new Map<string, number>();
  /** Throws after streaming this many items, once: a collect that dies half way. */
  dieAfter: number | undefined;

  constructor(readonly batchSize: number) {}

  parseSettings(): Record<string, unknown> {
    return {};
  }

  async *collect(): AsyncIterable<string> {
    let streamed = 0;
    for (const item of [...this.due]) {
      if (streamed++ === this.dieAfter) {
        this.dieAfter = undefined;
        throw new Error('collect died');
      }
      yield item;
    }
  }

  async process(_ctx: JobContext, itemIds: readonly string[]): Promise<ItemOutcome[]> {
    return itemIds.map((id) => {
      this.processed.set(id, (this.processed.get(id) ?? 0) + 1);
      return this.broken.has(id) ? { ok: false, error: { code: 'BROKEN', message: `${id} is broken` } } : { ok: true };
    });
  }
}

describe('reprocess after a fix, and jobs that CONTINUE past failed items', () => {
  let engine: EngineHarness;
  let job: GrowingJob;

  beforeEach(async () => {
    job = new GrowingJob(2);
    engine = await createEngineHarness({ registry: new JobRegistry([job]), checkpointMs: 0 });
  });

  async function startRun(jobs: JobSpec[]): Promise<{ runId: string; executionName: string }> {
    const schedule = await engine.addSchedule({ jobs });
    const { run } = await engine.runs.trigger('acme', schedule.scheduleId, { processingDate: '2026-11-25' });
    await engine.steps.beginRun({ input: { clientId: 'acme', scheduleId: schedule.scheduleId, runId: run.runId, trigger: 'API' }, executionName: run.executionName });
    return { runId: run.runId, executionName: run.executionName };
  }

  const message = (runId: string, executionName: string, seq: number, batchNo: number, finalAttempt = true): BatchMessage => ({
    taskToken: `token-${executionName}-${seq}-${batchNo}-${finalAttempt}`,
    runId,
    seq,
    batchNo,
    executionName,
    finalAttempt,
  });

  /** One job through BeginJob, CollectWorkItems and each returned batch's final attempt. */
  async function runJob(runId: string, executionName: string, seq: number): Promise<number[]> {
    await engine.steps.beginJob({ runId, index: seq - 1, executionName });
    const { batches } = await engine.steps.collectWorkItems({ runId, seq, executionName });
    for (const batchNo of batches) await engine.worker.processBatch(message(runId, executionName, seq, batchNo));
    return batches;
  }

  /** The items of the job's batches, in batch order: each item once, in the one batch that holds its outcome. */
  async function itemsOfJob(runId: string, seq: number): Promise<string[]> {
    const count = (await engine.store.getRun(runId, true))?.jobs[seq - 1]?.batchCount ?? 0;
    const ids: string[] = [];
    for (let batchNo = 0; batchNo < count; batchNo++) ids.push(...((await engine.store.getBatch(runId, seq, batchNo))?.itemIds ?? []));
    return ids;
  }

  it('answers the retry pass of a CONTINUE job with success, marks the job FAILED, goes on, and ends the run FAILED naming it', async () => {
    job.due.push('a', 'b', 'c');
    job.broken.add('b');
    const { runId, executionName } = await startRun([{ type: 'BILLING', onItemFailure: 'CONTINUE' }]);

    const batches = await runJob(runId, executionName, 1);

    expect(batches).toEqual([0, 1]);
    expect(engine.callbacks.answers.map((answer) => answer.ok)).toEqual([true, true]);
    expect(await engine.steps.finalizeJob({ runId, seq: 1, index: 0, executionName })).toBe(1);
    expect(await engine.steps.beginJob({ runId, index: 1, executionName })).toEqual({ action: 'FAIL' });
    expect(await engine.steps.completeRun({ runId, executionName })).toEqual({ status: 'FAILED' });
    const run = await engine.runs.getRun('acme', runId);
    expect(run.status).toBe('FAILED');
    expect(run.error).toEqual({ code: 'ITEMS_FAILED', message: '1 work items of job 1 (BILLING) failed', seq: 1 });
    expect(run.jobs[0]).toMatchObject({ status: 'FAILED', onItemFailure: 'CONTINUE', stats: { total: 3, succeeded: 2, failed: 1, pending: 0 } });
  });

  it('keeps STOP as it was: the retry pass fails the Map child with the failed items', async () => {
    job.due.push('a', 'b');
    job.broken.add('b');
    const { runId, executionName } = await startRun([{ type: 'BILLING', onItemFailure: 'STOP' }]);

    await runJob(runId, executionName, 1);

    expect(engine.callbacks.answers).toEqual([expect.objectContaining({ ok: false, error: 'ItemsFailed' })]);
    await expect(engine.steps.finalizeJob({ runId, seq: 1, index: 0, executionName })).rejects.toThrow('1 failed and 0 unfinished');
  });

  it('reprocessing the run collects each reopened job again: items that became due since get new batches beside the failed ones, none is processed twice', async () => {
    job.due.push('a', 'b', 'c');
    job.broken.add('b');
    const { runId, executionName } = await startRun([{ type: 'BILLING', onItemFailure: 'CONTINUE' }]);
    await runJob(runId, executionName, 1);
    await engine.steps.finalizeJob({ runId, seq: 1, index: 0, executionName });
    await engine.steps.completeRun({ runId, executionName });

    job.broken.clear();
    job.due.push('d', 'e', 'f');
    const reprocessed = await engine.runs.reprocess('acme', runId, { scope: 'RUN' });
    const batches = await runJob(runId, reprocessed.executionName, 1);
    await engine.steps.finalizeJob({ runId, seq: 1, index: 0, executionName: reprocessed.executionName });
    expect(await engine.steps.beginJob({ runId, index: 1, executionName: reprocessed.executionName })).toEqual({ action: 'COMPLETE' });
    await engine.steps.completeRun({ runId, executionName: reprocessed.executionName });

    expect(batches).toEqual([0, 2, 3]);
    expect(Object.fromEntries(job.processed)).toEqual({ a: 1, b: 2, c: 1, d: 1, e: 1, f: 1 });
    const run = await engine.runs.getRun('acme', runId);
    expect(run.status).toBe('COMPLETED');
    expect(run.jobs[0]).toMatchObject({ status: 'COMPLETED', stats: { total: 6, succeeded: 6, failed: 0, pending: 0 } });
    expect(run.jobs[0]).not.toHaveProperty('collectAgain');
    expect(await itemsOfJob(runId, 1)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    // A retry or redrive of that collect returns the same batches with work and adds none.
    expect(await engine.steps.collectWorkItems({ runId, seq: 1, executionName: reprocessed.executionName })).toEqual({ batches: [] });
    expect(await itemsOfJob(runId, 1)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('a re-collect that dies half way is done again over the same batch numbers, without duplicating an item', async () => {
    job.due.push('a', 'b');
    job.broken.add('b');
    const { runId, executionName } = await startRun([{ type: 'BILLING', onItemFailure: 'CONTINUE' }]);
    await runJob(runId, executionName, 1);
    await engine.steps.finalizeJob({ runId, seq: 1, index: 0, executionName });
    await engine.steps.completeRun({ runId, executionName });
    const fresh = Array.from({ length: 60 }, (_, i) => `n${String(i).padStart(2, '0')}`);
    job.due.push(...fresh);

    const reprocessed = await engine.runs.reprocess('acme', runId, { scope: 'RUN' });
    await engine.steps.beginJob({ runId, index: 0, executionName: reprocessed.executionName });
    // 2 known items, then 52 new ones: 26 new batches, 25 of them written in one round, before it dies.
    job.dieAfter = 54;
    await expect(engine.steps.collectWorkItems({ runId, seq: 1, executionName: reprocessed.executionName })).rejects.toThrow('collect died');
    const { batches } = await engine.steps.collectWorkItems({ runId, seq: 1, executionName: reprocessed.executionName });

    expect(batches).toEqual(Array.from({ length: 31 }, (_, i) => i));
    expect(await itemsOfJob(runId, 1)).toEqual(['a', 'b', ...fresh]);
    expect((await engine.runs.getRun('acme', runId)).jobs[0]?.stats).toEqual({ total: 62, succeeded: 1, failed: 1, pending: 60 });
  });
});
