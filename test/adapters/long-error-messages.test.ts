import { describe, expect, it } from 'vitest';
import { JobRegistry, type JobHandler } from '../../lambdas/domain/job-registry';
import { SyntheticJob } from '../../lambdas/jobs/synthetic-job';
import { MAX_ERROR_MESSAGE_CHARS } from '../../lambdas/services/worker-service';
import { createEngineHarness } from '../support/engine-harness';

/** SYNTHETIC whose every item fails with a 10 KB message, as a core billing error page might read. */
function failingLoudly(): JobHandler {
  const inner = new SyntheticJob();
  return {
    type: 'SYNTHETIC',
    batchSize: inner.batchSize,
    batchSizeFor: (settings) => inner.batchSizeFor(settings),
    parseSettings: (settings) => inner.parseSettings(settings),
    collect: (ctx) => inner.collect(ctx),
    process: async (_ctx, itemIds) => itemIds.map((itemId) => ({ ok: false, error: { code: 'CORE_BILLING_REFUSED', message: `${itemId}: ${'x'.repeat(10_240)}` } })),
  };
}

describe('failed items with long error messages, on DynamoDB Local', () => {
  it('a batch of 500 items that all fail with 10 KB messages finishes, each message kept to its first characters', async () => {
    const engine = await createEngineHarness({ registry: new JobRegistry([failingLoudly()]), chunkSize: 100, checkpointMs: 0 });
    const schedule = await engine.addSchedule({ jobs: [{ type: 'SYNTHETIC', settings: { items: 500 } }] });
    const { run } = await engine.runs.trigger('acme', schedule.scheduleId, { processingDate: '2026-11-25' });
    const executionName = run.executionName;
    const begun = await engine.steps.beginRun({ input: { clientId: 'acme', scheduleId: schedule.scheduleId, runId: run.runId, trigger: 'API' }, executionName });
    await engine.steps.beginJob({ runId: run.runId, index: begun.index, executionName });
    const { batches } = await engine.steps.collectWorkItems({ runId: run.runId, seq: 1, executionName });
    expect(batches).toEqual([0]);

    // Uncapped, the outcome (500 x 10 KB) is past DynamoDB's 400 KB item limit and its write fails every delivery.
    expect(await engine.worker.processBatch({ taskToken: 't', runId: run.runId, seq: 1, batchNo: 0, executionName, finalAttempt: true })).toBe('FAILED');

    const failed = await engine.runs.listItems('acme', run.runId, 1, { status: 'FAILED', limit: 500 });
    expect(failed.items).toHaveLength(500);
    expect(failed.items[0]?.error?.code).toBe('CORE_BILLING_REFUSED');
    expect(failed.items[0]?.error?.message).toHaveLength(MAX_ERROR_MESSAGE_CHARS);
    expect(failed.items[0]?.error?.message).toMatch(/^item-0000000: x+…$/);
    expect(engine.callbacks.answers).toMatchObject([{ token: 't', ok: false, error: 'ItemsFailed' }]);
  }, 120_000);
});
