import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoRunStore } from '../../lambdas/adapters/aws/dynamo-run-store';
import { RUNS_TABLE } from '../../lambdas/adapters/aws/table-definitions';
import { TransientStoreError } from '../../lambdas/domain/errors';
import { JobRegistry, type JobContext, type JobHandler } from '../../lambdas/domain/job-registry';
import { emptyStats } from '../../lambdas/domain/model';
import { SyntheticJob } from '../../lambdas/jobs/synthetic-job';
import { collectWorkItems } from '../../lambdas/services/steps/collect-work-items';
import { createTestTables, type TestTables } from '../support/dynamo';
import { runDraftFixture } from '../support/fixtures';

/** SYNTHETIC, counting the items its discovery yields, with or without its seek (collectAfter). */
function countingSynthetic(seeks: boolean): { handler: JobHandler; yielded: string[] } {
  const inner = new SyntheticJob();
  const yielded: string[] = [];
  async function* counted(items: AsyncIterable<string>): AsyncIterable<string> {
    for await (const item of items) {
      yielded.push(item);
      yield item;
    }
  }
  const handler: JobHandler = {
    type: inner.type,
    batchSize: inner.batchSize,
    batchSizeFor: (settings) => inner.batchSizeFor(settings),
    parseSettings: (settings) => inner.parseSettings(settings),
    process: (ctx, itemIds) => inner.process(ctx, itemIds),
    collect: (ctx: JobContext) => counted(inner.collect(ctx)),
    ...(seeks ? { collectAfter: (ctx: JobContext, after: string) => counted(inner.collectAfter(ctx, after)) } : {}),
  };
  return { handler, yielded };
}

/** The run store, failing the `failAt`-th write of a page of batches as a Lambda timeout would end it. */
function storeFailingAt(tables: TestTables, failAt: number): DynamoRunStore {
  const store = new DynamoRunStore(tables.document, tables.tableName(RUNS_TABLE));
  const putBatches = store.putBatches.bind(store);
  let pages = 0;
  store.putBatches = async (runId, seq, batches) => {
    if (++pages === failAt) throw new TransientStoreError('the function timed out here');
    return putBatches(runId, seq, batches);
  };
  return store;
}

describe('CollectWorkItems resumes from its cursor on DynamoDB Local', () => {
  let tables: TestTables;

  beforeAll(async () => {
    tables = await createTestTables();
  });

  async function claim(processingDate: string): Promise<{ runId: string; executionName: string }> {
    const store = new DynamoRunStore(tables.document, tables.tableName(RUNS_TABLE));
    const { run } = await store.claimRun(
      runDraftFixture({
        processingDate,
        status: 'RUNNING',
        jobs: [{ seq: 1, type: 'SYNTHETIC', settings: { items: 10_000, failItems: [], delayMs: 0, batchSize: 100 }, status: 'RUNNING', stats: emptyStats(), generation: 0 }],
      }),
    );
    return run;
  }

  async function storedItems(runId: string): Promise<string[]> {
    const store = new DynamoRunStore(tables.document, tables.tableName(RUNS_TABLE));
    const items: string[] = [];
    for await (const summary of store.batchSummaries(runId, 1)) items.push(...((await store.getBatch(runId, 1, summary.batchNo))?.itemIds ?? []));
    return items;
  }

  it('continues after the last stored page when interrupted half way: no item collected twice, none lost', async () => {
    const run = await claim('2026-12-01');
    const input = { runId: run.runId, seq: 1, executionName: run.executionName };
    // 10,000 items, 100 per batch: four pages of 25 batches; the third page's write dies.
    const first = countingSynthetic(true);
    await expect(collectWorkItems({ runs: storeFailingAt(tables, 3), registry: new JobRegistry([first.handler]), clock: { now: () => new Date() } }, input)).rejects.toThrow(
      TransientStoreError,
    );

    const retry = countingSynthetic(true);
    const runs = new DynamoRunStore(tables.document, tables.tableName(RUNS_TABLE));
    const { batches } = await collectWorkItems({ runs, registry: new JobRegistry([retry.handler]), clock: { now: () => new Date() } }, input);

    expect(batches).toEqual(Array.from({ length: 100 }, (_, i) => i));
    // The retry read only what the first attempt had not stored: pages 3 and 4.
    expect(retry.yielded).toHaveLength(5_000);
    expect(retry.yielded[0]).toBe('item-0005000');
    const items = await storedItems(run.runId);
    expect(items).toHaveLength(10_000);
    expect(new Set(items).size).toBe(10_000);
    const job = (await runs.getRun(run.runId, true))?.jobs[0];
    expect(job).toMatchObject({ batchCount: 100, stats: { total: 10_000, pending: 10_000 } });
  }, 120_000);

  it('starts again from the first item where the job type cannot seek, writing the same batches again', async () => {
    const run = await claim('2026-12-02');
    const input = { runId: run.runId, seq: 1, executionName: run.executionName };
    await expect(collectWorkItems({ runs: storeFailingAt(tables, 2), registry: new JobRegistry([countingSynthetic(false).handler]), clock: { now: () => new Date() } }, input)).rejects.toThrow();

    const retry = countingSynthetic(false);
    const runs = new DynamoRunStore(tables.document, tables.tableName(RUNS_TABLE));
    const { batches } = await collectWorkItems({ runs, registry: new JobRegistry([retry.handler]), clock: { now: () => new Date() } }, input);

    expect(batches).toHaveLength(100);
    expect(retry.yielded).toHaveLength(10_000);
    const items = await storedItems(run.runId);
    expect(new Set(items).size).toBe(10_000);
    expect((await runs.getRun(run.runId, true))?.jobs[0]?.stats.total).toBe(10_000);
  }, 120_000);
});
