import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { ValidationError } from '../../domain/errors';
import type { Schedule } from '../../domain/model';
import { decodePageToken, encodePageToken } from '../../domain/page-token';
import { firesByItself } from '../../domain/schedule-firing';
import type { ScheduleTriggerPage } from '../../ports/config-store';
import { toSchedule, type ConfigTable } from './dynamo-config-table';
import { shardOf } from './dynamo-run-table';

export const SELF_FIRING_INDEX = 'selfFiringSchedules';
/**
 * The sparse selfFiringSchedules index spreads the schedules over this many partitions, by a hash
 * of client and schedule, so that saving thousands of schedules at once (onboarding a wave of
 * clients) writes to eight index partitions, not one table-wide key. A pass of the reconciler
 * reads them one after another: eight Queries at the least, however few the schedules.
 */
export const SELF_FIRING_SHARDS = 8;
const selfFiringShardPk = (shard: number): string => `SELF_FIRING#${shard}`;
/** Where the reconciler's pass over the index continues: `RECONCILE` / `TRIGGERS`. */
const TRIGGER_CURSOR_KEY = { pk: 'RECONCILE', sk: 'TRIGGERS' };

export interface SelfFiringIndexKeys {
  selfFiringPk: string;
  /** Unique per schedule: a shard's Query resumes after the last one it read. */
  selfFiringSk: string;
}

/** The index keys a schedule item carries; none when it does not fire by itself (the index is sparse). */
export function selfFiringIndexKeys(schedule: Pick<Schedule, 'clientId' | 'scheduleId' | 'enabled' | 'frequency'>): SelfFiringIndexKeys | undefined {
  if (!firesByItself(schedule)) return undefined;
  const selfFiringSk = `${schedule.clientId}#${schedule.scheduleId}`;
  return { selfFiringPk: selfFiringShardPk(shardOf(selfFiringSk, SELF_FIRING_SHARDS)), selfFiringSk };
}

/** A page's cursor: the shard to read and the last schedule read in it. */
const TriggerCursorSchema = z
  .object({
    shard: z
      .number()
      .int()
      .min(0)
      .max(SELF_FIRING_SHARDS - 1),
    after: z.string().min(1).optional(),
  })
  .strict();
type TriggerCursor = z.infer<typeof TriggerCursorSchema>;

/**
 * The reconciler's pages of the self-firing schedules, shard by shard, and its saved place. A
 * page is one Query of one shard: it ends where the shard ends, so a short or empty page is not
 * the end of the pass; only a page without a cursor is.
 */
export class DynamoTriggerPages {
  constructor(private readonly table: ConfigTable) {}

  async scheduleTriggerPage(limit: number, cursor?: string): Promise<ScheduleTriggerPage> {
    const { shard, after } = cursor === undefined ? { shard: 0, after: undefined } : startOf(cursor);
    const page = await this.table.send(
      new QueryCommand({
        TableName: this.table.name,
        IndexName: SELF_FIRING_INDEX,
        KeyConditionExpression: after === undefined ? 'selfFiringPk = :pk' : 'selfFiringPk = :pk AND selfFiringSk > :after',
        ExpressionAttributeValues: { ':pk': selfFiringShardPk(shard), ...(after === undefined ? {} : { ':after': after }) },
        Limit: limit,
      }),
    );
    const last = page.LastEvaluatedKey?.selfFiringSk;
    const next: TriggerCursor | undefined = typeof last === 'string' ? { shard, after: last } : shard + 1 < SELF_FIRING_SHARDS ? { shard: shard + 1 } : undefined;
    return { schedules: (page.Items ?? []).map(toSchedule), ...(next ? { cursor: encodePageToken(next) } : {}) };
  }

  /** A cursor saved before the index was sharded (the unsharded index's key) is not one of these: the pass starts again. */
  async getTriggerCursor(): Promise<string | undefined> {
    const item = await this.table.get(TRIGGER_CURSOR_KEY.pk, TRIGGER_CURSOR_KEY.sk);
    return typeof item?.cursor === 'string' && decodePageToken(item.cursor, TriggerCursorSchema) ? item.cursor : undefined;
  }

  async saveTriggerCursor(cursor: string | undefined): Promise<void> {
    await this.table.send(new PutCommand({ TableName: this.table.name, Item: { ...TRIGGER_CURSOR_KEY, ...(cursor ? { cursor } : {}) } }));
  }
}

/** Where a page starts; a cursor this store did not issue is refused. */
function startOf(cursor: string): TriggerCursor {
  const start = decodePageToken(cursor, TriggerCursorSchema);
  if (!start) throw new ValidationError('cursor is not a cursor this store issued', [{ path: 'cursor', message: 'invalid cursor' }]);
  return start;
}
