import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConfigTable } from '../../lambdas/adapters/aws/dynamo-config-table';
import { DynamoConfigStore } from '../../lambdas/adapters/aws/dynamo-config-store';
import { indexSchedule, migrateSelfFiringIndex, type MigrationPage } from '../../lambdas/adapters/aws/dynamo-trigger-index-migration';
import { CONFIG_TABLE } from '../../lambdas/adapters/aws/table-definitions';
import type { Schedule } from '../../lambdas/domain/model';
import type { ScheduleKey } from '../../lambdas/ports/schedule-trigger';
import { ScheduleFiringService } from '../../lambdas/services/schedule-firing-service';
import { createTestTables, type TestTables } from '../support/dynamo';
import { silentLogger } from '../support/engine-harness';
import { scheduleFixture } from '../support/fixtures';

const run = promisify(execFile);
const NOW = new Date('2026-12-01T00:10:00Z');
const SAVED = '2026-11-30T00:00:00.000Z';

/** What the reconciler checks in one whole pass: the schedules it reads from the self-firing index. */
async function reconcilerReads(store: DynamoConfigStore): Promise<string[]> {
  const checked: string[] = [];
  const trigger = {
    armedAt: async (key: ScheduleKey) => {
      checked.push(key.scheduleId);
      // Fired moments ago: the reconciler leaves it to its BeginRun and only reads.
      return new Date(NOW.getTime() - 1_000).toISOString();
    },
  };
  const reconciler = new ScheduleFiringService({ config: store, trigger, clock: { now: () => NOW }, logger: silentLogger } as unknown as ConstructorParameters<typeof ScheduleFiringService>[0]);
  while (!(await reconciler.reconcileTriggers()).passComplete);
  return checked.sort();
}

/** The `npm run migrate:self-firing` command, as an operator runs it, against DynamoDB Local. */
async function migrate(tables: TestTables, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const argv = ['--import', 'tsx', 'scripts/migrate-self-firing-index.ts', '--endpoint', tables.endpoint, '--table', tables.tableName(CONFIG_TABLE), ...args];
  try {
    const { stdout, stderr } = await run(process.execPath, argv);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('the self-firing index migration', () => {
  let tables: TestTables;
  let store: DynamoConfigStore;
  let tableName: string;

  const schedule = (scheduleId: string, overrides: Partial<Schedule> = {}): Schedule =>
    scheduleFixture({ clientId: 'legacy', scheduleId, name: scheduleId, createdAt: SAVED, updatedAt: SAVED, ...overrides });

  /** A schedule as an older version of the code left it: without the index keys, or with the one unsharded partition. */
  async function saveAsBefore(scheduleId: string, index: 'none' | 'unsharded'): Promise<void> {
    await store.createSchedule(schedule(scheduleId));
    await tables.document.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { pk: 'CLIENT#legacy', sk: `SCHEDULE#${scheduleId}` },
        ...(index === 'none'
          ? { UpdateExpression: 'REMOVE selfFiringPk, selfFiringSk' }
          : { UpdateExpression: 'SET selfFiringPk = :pk', ExpressionAttributeValues: { ':pk': 'SELF_FIRING' } }),
      }),
    );
  }

  async function scheduleItems(): Promise<Array<Record<string, unknown>>> {
    const result = await tables.document.send(
      new QueryCommand({ TableName: tableName, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :schedule)', ExpressionAttributeValues: { ':pk': 'CLIENT#legacy', ':schedule': 'SCHEDULE#' }, ConsistentRead: true }),
    );
    return result.Items ?? [];
  }

  beforeEach(async () => {
    tables = await createTestTables();
    tableName = tables.tableName(CONFIG_TABLE);
    store = new DynamoConfigStore(tables.document, tableName);
    await store.createClient(
      { clientId: 'legacy', name: 'Legacy', timezone: 'UTC', dailyScheduleId: 'daily', createdAt: SAVED, updatedAt: SAVED },
      schedule('daily', { name: 'Daily billing', mandatory: true }),
    );
    await saveAsBefore('sch_before_index', 'none');
    await saveAsBefore('sch_before_shards', 'unsharded');
    await store.createSchedule(schedule('sch_by_hand', { frequency: { type: 'MANUAL' } }));
    await store.createSchedule(schedule('sch_disabled', { enabled: false }));
  });

  it('indexes the schedules saved before the index or before its shards, so the reconciler reads them; a second run changes nothing', async () => {
    expect(await reconcilerReads(store)).toEqual(['daily']);

    const first = await migrate(tables, '--page-size', '3');

    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^page 1: 3 items read; .*continue with --after \S+$/m);
    expect(first.stdout).toMatch(/^done: 2 schedules indexed in \d+ pages, 0 unreadable$/m);
    expect(await reconcilerReads(store)).toEqual(['daily', 'sch_before_index', 'sch_before_shards']);
    const migrated = await scheduleItems();
    const second = await migrate(tables);
    expect(second.stdout).toMatch(/^done: 0 schedules indexed in 1 page, 0 unreadable$/m);
    expect(second.stdout).toMatch(/3 already indexed, 2 not self-firing, 0 changed meanwhile/);
    expect(await scheduleItems()).toEqual(migrated);
  }, 60_000);

  it('writes nothing in a dry run, and refuses an --after it did not print', async () => {
    const before = await scheduleItems();

    const dry = await migrate(tables, '--dry-run');
    const forged = await migrate(tables, '--after', Buffer.from('{"pk":"CLIENT#legacy"}').toString('base64url'));

    expect(dry.stdout).toMatch(/2 to index, 1 already indexed, 2 not self-firing/);
    expect(dry.stdout).toMatch(/^done: 2 schedules to index \(dry run, nothing written\)/m);
    expect(await scheduleItems()).toEqual(before);
    expect(forged.code).toBe(2);
    expect(forged.stderr).toContain('--after is not a cursor this migration printed');
  }, 60_000);

  it('continues after the cursor a page printed, covering the rest of the table once', async () => {
    const pageOf = async (after?: string): Promise<MigrationPage[]> => {
      const pages: MigrationPage[] = [];
      for await (const page of migrateSelfFiringIndex(tables.document, tableName, { pageSize: 2, dryRun: false, ...(after ? { after } : {}) })) {
        pages.push(page);
        if (!after) break;
      }
      return pages;
    };

    const [stopped] = await pageOf();
    const resumed = await pageOf(stopped!.cursor);

    const itemsRead = [stopped!, ...resumed].reduce((sum, page) => sum + page.itemsRead, 0);
    const indexed = [stopped!, ...resumed].reduce((sum, page) => sum + page.outcomes.indexed, 0);
    // The client, its name guards, versions and schedules: every item once.
    expect(itemsRead).toBe(1 + 5 + 5 + 5);
    expect(indexed).toBe(2);
    expect(resumed.at(-1)!.cursor).toBeUndefined();
    expect(await reconcilerReads(store)).toEqual(['daily', 'sch_before_index', 'sch_before_shards']);
  });

  it('leaves a schedule saved or deleted since it was read to what that write left', async () => {
    const table = new ConfigTable(tables.document, tableName);
    const [disabledSince, deletedSince] = (await scheduleItems()).filter((item) => ['sch_before_index', 'sch_before_shards'].includes(String(item.scheduleId)));

    await store.updateSchedule({ ...schedule('sch_before_index'), enabled: false }, 1);
    await store.deleteSchedule('legacy', 'sch_before_shards');

    expect(await indexSchedule(table, disabledSince!, false)).toBe('changedMeanwhile');
    expect(await indexSchedule(table, deletedSince!, false)).toBe('changedMeanwhile');
    expect(await store.getSchedule('legacy', 'sch_before_shards')).toBeUndefined();
    expect((await scheduleItems()).find((item) => item.scheduleId === 'sch_before_index')).not.toHaveProperty('selfFiringPk');
    expect(await reconcilerReads(store)).toEqual(['daily']);
  });
});
