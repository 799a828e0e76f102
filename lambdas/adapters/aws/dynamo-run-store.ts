import { PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TransientStoreError } from '../../domain/errors';
import type { ErrorInfo, ItemStatus, Run, RunJob } from '../../domain/model';
import { isTerminal } from '../../domain/run';
import { executionNameFor, runIdFor } from '../../domain/run-naming';
import type { BatchLease, BatchRecord, BatchSummary, CollectCursor } from '../../ports/batch-store';
import type { ItemPage } from '../../ports/item-pages';
import type { RunPosition } from '../../domain/run-position';
import type { ActiveRunHeader, ActiveRunPage, RunDraft, RunListFilter, RunRangeQuery, RunStore, RunTransition } from '../../ports/run-store';
import { deadlineOf, eventTypeForStatus, runEventOf } from '../../domain/run-events';
import { backoff, type BackoffPolicy } from './backoff';
import { deadlineWrite, eventWrites, writeAnnounced } from './dynamo-run-events';
import { DynamoBatchStore } from './dynamo-batch-store';
import { DynamoItemPages } from './dynamo-item-pages';
import { DynamoRunRanges, runsByClientKeys } from './dynamo-run-ranges';
import { ACTIVE_SHARDS, activeShardPk, activeShardPkOf, datePk, execPk, jobSk, pad, runPk, runScheduleKey } from './dynamo-run-table';
import { getItem, isConditionFailure, queryAll, resilientSend, type Item } from './dynamo-toolkit';

/** The reconciler's saved place: `RECONCILE` / `CURSOR`. */
const RECONCILE_CURSOR_KEY = { pk: 'RECONCILE', sk: 'CURSOR' };

/** A claim that lost to a concurrent claim or reset reads the date again after this. */
const CLAIM_BACKOFF: BackoffPolicy = { baseMs: 50, capMs: 500 };

interface JobItem {
  seq: number;
  type: RunJob['type'];
  settings?: Record<string, unknown>;
  status: RunJob['status'];
  total: number;
  succeeded: number;
  failed: number;
  startedAt?: string;
  endedAt?: string;
  batchCount?: number;
  generation: number;
  onItemFailure?: RunJob['onItemFailure'];
  collectAgain?: boolean;
  start?: RunJob['start'];
  manualStart?: RunJob['manualStart'];
  error?: ErrorInfo;
}

/** A conditional update of a run's header: sent alone, or as one action of a transaction. */
interface HeaderUpdate {
  TableName: string;
  Key: { pk: string; sk: string };
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
}

/**
 * The run store on one DynamoDB table (RUNS_TABLE in table-definitions.ts): runs, their jobs and
 * the date and execution pointers here; batches (DynamoBatchStore) and item pages
 * (DynamoItemPages) in their own adapters on the same table, forwarded so that the services
 * take one RunStore.
 */
export class DynamoRunStore implements RunStore {
  private readonly send: DynamoDBDocumentClient['send'];
  private readonly batches: DynamoBatchStore;
  private readonly items: DynamoItemPages;
  private readonly ranges: DynamoRunRanges;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: { outcomeRetentionDays?: number } = {},
  ) {
    this.send = resilientSend(db);
    this.batches = new DynamoBatchStore(db, tableName, options);
    this.items = new DynamoItemPages(db, tableName);
    this.ranges = new DynamoRunRanges(db, tableName);
  }

  async claimRun(draft: RunDraft): Promise<{ run: Run; created: boolean }> {
    const pk = datePk(draft.clientId, draft.scheduleId, draft.processingDate);
    for (let round = 0; round < 5; round++) {
      const pointer = await getItem<{ runId: string; attempt: number; status: string }>(this.db, this.tableName, { pk, sk: 'CURRENT' }, true);
      if (pointer && pointer.status !== 'RESET') {
        const existing = await this.getRun(pointer.runId, true);
        // A reset between the two reads frees the date: the next round claims attempt n+1.
        if (existing && existing.status !== 'RESET') return { run: existing, created: false };
        if (existing) continue;
      }
      const attempt = pointer ? pointer.attempt + 1 : 1;
      const runId = runIdFor(draft.clientId, draft.scheduleId, draft.processingDate, attempt);
      const claimed: Run = { ...draft, runId, attempt, executionName: draft.executionName ?? executionNameFor(runId, 1) };
      const deadlineAt = isTerminal(claimed.status) ? undefined : deadlineOf(claimed);
      const run: Run = deadlineAt ? { ...claimed, deadlineAt } : claimed;
      const { jobs, ...header } = run;
      try {
        await this.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: this.tableName,
                  Item: { pk, sk: 'CURRENT', runId, attempt, status: 'ACTIVE' },
                  ConditionExpression: pointer ? '#status = :reset AND attempt = :prev' : 'attribute_not_exists(pk)',
                  ...(pointer
                    ? { ExpressionAttributeNames: { '#status': 'status' }, ExpressionAttributeValues: { ':reset': 'RESET', ':prev': pointer.attempt } }
                    : {}),
                },
              },
              { Put: { TableName: this.tableName, Item: this.runHeaderItem(header), ConditionExpression: 'attribute_not_exists(pk)' } },
              { Put: { TableName: this.tableName, Item: { pk: execPk(run.executionName), sk: 'EXEC', runId } } },
              ...jobs.map((job) => ({ Put: { TableName: this.tableName, Item: this.jobItem(runId, job) } })),
              ...this.claimAnnouncements(run),
            ],
          }),
        );
        return { run, created: true };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        await backoff(round + 1, CLAIM_BACKOFF);
      }
    }
    throw new TransientStoreError('the run for this date is changing too fast; try again');
  }

  async getRun(runId: string, consistent = false): Promise<Run | undefined> {
    const items = await queryAll(this.db, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': runPk(runId) },
      ConsistentRead: consistent,
    });
    const header = items.find((item) => item.sk === 'RUN');
    if (!header) return undefined;
    const jobs = items.filter((item) => String(item.sk).startsWith('JOB#')).map((item) => toRunJob(item as unknown as JobItem));
    return toRun(header, jobs);
  }

  async getCurrentRun(clientId: string, scheduleId: string, processingDate: string): Promise<Run | undefined> {
    const pointer = await getItem<{ runId: string }>(this.db, this.tableName, { pk: datePk(clientId, scheduleId, processingDate), sk: 'CURRENT' }, false);
    return pointer ? this.getRun(pointer.runId) : undefined;
  }

  async listRuns(clientId: string, processingDate: string, filter: RunListFilter): Promise<Run[]> {
    const headers = await queryAll(this.db, {
      TableName: this.tableName,
      IndexName: 'byClientDate',
      KeyConditionExpression: filter.scheduleId ? 'gsi1pk = :pk AND begins_with(gsi1sk, :sch)' : 'gsi1pk = :pk',
      ExpressionAttributeValues: {
        ':pk': `CLIENT#${clientId}#DATE#${processingDate}`,
        ...(filter.scheduleId ? { ':sch': `${filter.scheduleId}#` } : {}),
      },
    });
    const wanted = headers.filter((h) => !filter.status || h.status === filter.status);
    const runs = await Promise.all(wanted.map((h) => this.getRun(String(h.runId))));
    return runs.filter((r): r is Run => r !== undefined);
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
    const runs = await Promise.all(headers.map((h) => this.getRun(String(h.runId), true)));
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

  async transitionRun(runId: string, transition: RunTransition): Promise<boolean> {
    if (transition.event) {
      const { event, ...change } = transition;
      return writeAnnounced(this.db, this.tableName, { Update: this.transitionUpdate(runId, change) }, event, () => this.transitionRun(runId, change));
    }
    try {
      await this.send(new UpdateCommand(this.transitionUpdate(runId, transition)));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async reopenRun(runId: string, transition: RunTransition, jobs: RunJob[], executionName: string): Promise<boolean> {
    try {
      await this.send(
        new TransactWriteCommand({
          TransactItems: [
            { Update: this.transitionUpdate(runId, transition) },
            { Put: { TableName: this.tableName, Item: { pk: execPk(executionName), sk: 'EXEC', runId } } },
            ...jobs.map((job) => ({ Put: { TableName: this.tableName, Item: this.jobItem(runId, job) } })),
          ],
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /** The conditional update of a run's header that a transition is. */
  private transitionUpdate(runId: string, transition: RunTransition): HeaderUpdate {
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = {};
    const conditions: string[] = ['attribute_exists(pk)'];
    const fromKeys = transition.from.map((status, i) => {
      values[`:from${i}`] = status;
      return `:from${i}`;
    });
    conditions.push(`#status IN (${fromKeys.join(', ')})`);
    if (transition.executionName !== undefined) {
      names['#executionName'] = 'executionName';
      values[':ownerExecution'] = transition.executionName;
      conditions.push('#executionName = :ownerExecution');
    }
    if (transition.redriveBelow !== undefined) {
      names['#redriveCount'] = 'redriveCount';
      values[':redriveBelow'] = transition.redriveBelow;
      // redriveCount may also be SET below: the condition uses its own placeholder.
      conditions.push('#redriveCount < :redriveBelow');
    }
    const sets: string[] = [];
    const removes: string[] = [...(transition.remove ?? [])].map((field) => {
      names[`#${field}`] = field;
      return `#${field}`;
    });
    for (const [field, value] of Object.entries(transition.set)) {
      if (value === undefined) continue;
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      sets.push(`#${field} = :${field}`);
    }
    if (transition.set.status) {
      names['#activePk'] = 'activePk';
      names['#activeSk'] = 'activeSk';
      if (isTerminal(transition.set.status)) {
        removes.push('#activePk', '#activeSk');
      } else {
        values[':active'] = activeShardPk(runId);
        values[':activeSk'] = runId;
        sets.push('#activePk = :active', '#activeSk = :activeSk');
      }
    }
    names['#updatedAt'] = 'updatedAt';
    values[':updatedAt'] = new Date().toISOString();
    sets.push('#updatedAt = :updatedAt');
    return {
      TableName: this.tableName,
      Key: { pk: runPk(runId), sk: 'RUN' },
      UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
      ConditionExpression: conditions.join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    };
  }

  async resetRun(runId: string, at: string): Promise<boolean> {
    const run = await this.getRun(runId, true);
    if (!run || run.status === 'RESET') return false;
    try {
      await this.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: { pk: runPk(runId), sk: 'RUN' },
                UpdateExpression: 'SET #status = :reset, endedAt = :at, updatedAt = :at REMOVE activePk, activeSk, waitingUntil, waitingReason',
                ConditionExpression: '#status <> :reset',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: { ':reset': 'RESET', ':at': at },
              },
            },
            {
              Update: {
                TableName: this.tableName,
                Key: { pk: datePk(run.clientId, run.scheduleId, run.processingDate), sk: 'CURRENT' },
                UpdateExpression: 'SET #status = :reset',
                ConditionExpression: 'runId = :runId',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: { ':reset': 'RESET', ':runId': runId },
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async putJob(runId: string, job: RunJob): Promise<void> {
    await this.send(new PutCommand({ TableName: this.tableName, Item: this.jobItem(runId, job) }));
  }

  async startManualJob(runId: string, job: RunJob, transition: RunTransition): Promise<boolean> {
    try {
      await this.send(
        new TransactWriteCommand({
          TransactItems: [
            { Update: this.transitionUpdate(runId, transition) },
            {
              Put: {
                TableName: this.tableName,
                Item: this.jobItem(runId, job),
                ConditionExpression: 'attribute_exists(pk) AND #status = :pending AND attribute_not_exists(manualStart)',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: { ':pending': 'PENDING' },
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async addJobStats(runId: string, seq: number, delta: { succeeded: number; failed: number }): Promise<void> {
    if (delta.succeeded === 0 && delta.failed === 0) return;
    await this.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: runPk(runId), sk: jobSk(seq) },
        UpdateExpression: 'ADD succeeded :s, failed :f',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':s': delta.succeeded, ':f': delta.failed },
      }),
    ).catch((error: unknown) => {
      if (!isConditionFailure(error)) throw error;
    });
  }

  async findRunIdByExecution(executionName: string): Promise<string | undefined> {
    const link = await getItem<{ runId: string }>(this.db, this.tableName, { pk: execPk(executionName), sk: 'EXEC' }, true);
    return link?.runId;
  }

  async linkExecution(executionName: string, runId: string): Promise<void> {
    await this.send(new PutCommand({ TableName: this.tableName, Item: { pk: execPk(executionName), sk: 'EXEC', runId } }));
  }

  putBatches(runId: string, seq: number, batches: Array<{ batchNo: number; itemIds: string[] }>): Promise<void> {
    return this.batches.putBatches(runId, seq, batches);
  }

  getBatch(runId: string, seq: number, batchNo: number): Promise<BatchRecord | undefined> {
    return this.batches.getBatch(runId, seq, batchNo);
  }

  leaseBatch(batch: Pick<BatchRecord, 'runId' | 'seq' | 'batchNo'>, expectedVersion: number, lease: BatchLease, nowMs: number): Promise<boolean> {
    return this.batches.leaseBatch(batch, expectedVersion, lease, nowMs);
  }

  saveBatchOutcome(batch: BatchRecord, expectedVersion: number, lease?: BatchLease): Promise<boolean> {
    return this.batches.saveBatchOutcome(batch, expectedVersion, lease);
  }

  getCollectCursor(runId: string, seq: number): Promise<CollectCursor | undefined> {
    return this.batches.getCollectCursor(runId, seq);
  }

  saveCollectCursor(runId: string, seq: number, cursor: CollectCursor): Promise<void> {
    return this.batches.saveCollectCursor(runId, seq, cursor);
  }

  batchSummaries(runId: string, seq: number): AsyncIterable<BatchSummary> {
    return this.batches.batchSummaries(runId, seq);
  }

  listItems(runId: string, seq: number, query: { status?: ItemStatus; limit: number; nextToken?: string }): Promise<ItemPage> {
    return this.items.listItems(runId, seq, query);
  }

  listRunPositions(clientId: string, query: RunRangeQuery): Promise<{ positions: Array<RunPosition & { runId: string }>; more: boolean }> {
    return this.ranges.listRunPositions(clientId, query);
  }

  /** A run claimed in an ending status (MISSED) announces it; one with a deadline gets its sweep entry. */
  private claimAnnouncements(run: Run): Array<{ Put: { TableName: string; Item: Record<string, unknown> } }> {
    const type = eventTypeForStatus(run.status);
    return [
      ...(type ? eventWrites(this.tableName, runEventOf(type, run, run.endedAt ?? run.createdAt)) : []),
      ...(run.deadlineAt ? [deadlineWrite(this.tableName, { runId: run.runId, deadlineAt: run.deadlineAt })] : []),
    ];
  }

  private runHeaderItem(header: Omit<Run, 'jobs'>): Record<string, unknown> {
    return {
      ...header,
      pk: runPk(header.runId),
      sk: 'RUN',
      gsi1pk: `CLIENT#${header.clientId}#DATE#${header.processingDate}`,
      gsi1sk: `${header.scheduleId}#${pad(header.attempt, 4)}`,
      ...runsByClientKeys(header),
      runSchedule: runScheduleKey(header.clientId, header.scheduleId),
      ...(isTerminal(header.status) ? {} : { activePk: activeShardPk(header.runId), activeSk: header.runId }),
    };
  }

  private jobItem(runId: string, job: RunJob): Record<string, unknown> {
    const item: JobItem & { pk: string; sk: string } = {
      pk: runPk(runId),
      sk: jobSk(job.seq),
      seq: job.seq,
      type: job.type,
      settings: job.settings,
      status: job.status,
      total: job.stats.total,
      succeeded: job.stats.succeeded,
      failed: job.stats.failed,
      startedAt: job.startedAt,
      endedAt: job.endedAt,
      batchCount: job.batchCount,
      generation: job.generation,
      onItemFailure: job.onItemFailure,
      collectAgain: job.collectAgain,
      start: job.start,
      manualStart: job.manualStart,
      error: job.error,
    };
    return item as unknown as Record<string, unknown>;
  }
}

function toRun(header: Record<string, unknown>, jobs: RunJob[]): Run {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, activePk: _a1, activeSk: _a2, runSchedule: _rs, clientRunsPk: _c1, clientRunsSk: _c2, ...run } = header;
  return { ...(run as unknown as Omit<Run, 'jobs'>), jobs: jobs.sort((a, b) => a.seq - b.seq) };
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

function toRunJob(item: JobItem): RunJob {
  const total = Number(item.total ?? 0);
  const succeeded = Number(item.succeeded ?? 0);
  const failed = Number(item.failed ?? 0);
  return {
    seq: item.seq,
    type: item.type,
    ...(item.settings ? { settings: item.settings } : {}),
    status: item.status,
    stats: { total, succeeded, failed, pending: Math.max(0, total - succeeded - failed) },
    ...(item.startedAt ? { startedAt: item.startedAt } : {}),
    ...(item.endedAt ? { endedAt: item.endedAt } : {}),
    ...(item.batchCount !== undefined ? { batchCount: item.batchCount } : {}),
    generation: item.generation ?? 0,
    ...(item.onItemFailure ? { onItemFailure: item.onItemFailure } : {}),
    ...(item.collectAgain ? { collectAgain: true } : {}),
    ...(item.start ? { start: item.start } : {}),
    ...(item.manualStart ? { manualStart: item.manualStart } : {}),
    ...(item.error ? { error: item.error } : {}),
  };
}
