import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ValidationError } from '../../domain/errors';
import type { ItemStatus } from '../../domain/model';
import type { BatchRecord } from '../../ports/batch-store';
import type { ItemPage, ItemPages, ItemView } from '../../ports/item-pages';
import { batchJobKey, batchPk, batchSk, toBatchRecord, type BatchItem } from './dynamo-run-table';
import { batchGetAll, queryPages, type Item } from './dynamo-toolkit';

/** Batches read per Query page when expanding items: bounded work per API call. */
const BATCHES_PER_PAGE = 20;

/**
 * A job's items, expanded from its batches in batch order. The token is the position of the next
 * item (batch number, index in the batch). Batches are numbered from 0 without gaps and spread
 * over shards (dynamo-run-table.ts), so a page reads the next batch numbers with one BatchGetItem
 * and ends at the first number not stored; FAILED pages read only the batches the sparse
 * failedBatchKeys index names (one index partition per job, in batch order).
 */
export class DynamoItemPages implements ItemPages {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async listItems(runId: string, seq: number, query: { status?: ItemStatus; limit: number; nextToken?: string }): Promise<ItemPage> {
    const cursor = decodeCursor(query.nextToken);
    const items: ItemView[] = [];
    const pages = query.status === 'FAILED' ? this.failedBatches(runId, seq, cursor.batchNo) : this.batchesFrom(runId, seq, cursor.batchNo);
    for await (const raw of pages) {
      const batch = toBatchRecord(raw as BatchItem);
      const from = batch.batchNo === cursor.batchNo ? cursor.index : 0;
      for (let i = from; i < batch.itemIds.length; i++) {
        const status = batch.status[i] as ItemStatus;
        if (query.status && status !== query.status) continue;
        if (items.length === query.limit) return { items, nextToken: encodeCursor({ batchNo: batch.batchNo, index: i }) };
        items.push(itemView(batch, i));
      }
    }
    return { items };
  }

  private async *batchesFrom(runId: string, seq: number, firstBatchNo: number): AsyncIterable<Item> {
    for (let start = firstBatchNo; ; start += BATCHES_PER_PAGE) {
      const numbers = Array.from({ length: BATCHES_PER_PAGE }, (_, i) => start + i);
      const found = await batchGetAll(
        this.db,
        this.tableName,
        numbers.map((batchNo) => ({ pk: batchPk(runId, seq, batchNo), sk: batchSk(batchNo) })),
      );
      const byNumber = new Map(found.map((item) => [Number(item.batchNo), item]));
      for (const batchNo of numbers) {
        const item = byNumber.get(batchNo);
        if (!item) return;
        yield item;
      }
    }
  }

  /** The failedBatchKeys index holds keys only: the batches themselves, in the index's (batch) order. */
  private async *failedBatches(runId: string, seq: number, firstBatchNo: number): AsyncIterable<Item> {
    for await (const page of queryPages(this.db, {
      TableName: this.tableName,
      IndexName: 'failedBatchKeys',
      KeyConditionExpression: 'failedPk = :pk AND sk >= :from',
      ExpressionAttributeValues: { ':pk': batchJobKey(runId, seq), ':from': batchSk(firstBatchNo) },
      Limit: BATCHES_PER_PAGE,
    })) {
      const batches = await batchGetAll(this.db, this.tableName, page.items.map((key) => ({ pk: String(key.pk), sk: String(key.sk) })));
      yield* batches.sort((a, b) => String(a.sk).localeCompare(String(b.sk)));
    }
  }
}

function itemView(batch: BatchRecord, i: number): ItemView {
  const updated = batch.updated[i] ?? 0;
  const error = batch.errors[i];
  return {
    itemId: batch.itemIds[i] as string,
    status: batch.status[i] as ItemStatus,
    attempts: batch.attempts[i] ?? 0,
    ...(error ? { error } : {}),
    ...(updated > 0 ? { updatedAt: new Date(updated).toISOString() } : {}),
  };
}

function encodeCursor(cursor: { batchNo: number; index: number }): string {
  return Buffer.from(JSON.stringify([cursor.batchNo, cursor.index])).toString('base64url');
}

function decodeCursor(token: string | undefined): { batchNo: number; index: number } {
  if (!token) return { batchNo: 0, index: 0 };
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && parsed.every((n) => Number.isInteger(n) && n >= 0)) {
      return { batchNo: parsed[0] as number, index: parsed[1] as number };
    }
  } catch {
    // An unreadable token is refused below, like a well-formed one that is not ours.
  }
  throw new ValidationError('nextToken is not a token this API issued', [{ path: 'nextToken', message: 'invalid token' }]);
}
