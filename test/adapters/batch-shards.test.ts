import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoRunStore } from '../../lambdas/adapters/aws/dynamo-run-store';
import { BATCH_SHARDS, batchShardPk } from '../../lambdas/adapters/aws/dynamo-run-table';
import { RUNS_TABLE } from '../../lambdas/adapters/aws/table-definitions';
import { createTestTables, type TestTables } from '../support/dynamo';
import { runDraftFixture } from '../support/fixtures';

describe('a job\'s batches spread over write shards on DynamoDB Local', () => {
  let tables: TestTables;
  let store: DynamoRunStore;

  beforeAll(async () => {
    tables = await createTestTables();
    store = new DynamoRunStore(tables.document, tables.tableName(RUNS_TABLE));
  });

  async function shardSizes(runId: string): Promise<number[]> {
    const sizes: number[] = [];
    for (let shard = 0; shard < BATCH_SHARDS; shard++) {
      const page = await tables.document.send(
        new QueryCommand({ TableName: tables.tableName(RUNS_TABLE), KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': batchShardPk(runId, 1, shard) }, Select: 'COUNT' }),
      );
      sizes.push(page.Count ?? 0);
    }
    return sizes;
  }

  it('writes 50 batches to eight partitions and still reads, lists and pages them in batch order', async () => {
    const { run } = await store.claimRun(runDraftFixture({ processingDate: '2026-02-01' }));
    const batches = Array.from({ length: 50 }, (_, batchNo) => ({ batchNo, itemIds: [`${batchNo}:a`, `${batchNo}:b`] }));
    await store.putBatches(run.runId, 1, batches);

    // 50 batches, batchNo mod 8: two shards hold 7, six hold 6; no partition holds the whole job.
    expect(await shardSizes(run.runId)).toEqual([7, 7, 6, 6, 6, 6, 6, 6]);
    expect((await store.getBatch(run.runId, 1, 37))?.itemIds).toEqual(['37:a', '37:b']);

    const numbers: number[] = [];
    for await (const summary of store.batchSummaries(run.runId, 1)) numbers.push(summary.batchNo);
    expect(numbers).toEqual(batches.map((b) => b.batchNo));

    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await store.listItems(run.runId, 1, { limit: 7, nextToken });
      seen.push(...page.items.map((i) => i.itemId));
      nextToken = page.nextToken;
    } while (nextToken);
    expect(seen).toEqual(batches.flatMap((b) => b.itemIds));
  });

  it('lists failed items of batches on different shards in batch order, from one index partition per job', async () => {
    const { run } = await store.claimRun(runDraftFixture({ processingDate: '2026-02-02' }));
    await store.putBatches(run.runId, 1, Array.from({ length: 20 }, (_, batchNo) => ({ batchNo, itemIds: [`${batchNo}:a`, `${batchNo}:b`] })));
    for (const batchNo of [17, 3, 9, 12]) {
      const batch = (await store.getBatch(run.runId, 1, batchNo))!;
      await store.saveBatchOutcome({ ...batch, status: ['SUCCEEDED', 'FAILED'], attempts: [1, 1], generations: [0, 0], errors: { 1: { code: 'E', message: `failed ${batchNo}` } } }, 0);
    }

    const failed = await store.listItems(run.runId, 1, { status: 'FAILED', limit: 3 });
    expect(failed.items.map((i) => i.itemId)).toEqual(['3:b', '9:b', '12:b']);
    const rest = await store.listItems(run.runId, 1, { status: 'FAILED', limit: 3, nextToken: failed.nextToken });
    expect(rest.items.map((i) => i.itemId)).toEqual(['17:b']);
    expect(rest.nextToken).toBeUndefined();
  });
});
