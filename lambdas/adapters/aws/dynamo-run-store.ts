import { PutCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TransientStoreError } from '../../domain/errors';
import type { ItemStatus, Run, RunJob } from '../../domain/model';
import { isTerminal } from '../../domain/run';
import { deadlineOf, eventTypeForStatus, runEventOf } from '../../domain/run-events';
import { executionNameFor, runIdFor } from '../../domain/run-naming';
import type { RunPosition } from '../../domain/run-position';
import type { BatchLease, BatchRecord, BatchSummary, CollectCursor } from '../../ports/batch-store';
import type { ItemPage } from '../../ports/item-pages';
import type { ActiveRunHeader, ActiveRunPage, RunDraft, RunListFilter, RunRangeQuery, RunStore, RunTransition } from '../../ports/run-store';
import { backoff, type BackoffPolicy } from './backoff';
import { DynamoActiveRuns } from './dynamo-active-runs';
import { DynamoBatchStore } from './dynamo-batch-store';
import { DynamoItemPages } from './dynamo-item-pages';
import { writeManualStart } from './dynamo-manual-start';
import { deadlineWrite, eventWrites, writeAnnounced } from './dynamo-run-events';
import { execLinkItem, jobItem, readRun, runHeaderItem, transitionUpdate } from './dynamo-run-items';
import { DynamoRunRanges } from './dynamo-run-ranges';
import { datePk, execPk, jobSk, runHeaderKey, runPk } from './dynamo-run-table';
import { getItem, queryAll, resilientSend, writeIfConditionsHold } from './dynamo-toolkit';

/** A claim that lost to a concurrent claim or reset reads the date again after this. */
const CLAIM_BACKOFF: BackoffPolicy = { baseMs: 50, capMs: 500 };

/**
 * The run store on one DynamoDB table (RUNS_TABLE in table-definitions.ts): runs, their jobs and
 * the date and execution pointers here (items in dynamo-run-items.ts); the active runs
 * (DynamoActiveRuns), batches (DynamoBatchStore), item pages (DynamoItemPages) and date ranges
 * (DynamoRunRanges) in their own adapters on the same table, forwarded so that the services
 * take one RunStore.
 */
export class DynamoRunStore implements RunStore {
  private readonly send: DynamoDBDocumentClient['send'];
  private readonly active: DynamoActiveRuns;
  private readonly batches: DynamoBatchStore;
  private readonly items: DynamoItemPages;
  private readonly ranges: DynamoRunRanges;

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: { outcomeRetentionDays?: number } = {},
  ) {
    this.send = resilientSend(db);
    this.active = new DynamoActiveRuns(db, tableName);
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
      const pointerPut = {
        TableName: this.tableName,
        Item: { pk, sk: 'CURRENT', runId, attempt, status: 'ACTIVE' },
        ConditionExpression: pointer ? '#status = :reset AND attempt = :prev' : 'attribute_not_exists(pk)',
        ...(pointer ? { ExpressionAttributeNames: { '#status': 'status' }, ExpressionAttributeValues: { ':reset': 'RESET', ':prev': pointer.attempt } } : {}),
      };
      const claim = new TransactWriteCommand({
        TransactItems: [
          { Put: pointerPut },
          { Put: { TableName: this.tableName, Item: runHeaderItem(header), ConditionExpression: 'attribute_not_exists(pk)' } },
          { Put: { TableName: this.tableName, Item: execLinkItem(run.executionName, runId) } },
          ...jobs.map((job) => ({ Put: { TableName: this.tableName, Item: jobItem(runId, job) } })),
          ...this.claimAnnouncements(run),
        ],
      });
      if (await writeIfConditionsHold(() => this.send(claim))) return { run, created: true };
      await backoff(round + 1, CLAIM_BACKOFF);
    }
    throw new TransientStoreError('the run for this date is changing too fast; try again');
  }

  getRun(runId: string, consistent = false): Promise<Run | undefined> {
    return readRun(this.db, this.tableName, runId, consistent);
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

  listActiveRuns(): Promise<Run[]> {
    return this.active.listActiveRuns();
  }

  activeRunPage(limit: number, cursor?: string): Promise<ActiveRunPage> {
    return this.active.activeRunPage(limit, cursor);
  }

  getReconcileCursor(): Promise<string | undefined> {
    return this.active.getReconcileCursor();
  }

  saveReconcileCursor(cursor: string | undefined): Promise<void> {
    return this.active.saveReconcileCursor(cursor);
  }

  listActiveRunsOfSchedule(clientId: string, scheduleId: string): Promise<ActiveRunHeader[]> {
    return this.active.listActiveRunsOfSchedule(clientId, scheduleId);
  }

  async transitionRun(runId: string, transition: RunTransition): Promise<boolean> {
    if (transition.event) {
      const { event, ...change } = transition;
      return writeAnnounced(this.db, this.tableName, { Update: transitionUpdate(this.tableName, runId, change) }, event, () => this.transitionRun(runId, change));
    }
    return writeIfConditionsHold(() => this.send(new UpdateCommand(transitionUpdate(this.tableName, runId, transition))));
  }

  reopenRun(runId: string, transition: RunTransition, jobs: RunJob[], executionName: string): Promise<boolean> {
    return writeIfConditionsHold(() =>
      this.send(
        new TransactWriteCommand({
          TransactItems: [
            { Update: transitionUpdate(this.tableName, runId, transition) },
            { Put: { TableName: this.tableName, Item: execLinkItem(executionName, runId) } },
            ...jobs.map((job) => ({ Put: { TableName: this.tableName, Item: jobItem(runId, job) } })),
          ],
        }),
      ),
    );
  }

  async resetRun(runId: string, at: string): Promise<boolean> {
    const run = await this.getRun(runId, true);
    if (!run || run.status === 'RESET') return false;
    const header = {
      TableName: this.tableName,
      Key: runHeaderKey(runId),
      UpdateExpression: 'SET #status = :reset, endedAt = :at, updatedAt = :at REMOVE activePk, activeSk, waitingUntil, waitingReason',
      ConditionExpression: '#status <> :reset',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':reset': 'RESET', ':at': at },
    };
    const pointer = {
      TableName: this.tableName,
      Key: { pk: datePk(run.clientId, run.scheduleId, run.processingDate), sk: 'CURRENT' },
      UpdateExpression: 'SET #status = :reset',
      ConditionExpression: 'runId = :runId',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':reset': 'RESET', ':runId': runId },
    };
    return writeIfConditionsHold(() => this.send(new TransactWriteCommand({ TransactItems: [{ Update: header }, { Update: pointer }] })));
  }

  async putJob(runId: string, job: RunJob): Promise<void> {
    await this.send(new PutCommand({ TableName: this.tableName, Item: jobItem(runId, job) }));
  }

  startManualJob(runId: string, job: RunJob, transition: RunTransition): Promise<boolean> {
    return writeManualStart(this.send, this.tableName, runId, job, transition);
  }

  async addJobStats(runId: string, seq: number, delta: { succeeded: number; failed: number }): Promise<void> {
    if (delta.succeeded === 0 && delta.failed === 0) return;
    // The update never creates a job item: deltas for a job that has none are dropped.
    await writeIfConditionsHold(() =>
      this.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: runPk(runId), sk: jobSk(seq) },
          UpdateExpression: 'ADD succeeded :s, failed :f',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':s': delta.succeeded, ':f': delta.failed },
        }),
      ),
    );
  }

  async findRunIdByExecution(executionName: string): Promise<string | undefined> {
    const link = await getItem<{ runId: string }>(this.db, this.tableName, { pk: execPk(executionName), sk: 'EXEC' }, true);
    return link?.runId;
  }

  async linkExecution(executionName: string, runId: string): Promise<void> {
    await this.send(new PutCommand({ TableName: this.tableName, Item: execLinkItem(executionName, runId) }));
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
}
