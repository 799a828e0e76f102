import { DeleteCommand, PutCommand, TransactWriteCommand, type DynamoDBDocumentClient, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { RunEvent } from '../../domain/run-events';
import type { DueDeadline, RunEventOutbox } from '../../ports/run-events';
import { runHeaderKey } from './dynamo-run-table';
import { cancellationCodes, getItem, queryAll, resilientSend, writeIfConditionsHold, type Item } from './dynamo-toolkit';

/*
 * Run events on the runs table (RUNS_TABLE):
 * - `EVENT#<eventId>` / `EVENT`          the event, written with the state change it announces,
 *                                        conditional on absence: the key that refuses a repeat
 * - `OUTBOX#<shard>` / `<at>#<eventId>`  still to dispatch; deleted once dispatched. Deployed, its
 *                                        INSERT on the table's stream invokes the dispatcher
 * - `DUE#<hour>` / `<deadlineAt>#<runId>` a deadline to check, in the hour bucket it falls in, so
 *                                        a sweep reads the buckets up to now instead of scanning runs
 * - `DUE` / `CURSOR`                     the first hour bucket that may still hold unsettled deadlines
 */
const OUTBOX_SHARDS = 4;
/** An event record outlives every retry of its deliveries (an hour and more) by far. */
const EVENT_RETENTION_DAYS = 30;
/** Where a sweep that never ran starts: a deadline lies at most 7 days after its run's creation. */
const FIRST_SWEEP_LOOKBACK_HOURS = 8 * 24;

const eventKey = (eventId: string) => ({ pk: `EVENT#${eventId}`, sk: 'EVENT' });
const outboxKey = (event: Pick<RunEvent, 'eventId' | 'at'>) => ({ pk: `OUTBOX#${shardOf(event.eventId)}`, sk: `${event.at}#${event.eventId}` });
const hourOf = (instant: string): string => instant.slice(0, 13);
const dueKey = (due: DueDeadline) => ({ pk: `DUE#${hourOf(due.deadlineAt)}`, sk: `${due.deadlineAt}#${due.runId}` });
const DUE_CURSOR = { pk: 'DUE', sk: 'CURSOR' };

function shardOf(eventId: string): number {
  let hash = 0;
  for (const char of eventId) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash % OUTBOX_SHARDS;
}

/** The two puts that record an event with its state change, as actions of the change's transaction. */
export function eventWrites(tableName: string, event: RunEvent): Array<{ Put: { TableName: string; Item: Item; ConditionExpression?: string } }> {
  const body = JSON.stringify(event);
  const expiresAt = Math.floor(Date.parse(event.at) / 1000) + EVENT_RETENTION_DAYS * 86_400;
  return [
    { Put: { TableName: tableName, Item: { ...eventKey(event.eventId), body, expiresAt }, ConditionExpression: 'attribute_not_exists(pk)' } },
    { Put: { TableName: tableName, Item: { ...outboxKey(event), body } } },
  ];
}

/** The deadline entry a run claimed with a deadline carries into its claim's transaction. */
export function deadlineWrite(tableName: string, due: DueDeadline): { Put: { TableName: string; Item: Item } } {
  return { Put: { TableName: tableName, Item: { ...dueKey(due), runId: due.runId, deadlineAt: due.deadlineAt } } };
}

/**
 * Sends a state change with the event that announces it. When only the event's put fails its
 * condition, the change was announced before (a repeat of the same change): the change alone is
 * written again, as it would have been without events. False when the change's own condition fails.
 */
export async function writeAnnounced(
  db: DynamoDBDocumentClient,
  tableName: string,
  change: NonNullable<TransactWriteCommandInput['TransactItems']>[number],
  event: RunEvent,
  alone: () => Promise<boolean>,
): Promise<boolean> {
  try {
    await resilientSend(db)(new TransactWriteCommand({ TransactItems: [change, ...eventWrites(tableName, event)] }));
    return true;
  } catch (error) {
    const codes = cancellationCodes(error);
    if (!codes) throw error;
    if (codes[0] === 'ConditionalCheckFailed') return false;
    if (codes[1] === 'ConditionalCheckFailed') return alone();
    throw error;
  }
}

/** The outbox and the deadline buckets on the runs table. */
export class DynamoRunEventOutbox implements RunEventOutbox {
  private readonly send: DynamoDBDocumentClient['send'];

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.send = resilientSend(db);
  }

  async pendingEvents(limit: number): Promise<RunEvent[]> {
    const shards = await Promise.all(
      Array.from({ length: OUTBOX_SHARDS }, (_, shard) =>
        queryAll(this.db, { TableName: this.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `OUTBOX#${shard}` }, Limit: limit }),
      ),
    );
    return shards
      .flat()
      .sort((a, b) => String(a.sk).localeCompare(String(b.sk)))
      .slice(0, limit)
      .map((item) => JSON.parse(String(item.body)) as RunEvent);
  }

  async markDispatched(event: Pick<RunEvent, 'eventId' | 'at'>): Promise<void> {
    await this.send(new DeleteCommand({ TableName: this.tableName, Key: outboxKey(event) }));
  }

  async getEvent(eventId: string): Promise<RunEvent | undefined> {
    const item = await getItem<{ body: string }>(this.db, this.tableName, eventKey(eventId), true);
    return item ? (JSON.parse(item.body) as RunEvent) : undefined;
  }

  async dueDeadlines(now: Date): Promise<DueDeadline[]> {
    const cursor = await getItem<{ hour: string }>(this.db, this.tableName, DUE_CURSOR, true);
    const nowHour = hourOf(now.toISOString());
    const first = cursor?.hour ?? hourOf(new Date(now.getTime() - FIRST_SWEEP_LOOKBACK_HOURS * 3_600_000).toISOString());
    const due: DueDeadline[] = [];
    let keepFrom: string | undefined;
    for (let hour = first; hour <= nowHour; hour = nextHour(hour)) {
      const items = await queryAll(this.db, {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk <= :upTo',
        ExpressionAttributeValues: { ':pk': `DUE#${hour}`, ':upTo': `${now.toISOString()}~` },
        ConsistentRead: true,
      });
      if (items.length > 0) keepFrom ??= hour;
      due.push(...items.map((item) => ({ runId: String(item.runId), deadlineAt: String(item.deadlineAt) })));
    }
    // The cursor never passes a bucket with entries left: what the caller fails to settle is read again.
    const next = keepFrom ?? nowHour;
    if (next !== cursor?.hour) await this.send(new PutCommand({ TableName: this.tableName, Item: { ...DUE_CURSOR, hour: next } }));
    return due;
  }

  markLate(runId: string, event: RunEvent): Promise<boolean> {
    const late = {
      TableName: this.tableName,
      Key: runHeaderKey(runId),
      UpdateExpression: 'SET late = :late',
      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(late)',
      ExpressionAttributeValues: { ':late': true },
    };
    return writeIfConditionsHold(() => this.send(new TransactWriteCommand({ TransactItems: [{ Update: late }, ...eventWrites(this.tableName, event)] })));
  }

  async settleDeadline(due: DueDeadline): Promise<void> {
    await this.send(new DeleteCommand({ TableName: this.tableName, Key: dueKey(due) }));
  }
}

function nextHour(hour: string): string {
  return hourOf(new Date(Date.parse(`${hour}:00:00Z`) + 3_600_000).toISOString());
}
