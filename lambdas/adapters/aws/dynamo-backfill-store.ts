import { GetCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Backfill, BackfillSlot } from '../../domain/backfill';
import type { RunStatus } from '../../domain/model';
import type { ActiveBackfill, BackfillProgress, BackfillStore } from '../../ports/backfill-store';
import { runHeaderKey } from './dynamo-run-table';
import { batchGetAll, batchWriteAll, queryAll, resilientSend, writeIfConditionsHold } from './dynamo-toolkit';

/**
 * Backfills in the runs table (RUNS_TABLE), next to the runs they start:
 * - `BACKFILL#<id>` / `HEADER`          its settings and progress (small: every pump rewrites it)
 * - `BACKFILL#<id>` / `DATES`           its occurrence dates, written once
 * - `BACKFILL#<id>` / `RUN#<date>`      the run that holds a started date
 * - `BACKFILL#ACTIVE` / `<client>#<schedule>`  the schedule's RUNNING backfill: created with the
 *   backfill only if absent (one per schedule), deleted when it is DONE. A run's end reads one
 *   key here; the safety tick reads this one partition, which holds only running backfills.
 */
const backfillPk = (backfillId: string): string => `BACKFILL#${backfillId}`;
const ACTIVE_PK = 'BACKFILL#ACTIVE';
const activeSk = (clientId: string, scheduleId: string): string => `${clientId}#${scheduleId}`;
const HEADER = 'HEADER';
const DATES = 'DATES';
const RUN_PREFIX = 'RUN#';

/** Rounds of a create that found the schedule's active marker gone before it could read it. */
const CREATE_ROUNDS = 3;

type HeaderItem = Omit<Backfill, 'dates'> & { pk: string; sk: string };

export class DynamoBackfillStore implements BackfillStore {
  private readonly send: DynamoDBDocumentClient['send'];

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.send = resilientSend(db);
  }

  async create(backfill: Backfill): Promise<{ created: true } | { created: false; activeId: string }> {
    const { dates, ...header } = backfill;
    const pk = backfillPk(backfill.backfillId);
    const marker = { pk: ACTIVE_PK, sk: activeSk(backfill.clientId, backfill.scheduleId), clientId: backfill.clientId, scheduleId: backfill.scheduleId, backfillId: backfill.backfillId };
    const writes = [
      { Put: { TableName: this.tableName, Item: marker, ConditionExpression: 'attribute_not_exists(pk)' } },
      { Put: { TableName: this.tableName, Item: { ...header, pk, sk: HEADER }, ConditionExpression: 'attribute_not_exists(pk)' } },
      { Put: { TableName: this.tableName, Item: { pk, sk: DATES, dates } } },
    ];
    for (let round = 0; round < CREATE_ROUNDS; round++) {
      if (await writeIfConditionsHold(() => this.send(new TransactWriteCommand({ TransactItems: writes })))) return { created: true };
      const active = await this.activeOf(backfill.clientId, backfill.scheduleId);
      if (active) return { created: false, activeId: active.backfillId };
    }
    throw new Error(`the backfills of schedule ${backfill.scheduleId} keep changing; try again`);
  }

  async get(backfillId: string, consistent = false): Promise<Backfill | undefined> {
    const items = await queryAll(this.db, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :dates AND :header',
      ExpressionAttributeValues: { ':pk': backfillPk(backfillId), ':dates': DATES, ':header': HEADER },
      ConsistentRead: consistent,
    });
    const header = items.find((item) => item.sk === HEADER) as HeaderItem | undefined;
    const dates = items.find((item) => item.sk === DATES)?.dates as string[] | undefined;
    if (!header || !dates) return undefined;
    const { pk: _pk, sk: _sk, ...backfill } = header;
    return { ...backfill, dates };
  }

  async advance(backfill: Pick<Backfill, 'backfillId' | 'clientId' | 'scheduleId' | 'version'>, progress: BackfillProgress): Promise<boolean> {
    const update = {
      TableName: this.tableName,
      Key: { pk: backfillPk(backfill.backfillId), sk: HEADER },
      UpdateExpression: `SET #next = :next, #open = :open, #status = :status, updatedAt = :at, version = :newVersion${progress.error ? ', #error = :error' : ''}`,
      ConditionExpression: 'version = :version',
      ExpressionAttributeNames: { '#next': 'next', '#open': 'open', '#status': 'status', ...(progress.error ? { '#error': 'error' } : {}) },
      ExpressionAttributeValues: {
        ':next': progress.next,
        ':open': progress.open,
        ':status': progress.status,
        ':at': progress.updatedAt,
        ':version': backfill.version,
        ':newVersion': backfill.version + 1,
        ...(progress.error ? { ':error': progress.error } : {}),
      },
    };
    if (progress.status !== 'DONE') return writeIfConditionsHold(() => this.send(new UpdateCommand(update)));
    const activeMarker = {
      TableName: this.tableName,
      Key: { pk: ACTIVE_PK, sk: activeSk(backfill.clientId, backfill.scheduleId) },
      // Only its own marker: never the next backfill's.
      ConditionExpression: 'attribute_not_exists(pk) OR backfillId = :id',
      ExpressionAttributeValues: { ':id': backfill.backfillId },
    };
    return writeIfConditionsHold(() => this.send(new TransactWriteCommand({ TransactItems: [{ Update: update }, { Delete: activeMarker }] })));
  }

  async recordStarted(backfillId: string, slots: readonly BackfillSlot[]): Promise<void> {
    const pk = backfillPk(backfillId);
    await batchWriteAll(
      this.db,
      this.tableName,
      slots.map((slot) => ({ pk, sk: `${RUN_PREFIX}${slot.processingDate}`, ...slot })),
    );
  }

  async startedRuns(backfillId: string): Promise<BackfillSlot[]> {
    const items = await queryAll(this.db, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :run)',
      ExpressionAttributeValues: { ':pk': backfillPk(backfillId), ':run': RUN_PREFIX },
    });
    return items.map((item) => ({ processingDate: String(item.processingDate), runId: String(item.runId) }));
  }

  async activeOf(clientId: string, scheduleId: string): Promise<ActiveBackfill | undefined> {
    const result = await this.send(new GetCommand({ TableName: this.tableName, Key: { pk: ACTIVE_PK, sk: activeSk(clientId, scheduleId) }, ConsistentRead: true }));
    return result.Item ? toActive(result.Item) : undefined;
  }

  async listActive(): Promise<ActiveBackfill[]> {
    const items = await queryAll(this.db, { TableName: this.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': ACTIVE_PK } });
    return items.map(toActive);
  }

  async runStatuses(runIds: readonly string[]): Promise<Map<string, RunStatus>> {
    const keys = [...new Set(runIds)].map(runHeaderKey);
    const items = await batchGetAll(this.db, this.tableName, keys);
    return new Map(items.map((item) => [String(item.runId), item.status as RunStatus]));
  }
}

function toActive(item: Record<string, unknown>): ActiveBackfill {
  return { clientId: String(item.clientId), scheduleId: String(item.scheduleId), backfillId: String(item.backfillId) };
}
