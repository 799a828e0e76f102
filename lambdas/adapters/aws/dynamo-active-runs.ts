import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Run } from '../../domain/model';
import { isTerminal } from '../../domain/run';
import type { ActiveRunHeader, ActiveRunPage } from '../../ports/run-store';
import { readRun } from './dynamo-run-items';
import { ACTIVE_SHARDS, activeShardPkOf, runScheduleKey } from './dynamo-run-table';
import { getItem, queryAll, resilientSend, type Item } from './dynamo-toolkit';

/** The reconciler's saved place: `RECONCILE` / `CURSOR`. */
const RECONCILE_CURSOR_KEY = { pk: 'RECONCILE', sk: 'CURSOR' };

/**
 * The PENDING and RUNNING runs, from the runs table's two sparse indexes: activeRunShards (every
 * client's, for the reconciler and the local resumer) and activeRunsOfSchedule (one schedule's,
 * for BeginRun's overlap check); and where the reconciler's pass over them continues.
 */
export class DynamoActiveRuns {
  private readonly send: DynamoDBDocumentClient['send'];

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.send = resilientSend(db);
  }

  async listActiveRuns(): Promise<Run[]> {
    const headers: Item[] = [];
    for (let shard = 0; shard < ACTIVE_SHARDS; shard++) {
      headers.push(
        ...(await queryAll(this.db, {
          TableName: this.tableName,
          IndexName: 'activeRunShards',
          KeyConditionExpression: 'activePk = :a',
          ExpressionAttributeValues: { ':a': activeShardPkOf(shard) },
        })),
      );
    }
    const runs = await Promise.all(headers.map((h) => readRun(this.db, this.tableName, String(h.runId), true)));
    return runs.filter((r): r is Run => r !== undefined && !isTerminal(r.status));
  }

  async activeRunPage(limit: number, cursor?: string): Promise<ActiveRunPage> {
    let { shard, after } = decodeActiveCursor(cursor);
    const runs: ActiveRunPage['runs'] = [];
    while (shard < ACTIVE_SHARDS && runs.length < limit) {
      const page = await this.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: 'activeRunShards',
          KeyConditionExpression: after ? 'activePk = :a AND activeSk > :after' : 'activePk = :a',
          ExpressionAttributeValues: { ':a': activeShardPkOf(shard), ...(after ? { ':after': after } : {}) },
          Limit: limit - runs.length,
        }),
      );
      for (const h of page.Items ?? []) {
        runs.push({ runId: String(h.runId), executionName: String(h.executionName), status: h.status as Run['status'], updatedAt: String(h.updatedAt) });
        after = String(h.activeSk);
      }
      // The index's sort key is the run id: "after the last one read" resumes a shard without an opaque key.
      if (!page.LastEvaluatedKey) {
        shard++;
        after = undefined;
      }
    }
    return shard < ACTIVE_SHARDS ? { runs, cursor: encodeActiveCursor(shard, after) } : { runs };
  }

  async getReconcileCursor(): Promise<string | undefined> {
    const item = await getItem<{ cursor?: string }>(this.db, this.tableName, RECONCILE_CURSOR_KEY, true);
    return item?.cursor;
  }

  async saveReconcileCursor(cursor: string | undefined): Promise<void> {
    await this.send(new PutCommand({ TableName: this.tableName, Item: { ...RECONCILE_CURSOR_KEY, ...(cursor ? { cursor } : {}) } }));
  }

  async listActiveRunsOfSchedule(clientId: string, scheduleId: string): Promise<ActiveRunHeader[]> {
    // One schedule's partition of a sparse index: a run reads its own schedule's few active runs,
    // never every client's (1,000 schedules firing at once would each read all 1,000).
    const headers = await queryAll(this.db, {
      TableName: this.tableName,
      IndexName: 'activeRunsOfSchedule',
      KeyConditionExpression: 'runSchedule = :s',
      ProjectionExpression: 'runId, processingDate, #status, createdAt, startedAt',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':s': runScheduleKey(clientId, scheduleId) },
    });
    return headers
      .map((h) => ({
        runId: String(h.runId),
        processingDate: String(h.processingDate),
        status: h.status as Run['status'],
        createdAt: String(h.createdAt),
        ...(typeof h.startedAt === 'string' ? { startedAt: h.startedAt } : {}),
      }))
      .filter((h) => !isTerminal(h.status));
  }
}

function encodeActiveCursor(shard: number, after: string | undefined): string {
  return Buffer.from(JSON.stringify(after ? [shard, after] : [shard])).toString('base64url');
}

/** A cursor this store did not write (or from an older version) starts the pass again. */
function decodeActiveCursor(cursor: string | undefined): { shard: number; after?: string } {
  if (!cursor) return { shard: 0 };
  try {
    const [shard, after] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    if (Number.isInteger(shard) && (shard as number) >= 0 && (after === undefined || typeof after === 'string')) {
      return { shard: shard as number, ...(after ? { after } : {}) };
    }
  } catch {
    // Unreadable: from the start, below.
  }
  return { shard: 0 };
}
