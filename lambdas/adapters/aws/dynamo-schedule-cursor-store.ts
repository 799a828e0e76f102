import { DeleteCommand, GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ScheduleCursorStore, ScheduleKey } from '../../ports/schedule-trigger';
import { isConditionFailure, resilientSend } from './dynamo-toolkit';

/** `CURSOR#<clientId>#<scheduleId>` / `CURSOR` in the runs table (RUNS_TABLE in table-definitions.ts). */
const cursorKey = (schedule: ScheduleKey): { pk: string; sk: string } => ({ pk: `CURSOR#${schedule.clientId}#${schedule.scheduleId}`, sk: 'CURSOR' });

/**
 * Each schedule's scheduler cursor, one item per schedule next to its runs. The instant is kept as
 * epoch milliseconds, so that "only forward" is a numeric condition, and as ISO text for people.
 */
export class DynamoScheduleCursorStore implements ScheduleCursorStore {
  private readonly send: DynamoDBDocumentClient['send'];

  constructor(
    document: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.send = resilientSend(document);
  }

  async get(schedule: ScheduleKey): Promise<string | undefined> {
    const result = await this.send(new GetCommand({ TableName: this.tableName, Key: cursorKey(schedule), ConsistentRead: true }));
    const cursorMs = result.Item?.cursorMs;
    return typeof cursorMs === 'number' ? new Date(cursorMs).toISOString() : undefined;
  }

  async advance(schedule: ScheduleKey, at: string): Promise<void> {
    const cursorMs = Date.parse(at);
    if (Number.isNaN(cursorMs)) throw new Error(`Not an instant: ${at}`);
    try {
      await this.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: cursorKey(schedule),
          UpdateExpression: 'SET cursorMs = :ms, cursorAt = :at',
          ConditionExpression: 'attribute_not_exists(cursorMs) OR cursorMs < :ms',
          ExpressionAttributeValues: { ':ms': cursorMs, ':at': new Date(cursorMs).toISOString() },
        }),
      );
    } catch (error) {
      // Already at or past `at`: another fire or scheduler got there first.
      if (!isConditionFailure(error)) throw error;
    }
  }

  async delete(schedule: ScheduleKey): Promise<void> {
    await this.send(new DeleteCommand({ TableName: this.tableName, Key: cursorKey(schedule) }));
  }
}
