import { beforeAll, describe, expect, it } from 'vitest';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoConfigStore } from '../../lambdas/adapters/aws/dynamo-config-store';
import { batchWriteAll } from '../../lambdas/adapters/aws/dynamo-toolkit';
import { SELF_FIRING_INDEX, SELF_FIRING_SHARDS, selfFiringIndexKeys } from '../../lambdas/adapters/aws/dynamo-trigger-pages';
import { CONFIG_TABLE } from '../../lambdas/adapters/aws/table-definitions';
import { ValidationError } from '../../lambdas/domain/errors';
import type { ScheduleKey } from '../../lambdas/ports/schedule-trigger';
import { ScheduleFiringService, type TriggerReport } from '../../lambdas/services/schedule-firing-service';
import { meteredDocument } from '../adapters/support/metered-client';
import { createTestTables, type TestTables } from '../support/dynamo';
import { silentLogger } from '../support/engine-harness';
import { scheduleFixture } from '../support/fixtures';

const NOW = new Date('2026-12-01T00:10:00Z');

/**
 * `count` self-firing schedules of one client and `manual` MANUAL ones: one of each saved through
 * the store, the others copies of its item (same size, same index keys, derived from their own
 * ids) written 25 at a time, since 10,000 schedule transactions take minutes on DynamoDB Local.
 */
async function seedSchedules(tables: TestTables, count: number, manual: number): Promise<string[]> {
  const tableName = tables.tableName(CONFIG_TABLE);
  const store = new DynamoConfigStore(tables.document, tableName);
  const now = '2026-11-30T00:00:00Z';
  await store.createClient(
    { clientId: 'fleet', name: 'Fleet', timezone: 'UTC', dailyScheduleId: 'sch_0', createdAt: now, updatedAt: now },
    scheduleFixture({ clientId: 'fleet', scheduleId: 'sch_0', name: 'daily', mandatory: true }),
  );
  await store.createSchedule(scheduleFixture({ clientId: 'fleet', scheduleId: 'man_0', name: 'by hand', frequency: { type: 'MANUAL' } }));
  const read = async (sk: string) => (await tables.document.send(new GetCommand({ TableName: tableName, Key: { pk: 'CLIENT#fleet', sk } }))).Item!;
  const [firing, byHand] = [await read('SCHEDULE#sch_0'), await read('SCHEDULE#man_0')];
  const items: Array<Record<string, unknown>> = [];
  for (let i = 1; i < count; i++) {
    const scheduleId = `sch_${i}`;
    const indexKeys = selfFiringIndexKeys({ clientId: 'fleet', scheduleId, enabled: true, frequency: { type: 'DAILY' } });
    items.push({ ...firing, sk: `SCHEDULE#${scheduleId}`, scheduleId, name: `s${i}`, nameKey: `s${i}`, ...indexKeys });
  }
  for (let i = 1; i < manual; i++) items.push({ ...byHand, sk: `SCHEDULE#man_${i}`, scheduleId: `man_${i}`, name: `m${i}`, nameKey: `m${i}` });
  await batchWriteAll(tables.document, tableName, items);
  return Array.from({ length: count }, (_, i) => `sch_${i}`);
}

/** The reconciler over a trigger that fired moments ago for every schedule: it only lists and checks. */
function reconcilerOf(store: DynamoConfigStore, checked: string[]): ScheduleFiringService {
  const trigger = {
    armedAt: async (key: ScheduleKey) => {
      checked.push(key.scheduleId);
      return new Date(NOW.getTime() - 1_000).toISOString();
    },
  };
  return new ScheduleFiringService({ config: store, trigger, clock: { now: () => NOW }, logger: silentLogger } as unknown as ConstructorParameters<typeof ScheduleFiringService>[0]);
}

describe('the reconciler pages the self-firing schedules, never scans the config table', () => {
  let tables: TestTables;
  let tableName: string;

  beforeAll(async () => {
    tables = await createTestTables();
    tableName = tables.tableName(CONFIG_TABLE);
  });

  it('checks 10,000 schedules over invocations of 1,000, each once a pass, reading in proportion to its pages', async () => {
    const ids = await seedSchedules(tables, 10_000, 2_000);
    const metered = meteredDocument(tables.endpoint);
    const store = new DynamoConfigStore(metered.document, tableName);
    const checked: string[] = [];
    const reconciler = reconcilerOf(store, checked);

    const reports: TriggerReport[] = [];
    const units: number[] = [];
    do {
      metered.meter.reset();
      reports.push(await reconciler.reconcileTriggers());
      units.push(metered.meter.get('dynamoReadUnits'));
      // One invocation: the cursor, its pages of 100 and the saved cursor; never a Scan.
      expect(metered.meter.get('dynamoReads')).toBeLessThanOrEqual(reports.at(-1)!.pages + 1);
      // 1,000 schedules of about half a KB, eventually consistent: under a hundred units, where
      // the consistent Scan read all 12,000 items (and every other item of the table) each time.
      expect(metered.meter.get('dynamoReadUnits')).toBeLessThan(100);
    } while (!reports.at(-1)!.passComplete && reports.length < 20);

    // Ten invocations of 1,000 (an eleventh may find the index's end: DynamoDB could not tell at
    // the tenth's last page that nothing follows); the MANUAL schedules are not in the index.
    expect(reports.slice(0, 10).map((r) => r.checked)).toEqual(Array(10).fill(1_000));
    expect(reports.slice(10).map((r) => r.checked)).toEqual(reports.length === 11 ? [0] : []);
    console.log(`10,000 self-firing schedules: ${reports.length} invocations, at most ${Math.max(...units)} read units and ${Math.max(...reports.map((r) => r.pages))} pages each`);
    expect(checked).toHaveLength(10_000);
    expect(new Set(checked)).toEqual(new Set(ids));
    // The next invocation starts the next pass from the first schedule.
    const firstOfPass = checked[0];
    checked.length = 0;
    expect((await reconciler.reconcileTriggers()).checked).toBe(1_000);
    expect(checked[0]).toBe(firstOfPass);
    metered.close();

    // No table-wide hot key: every shard of the index holds its share of the 10,000, none twice its share.
    const perShard: number[] = [];
    for (let shard = 0; shard < SELF_FIRING_SHARDS; shard++) {
      const counted = await tables.document.send(
        new QueryCommand({ TableName: tableName, IndexName: SELF_FIRING_INDEX, KeyConditionExpression: 'selfFiringPk = :pk', ExpressionAttributeValues: { ':pk': `SELF_FIRING#${shard}` }, Select: 'COUNT' }),
      );
      perShard.push(counted.Count ?? 0);
    }
    expect(perShard.reduce((sum, count) => sum + count, 0)).toBe(10_000);
    for (const count of perShard) expect(count).toBeGreaterThan(10_000 / SELF_FIRING_SHARDS / 2);
    for (const count of perShard) expect(count).toBeLessThan((10_000 / SELF_FIRING_SHARDS) * 2);
  }, 600_000);

  it('drops a schedule from the index when it is disabled or made MANUAL, and takes it back when enabled', async () => {
    const store = new DynamoConfigStore(tables.document, tableName);
    const now = '2026-11-30T00:00:00Z';
    await store.createClient(
      { clientId: 'solo', name: 'Solo', timezone: 'UTC', dailyScheduleId: 'sch_daily', createdAt: now, updatedAt: now },
      scheduleFixture({ clientId: 'solo', scheduleId: 'sch_daily', name: 'daily', mandatory: true }),
    );
    const listed = async (): Promise<string[]> => {
      const ids: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.scheduleTriggerPage(1_000, cursor);
        ids.push(...page.schedules.filter((s) => s.clientId === 'solo').map((s) => s.scheduleId));
        cursor = page.cursor;
      } while (cursor);
      return ids;
    };
    const weekly = scheduleFixture({ clientId: 'solo', scheduleId: 'sch_weekly', name: 'weekly' });
    await store.createSchedule(weekly);

    expect(await listed()).toEqual(['sch_daily', 'sch_weekly']);
    await store.updateSchedule({ ...weekly, enabled: false }, 1);
    expect(await listed()).toEqual(['sch_daily']);
    await store.updateSchedule({ ...weekly, enabled: true }, 2);
    expect(await listed()).toEqual(['sch_daily', 'sch_weekly']);
    await store.updateSchedule({ ...weekly, frequency: { type: 'MANUAL' } }, 3);
    expect(await listed()).toEqual(['sch_daily']);
    // What the store returns is the schedule, without the index's keys.
    expect(Object.keys((await store.getSchedule('solo', 'sch_daily'))!)).not.toContain('selfFiringPk');
  }, 60_000);

  it('refuses a cursor it did not issue', async () => {
    const store = new DynamoConfigStore(tables.document, tableName);
    const forged = Buffer.from(JSON.stringify({ pk: 'CLIENT#other', sk: 'CLIENT' })).toString('base64url');
    const pastLastShard = Buffer.from(JSON.stringify({ shard: SELF_FIRING_SHARDS })).toString('base64url');

    for (const cursor of ['not-a-cursor', forged, pastLastShard]) {
      await expect(store.scheduleTriggerPage(10, cursor)).rejects.toMatchObject({ details: [{ path: 'cursor' }] });
      await expect(store.scheduleTriggerPage(10, cursor)).rejects.toBeInstanceOf(ValidationError);
    }
  });

  it('starts the pass again from a cursor saved before the index was sharded', async () => {
    const store = new DynamoConfigStore(tables.document, tableName);
    const unsharded = { pk: 'CLIENT#fleet', sk: 'SCHEDULE#sch_5', selfFiringPk: 'SELF_FIRING', selfFiringSk: 'fleet#sch_5' };
    await tables.document.send(
      new PutCommand({ TableName: tableName, Item: { pk: 'RECONCILE', sk: 'TRIGGERS', cursor: Buffer.from(JSON.stringify(unsharded)).toString('base64url') } }),
    );

    expect(await store.getTriggerCursor()).toBeUndefined();
    const checked: string[] = [];
    expect((await reconcilerOf(store, checked).reconcileTriggers(10)).checked).toBe(10);

    await store.saveTriggerCursor(undefined);
    const fromStart: string[] = [];
    await reconcilerOf(store, fromStart).reconcileTriggers(10);
    expect(checked).toEqual(fromStart);
  });
});
