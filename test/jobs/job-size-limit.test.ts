import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoRunStore } from '../../lambdas/adapters/aws/dynamo-run-store';
import { RUNS_TABLE } from '../../lambdas/adapters/aws/table-definitions';
import { ValidationError } from '../../lambdas/domain/errors';
import { JobRegistry, MAX_JOB_BATCHES } from '../../lambdas/domain/job-registry';
import { emptyStats } from '../../lambdas/domain/model';
import { SyntheticJob } from '../../lambdas/jobs/synthetic-job';
import { collectWorkItems } from '../../lambdas/services/steps/collect-work-items';
import { createTestTables, type TestTables } from '../support/dynamo';
import { runDraftFixture } from '../support/fixtures';

describe('a job past the batches a Map can carry', () => {
  let tables: TestTables;

  beforeAll(async () => {
    tables = await createTestTables();
  });

  /** The run store on DynamoDB Local, counting batch writes instead of making 40,000 of them. */
  function countingStore(): { runs: DynamoRunStore; written: () => number } {
    const runs = new DynamoRunStore(tables.document, tables.tableName(RUNS_TABLE));
    let written = 0;
    runs.putBatches = async (_runId, _seq, batches) => {
      written += batches.length;
    };
    runs.saveCollectCursor = async () => undefined;
    return { runs, written: () => written };
  }

  async function collectSynthetic(processingDate: string, items: number): Promise<{ result: Promise<{ batches: number[] }>; written: () => number }> {
    const { runs, written } = countingStore();
    // Settings as a stored run may hold them (a ledger job has no such check at save): one item per batch.
    const { run } = await runs.claimRun(
      runDraftFixture({ processingDate, status: 'RUNNING', jobs: [{ seq: 1, type: 'SYNTHETIC', settings: { items, failItems: [], delayMs: 0, batchSize: 1 }, status: 'RUNNING', stats: emptyStats(), generation: 0 }] }),
    );
    const result = collectWorkItems({ runs, registry: new JobRegistry([new SyntheticJob()]), clock: { now: () => new Date() } }, { runId: run.runId, seq: 1, executionName: run.executionName });
    return { result, written };
  }

  it('fails the collect with JOB_TOO_LARGE, naming the items and the batch size, before the Map is given its batches', async () => {
    const { result, written } = await collectSynthetic('2026-03-01', MAX_JOB_BATCHES + 1);
    await expect(result).rejects.toMatchObject({
      name: 'JOB_TOO_LARGE',
      message: expect.stringContaining(`more than ${MAX_JOB_BATCHES} items in batches of 1 exceed the ${MAX_JOB_BATCHES} batches`),
    });
    expect(written()).toBe(MAX_JOB_BATCHES);
  }, 120_000);

  it('runs a job of exactly the limit', async () => {
    const { result } = await collectSynthetic('2026-03-02', MAX_JOB_BATCHES);
    expect((await result).batches).toHaveLength(MAX_JOB_BATCHES);
  }, 120_000);

  it('refuses SYNTHETIC settings past the limit at save, naming settings.items', () => {
    const job = new SyntheticJob();
    expect(job.parseSettings({ items: 10_000_000 })).toMatchObject({ items: 10_000_000 });
    try {
      job.parseSettings({ items: 10_000_000, batchSize: 100 });
      expect.unreachable('100,000 batches were accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).details).toEqual([{ path: 'settings.items', message: expect.stringContaining(`at most ${MAX_JOB_BATCHES} batches`) }]);
    }
  });
});
