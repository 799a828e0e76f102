import {
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type BatchWriteCommandOutput,
  type DynamoDBDocumentClient,
  type GetCommandOutput,
  type QueryCommandInput,
  type QueryCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransientStoreError, ValidationError } from '../../domain/errors';
import { sendToDynamo } from './dynamo-errors';
import type { ErrorInfo, ItemStatus, Run, RunJob } from '../../domain/model';
import { isTerminal } from '../../domain/model';
import { executionNameFor, runIdFor } from '../../domain/run-naming';
import type {
  ActiveRunHeader,
  BatchLease,
  BatchRecord,
  BatchSummary,
  ItemPage,
  ItemView,
  RunDraft,
  RunListFilter,
  RunStore,
  RunTransition,
} from '../../ports/run-store';
import { noopMeter, type UsageMeter } from '../../ports/usage-meter';

const pad = (n: number, width: number): string => String(n).padStart(width, '0');
const runPk = (runId: string): string => `RUN#${runId}`;
const jobSk = (seq: number): string => `JOB#${pad(seq, 3)}`;
const batchPk = (runId: string, seq: number): string => `RUN#${runId}#J#${pad(seq, 3)}`;
const batchSk = (batchNo: number): string => `B#${pad(batchNo, 7)}`;
const datePk = (clientId: string, scheduleId: string, date: string): string => `DATE#${clientId}#${scheduleId}#${date}`;
const execPk = (name: string): string => `EXEC#${name}`;
const ACTIVE = 'ACTIVE';

const STATUS_CODES: Record<ItemStatus, string> = { PENDING: 'P', SUCCEEDED: 'S', FAILED: 'F' };
const STATUS_OF_CODE: Record<string, ItemStatus> = { P: 'PENDING', S: 'SUCCEEDED', F: 'FAILED' };

/** Batches read per Query page when expanding items: bounded work per API call. */
const BATCHES_PER_PAGE = 20;

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

interface BatchItem {
  pk: string;
  sk: string;
  runId: string;
  seq: number;
  batchNo: number;
  ids: string;
  st: string;
  at: string;
  gn: string;
  up: string;
  er: string;
  version: number;
  total: number;
  succeeded: number;
  failed: number;
  minGen: number;
  failedPk?: string;
  expiresAt: number;
}

/**
 * The run store on one DynamoDB table (RUNS_TABLE in table-definitions.ts). Writes are per run,
 * per job and per batch: an item's outcome lives inside its batch record, so a 1,000,000-item job
 * costs thousands of writes, not millions.
 */
export class DynamoRunStore implements RunStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: { outcomeRetentionDays?: number; meter?: UsageMeter } = {},
  ) {}

  private get meter(): UsageMeter {
    return this.options.meter ?? noopMeter;
  }

  async claimRun(draft: RunDraft): Promise<{ run: Run; created: boolean }> {
    const pk = datePk(draft.clientId, draft.scheduleId, draft.processingDate);
    for (let round = 0; round < 5; round++) {
      const pointer = await this.read<{ runId: string; attempt: number; status: string }>({ pk, sk: 'CURRENT' }, true);
      if (pointer && pointer.status !== 'RESET') {
        const existing = await this.getRun(pointer.runId, true);
        // A reset between the two reads frees the date: the next round claims attempt n+1.
        if (existing && existing.status !== 'RESET') return { run: existing, created: false };
        if (existing) continue;
      }
      const attempt = pointer ? pointer.attempt + 1 : 1;
      const runId = runIdFor(draft.clientId, draft.scheduleId, draft.processingDate, attempt);
      const run: Run = { ...draft, runId, attempt, executionName: draft.executionName ?? executionNameFor(runId, 1) };
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
            ],
          }),
        );
        this.meter.count('dynamoWrites', 3 + jobs.length);
        return { run, created: true };
      } catch (error) {
        if (!isConditionFailure(error) && !(error instanceof TransientStoreError)) throw error;
        await sleep(20 + Math.random() * 50 * (round + 1));
      }
    }
    throw new TransientStoreError('the run for this date is changing too fast; try again');
  }

  async getRun(runId: string, consistent = false): Promise<Run | undefined> {
    const items = await this.queryAll({
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
    const pointer = await this.read<{ runId: string }>({ pk: datePk(clientId, scheduleId, processingDate), sk: 'CURRENT' }, false);
    return pointer ? this.getRun(pointer.runId) : undefined;
  }

  async listRuns(clientId: string, processingDate: string, filter: RunListFilter): Promise<Run[]> {
    const headers = await this.queryAll({
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
    const headers = await this.queryAll({
      TableName: this.tableName,
      IndexName: 'activeRuns',
      KeyConditionExpression: 'activePk = :a',
      ExpressionAttributeValues: { ':a': ACTIVE },
    });
    const runs = await Promise.all(headers.map((h) => this.getRun(String(h.runId), true)));
    return runs.filter((r): r is Run => r !== undefined && !isTerminal(r.status));
  }

  async listActiveRunsOfSchedule(clientId: string, scheduleId: string): Promise<ActiveRunHeader[]> {
    // The index holds only PENDING/RUNNING runs of every client, a short list: filtering it beats a
    // second index on (client, schedule) that every status change would have to maintain.
    const headers = await this.queryAll({
      TableName: this.tableName,
      IndexName: 'activeRuns',
      KeyConditionExpression: 'activePk = :a',
      FilterExpression: 'clientId = :c AND scheduleId = :s',
      ProjectionExpression: 'runId, processingDate, #status, createdAt, startedAt',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':a': ACTIVE, ':c': clientId, ':s': scheduleId },
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
    try {
      await this.send(new UpdateCommand(this.transitionUpdate(runId, transition)));
      this.meter.count('dynamoWrites');
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
      this.meter.count('dynamoWrites', 2 + jobs.length);
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
        values[':active'] = ACTIVE;
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
      this.meter.count('dynamoWrites', 2);
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async putJob(runId: string, job: RunJob): Promise<void> {
    await this.send(new PutCommand({ TableName: this.tableName, Item: this.jobItem(runId, job) }));
    this.meter.count('dynamoWrites');
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
    this.meter.count('dynamoWrites');
  }

  async findRunIdByExecution(executionName: string): Promise<string | undefined> {
    const link = await this.read<{ runId: string }>({ pk: execPk(executionName), sk: 'EXEC' }, true);
    return link?.runId;
  }

  async linkExecution(executionName: string, runId: string): Promise<void> {
    await this.send(new PutCommand({ TableName: this.tableName, Item: { pk: execPk(executionName), sk: 'EXEC', runId } }));
    this.meter.count('dynamoWrites');
  }

  async putBatches(runId: string, seq: number, batches: Array<{ batchNo: number; itemIds: string[] }>): Promise<void> {
    const items = batches.map((batch) =>
      this.batchItem({
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
      }),
    );
    for (let i = 0; i < items.length; i += 25) {
      let requests = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
      for (let retry = 0; requests.length > 0; retry++) {
        const result = await this.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }));
        this.meter.count('dynamoWrites', requests.length);
        requests = (result.UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
        if (requests.length > 0) {
          if (retry > 10) throw new TransientStoreError('DynamoDB kept throttling batch writes');
          await sleep(Math.min(1000, 25 * 2 ** retry) * Math.random());
        }
      }
    }
  }

  async getBatch(runId: string, seq: number, batchNo: number): Promise<BatchRecord | undefined> {
    const item = await this.read<BatchItem>({ pk: batchPk(runId, seq), sk: batchSk(batchNo) }, true);
    return item ? toBatchRecord(item) : undefined;
  }

  async leaseBatch(batch: Pick<BatchRecord, 'runId' | 'seq' | 'batchNo'>, expectedVersion: number, lease: BatchLease, nowMs: number): Promise<boolean> {
    try {
      await this.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: batchPk(batch.runId, batch.seq), sk: batchSk(batch.batchNo) },
          UpdateExpression: 'SET leaseHolder = :holder, leaseUntil = :until',
          ConditionExpression: 'version = :v AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now OR leaseHolder = :holder)',
          ExpressionAttributeValues: { ':holder': lease.holder, ':until': lease.untilMs, ':v': expectedVersion, ':now': nowMs },
        }),
      );
      this.meter.count('dynamoWrites');
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async saveBatchOutcome(batch: BatchRecord, expectedVersion: number, lease?: BatchLease): Promise<boolean> {
    try {
      await this.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...this.batchItem({ ...batch, version: expectedVersion + 1 }), ...(lease ? { leaseHolder: lease.holder, leaseUntil: lease.untilMs } : {}) },
          ConditionExpression: 'attribute_exists(pk) AND version = :v',
          ExpressionAttributeValues: { ':v': expectedVersion },
        }),
      );
      this.meter.count('dynamoWrites');
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async *batchSummaries(runId: string, seq: number): AsyncIterable<BatchSummary> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': batchPk(runId, seq) },
          ProjectionExpression: 'batchNo, #total, succeeded, failed, minGen',
          ExpressionAttributeNames: { '#total': 'total' },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      this.meter.count('dynamoReads');
      for (const item of page.Items ?? []) {
        yield {
          batchNo: Number(item.batchNo),
          total: Number(item.total),
          succeeded: Number(item.succeeded),
          failed: Number(item.failed),
          minGeneration: Number(item.minGen),
        };
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  async listItems(runId: string, seq: number, query: { status?: ItemStatus; limit: number; nextToken?: string }): Promise<ItemPage> {
    const cursor = decodeCursor(query.nextToken);
    const items: ItemView[] = [];
    const onlyFailed = query.status === 'FAILED';
    let startKey: Record<string, unknown> | undefined;
    let first = true;
    while (first || startKey) {
      first = false;
      const page = await this.send(
        new QueryCommand({
          TableName: this.tableName,
          ...(onlyFailed ? { IndexName: 'failedBatches' } : {}),
          KeyConditionExpression: `${onlyFailed ? 'failedPk' : 'pk'} = :pk AND sk >= :from`,
          ExpressionAttributeValues: { ':pk': batchPk(runId, seq), ':from': batchSk(cursor.batchNo) },
          Limit: BATCHES_PER_PAGE,
          ExclusiveStartKey: startKey,
        }),
      );
      this.meter.count('dynamoReads');
      for (const raw of page.Items ?? []) {
        const batch = toBatchRecord(raw as BatchItem);
        const from = batch.batchNo === cursor.batchNo ? cursor.index : 0;
        for (let i = from; i < batch.itemIds.length; i++) {
          const status = batch.status[i] as ItemStatus;
          if (query.status && status !== query.status) continue;
          if (items.length === query.limit) return { items, nextToken: encodeCursor({ batchNo: batch.batchNo, index: i }) };
          items.push(itemView(batch, i));
        }
      }
      startKey = page.LastEvaluatedKey;
    }
    return { items };
  }

  private runHeaderItem(header: Omit<Run, 'jobs'>): Record<string, unknown> {
    return {
      ...header,
      pk: runPk(header.runId),
      sk: 'RUN',
      gsi1pk: `CLIENT#${header.clientId}#DATE#${header.processingDate}`,
      gsi1sk: `${header.scheduleId}#${pad(header.attempt, 4)}`,
      ...(isTerminal(header.status) ? {} : { activePk: ACTIVE, activeSk: header.runId }),
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
      error: job.error,
    };
    return item as unknown as Record<string, unknown>;
  }

  private batchItem(batch: BatchRecord): BatchItem {
    let succeeded = 0;
    let failed = 0;
    let minGen = Number.POSITIVE_INFINITY;
    const codes: string[] = [];
    batch.status.forEach((status, i) => {
      codes.push(STATUS_CODES[status]);
      if (status === 'SUCCEEDED') succeeded++;
      if (status === 'FAILED') failed++;
      minGen = Math.min(minGen, status === 'PENDING' ? -1 : (batch.generations[i] ?? -1));
    });
    const retentionDays = this.options.outcomeRetentionDays ?? 400;
    return {
      pk: batchPk(batch.runId, batch.seq),
      sk: batchSk(batch.batchNo),
      runId: batch.runId,
      seq: batch.seq,
      batchNo: batch.batchNo,
      ids: JSON.stringify(batch.itemIds),
      st: codes.join(''),
      at: JSON.stringify(batch.attempts),
      gn: JSON.stringify(batch.generations),
      up: JSON.stringify(batch.updated),
      er: JSON.stringify(batch.errors),
      version: batch.version,
      total: batch.itemIds.length,
      succeeded,
      failed,
      minGen: Number.isFinite(minGen) ? minGen : -1,
      ...(failed > 0 ? { failedPk: batchPk(batch.runId, batch.seq) } : {}),
      expiresAt: Math.floor(Date.now() / 1000) + retentionDays * 86_400,
    };
  }

  private async read<T>(key: { pk: string; sk: string }, consistent: boolean): Promise<T | undefined> {
    const result = await this.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: consistent }));
    this.meter.count('dynamoReads');
    return result.Item as T | undefined;
  }

  private async queryAll(input: QueryCommandInput): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
      this.meter.count('dynamoReads');
      items.push(...((page.Items ?? []) as Record<string, unknown>[]));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  /** Sends a command, turning throttling and service hiccups into TransientStoreError (the ASL retries it). */
  private send(command: GetCommand): Promise<GetCommandOutput>;
  private send(command: QueryCommand): Promise<QueryCommandOutput>;
  private send(command: BatchWriteCommand): Promise<BatchWriteCommandOutput>;
  private send(command: PutCommand | UpdateCommand | TransactWriteCommand): Promise<unknown>;
  private async send(command: GetCommand | QueryCommand | BatchWriteCommand | PutCommand | UpdateCommand | TransactWriteCommand): Promise<unknown> {
    try {
      return await sendToDynamo(() => this.db.send(command as GetCommand));
    } catch (error) {
      if (isThrottledTransaction(error)) throw new TransientStoreError(`DynamoDB is busy: ${(error as Error).name}`);
      throw error;
    }
  }
}

function toRun(header: Record<string, unknown>, jobs: RunJob[]): Run {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, activePk: _a1, activeSk: _a2, ...run } = header;
  return { ...(run as unknown as Omit<Run, 'jobs'>), jobs: jobs.sort((a, b) => a.seq - b.seq) };
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
    ...(item.error ? { error: item.error } : {}),
  };
}

function toBatchRecord(item: BatchItem): BatchRecord {
  return {
    runId: item.runId,
    seq: Number(item.seq),
    batchNo: Number(item.batchNo),
    itemIds: JSON.parse(item.ids) as string[],
    status: [...item.st].map((code) => STATUS_OF_CODE[code] ?? 'PENDING'),
    attempts: JSON.parse(item.at) as number[],
    generations: JSON.parse(item.gn) as number[],
    updated: JSON.parse(item.up) as number[],
    errors: JSON.parse(item.er) as Record<number, ErrorInfo>,
    version: Number(item.version),
  };
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
    // fall through to the validation error
  }
  throw new ValidationError('nextToken is not a token this API issued', [{ path: 'nextToken', message: 'invalid token' }]);
}

function isConditionFailure(error: unknown): boolean {
  if (error instanceof ConditionalCheckFailedException) return true;
  if (error instanceof TransactionCanceledException) {
    return (error.CancellationReasons ?? []).some((reason) => reason.Code === 'ConditionalCheckFailed');
  }
  return false;
}

/** A transaction cancelled because of throttling or a conflicting transaction, not a condition: it may be sent again. */
function isThrottledTransaction(error: unknown): boolean {
  if (error instanceof TransactionCanceledException) {
    return (error.CancellationReasons ?? []).some((reason) => reason.Code === 'TransactionConflict' || reason.Code === 'ThrottlingError');
  }
  return false;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
