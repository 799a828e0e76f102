import { PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { BatchLease, BatchRecord, BatchStore, BatchSummary, CollectCursor } from '../../ports/batch-store';
import { BATCH_SHARDS, batchPk, batchShardPk, batchSk, pad, runPk, toBatchItem, toBatchRecord, type BatchItem } from './dynamo-run-table';
import { batchWriteAll, getItem, queryItems, resilientSend, writeIfConditionsHold } from './dynamo-toolkit';

/** Days a batch's outcomes are kept before DynamoDB's TTL removes them. */
const DEFAULT_OUTCOME_RETENTION_DAYS = 400;

/**
 * A job's batches in the runs table, one item per batch: an item's outcome lives inside its
 * batch, so a 1,000,000-item job costs thousands of writes, not millions. Leases and outcomes
 * are conditional on the batch's version, which every saved outcome moves on.
 */
export class DynamoBatchStore implements BatchStore {
  private readonly send: DynamoDBDocumentClient['send'];
  private readonly retentionDays: number;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: { outcomeRetentionDays?: number } = {},
  ) {
    this.send = resilientSend(db);
    this.retentionDays = options.outcomeRetentionDays ?? DEFAULT_OUTCOME_RETENTION_DAYS;
  }

  async putBatches(runId: string, seq: number, batches: Array<{ batchNo: number; itemIds: string[] }>): Promise<void> {
    const items = batches.map((batch) =>
      toBatchItem(
        {
          runId,
          seq,
          batchNo: batch.batchNo,
          itemIds: batch.itemIds,
          status: batch.itemIds.map(() => 'PENDING'),
          attempts: batch.itemIds.map(() => 0),
          generations: batch.itemIds.map(() => -1),
          updated: batch.itemIds.map(() => 0),
          errors: {},
          version: 0,
        },
        this.retentionDays,
      ),
    );
    await batchWriteAll(this.db, this.tableName, items);
  }

  // Next to the run's header and jobs (`RUN#<runId>` / `COLLECT#<seq>`), outside the batch partition that batchSummaries reads.
  async getCollectCursor(runId: string, seq: number): Promise<CollectCursor | undefined> {
    const item = await getItem<CollectCursor>(this.db, this.tableName, { pk: runPk(runId), sk: `COLLECT#${pad(seq, 3)}` }, true);
    return item ? { nextBatchNo: Number(item.nextBatchNo), afterItemId: String(item.afterItemId), items: Number(item.items) } : undefined;
  }

  async saveCollectCursor(runId: string, seq: number, cursor: CollectCursor): Promise<void> {
    await this.send(new PutCommand({ TableName: this.tableName, Item: { pk: runPk(runId), sk: `COLLECT#${pad(seq, 3)}`, ...cursor } }));
  }

  async getBatch(runId: string, seq: number, batchNo: number): Promise<BatchRecord | undefined> {
    const item = await getItem<BatchItem>(this.db, this.tableName, { pk: batchPk(runId, seq, batchNo), sk: batchSk(batchNo) }, true);
    return item ? toBatchRecord(item) : undefined;
  }

  async leaseBatch(batch: Pick<BatchRecord, 'runId' | 'seq' | 'batchNo'>, expectedVersion: number, lease: BatchLease, nowMs: number): Promise<boolean> {
    return writeIfConditionsHold(() =>
      this.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: batchPk(batch.runId, batch.seq, batch.batchNo), sk: batchSk(batch.batchNo) },
          UpdateExpression: 'SET leaseHolder = :holder, leaseUntil = :until',
          ConditionExpression: 'version = :v AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now OR leaseHolder = :holder)',
          ExpressionAttributeValues: { ':holder': lease.holder, ':until': lease.untilMs, ':v': expectedVersion, ':now': nowMs },
        }),
      ),
    );
  }

  async saveBatchOutcome(batch: BatchRecord, expectedVersion: number, lease?: BatchLease): Promise<boolean> {
    return writeIfConditionsHold(() =>
      this.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...toBatchItem({ ...batch, version: expectedVersion + 1 }, this.retentionDays),
            ...(lease ? { leaseHolder: lease.holder, leaseUntil: lease.untilMs } : {}),
          },
          ConditionExpression: 'attribute_exists(pk) AND version = :v',
          ExpressionAttributeValues: { ':v': expectedVersion },
        }),
      ),
    );
  }

  /** The shards' queries, each in batch order, merged: batch n is the next of shard n mod BATCH_SHARDS. */
  async *batchSummaries(runId: string, seq: number): AsyncIterable<BatchSummary> {
    const shards = Array.from({ length: BATCH_SHARDS }, (_, shard) => this.shardSummaries(runId, seq, shard)[Symbol.asyncIterator]());
    const heads = await Promise.all(shards.map((shard) => shard.next()));
    for (;;) {
      let next = -1;
      heads.forEach((head, i) => {
        if (!head.done && (next < 0 || head.value.batchNo < (heads[next]!.value as BatchSummary).batchNo)) next = i;
      });
      if (next < 0) return;
      yield heads[next]!.value as BatchSummary;
      heads[next] = await shards[next]!.next();
    }
  }

  private async *shardSummaries(runId: string, seq: number, shard: number): AsyncIterable<BatchSummary> {
    for await (const item of queryItems(this.db, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': batchShardPk(runId, seq, shard) },
      ProjectionExpression: 'batchNo, #total, succeeded, failed, minGen',
      ExpressionAttributeNames: { '#total': 'total' },
      ConsistentRead: true,
    })) {
      yield {
        batchNo: Number(item.batchNo),
        total: Number(item.total),
        succeeded: Number(item.succeeded),
        failed: Number(item.failed),
        minGeneration: Number(item.minGen),
      };
    }
  }
}
