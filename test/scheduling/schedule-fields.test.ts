import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoConfigStore } from '../../lambdas/adapters/aws/dynamo-config-store';
import { DynamoScheduleCursorStore } from '../../lambdas/adapters/aws/dynamo-schedule-cursor-store';
import { CONFIG_TABLE, RUNS_TABLE } from '../../lambdas/adapters/aws/table-definitions';
import { createApiHarness, type ApiHarness } from '../api/support/harness';
import { createTestTables, type TestTables } from '../support/dynamo';

const MONTH_END = {
  name: 'Month-end close',
  frequency: { type: 'MONTH_END', offsetDays: 2 },
  executionTime: '00:30:00',
  timezone: 'America/New_York',
  jobs: [{ type: 'BILLING' }],
};

describe('overlap policy and catch-up window on the schedule API', () => {
  let h: ApiHarness;

  beforeAll(async () => {
    h = await createApiHarness();
  });

  it('default to QUEUE and 24 hours, and are kept as given', async () => {
    const clientId = await h.onboard();

    const defaulted = await h.send({ method: 'POST', path: `/v1/clients/${clientId}/schedules`, body: MONTH_END });
    const given = await h.send({ method: 'POST', path: `/v1/clients/${clientId}/schedules`, body: { ...MONTH_END, name: 'Other', overlapPolicy: 'SKIP', catchUpWindowHours: 0 } });

    expect(defaulted.status).toBe(201);
    expect(defaulted.body).toMatchObject({ overlapPolicy: 'QUEUE', catchUpWindowHours: 24 });
    expect(given.body).toMatchObject({ overlapPolicy: 'SKIP', catchUpWindowHours: 0 });
    expect((await h.send({ method: 'GET', path: `/v1/clients/${clientId}/schedules/daily` })).body).toMatchObject({ overlapPolicy: 'QUEUE', catchUpWindowHours: 24 });
  });

  it('are refused with a 400 at the field when out of range', async () => {
    const clientId = await h.onboard();

    const policy = await h.send({ method: 'POST', path: `/v1/clients/${clientId}/schedules`, body: { ...MONTH_END, overlapPolicy: 'PARALLEL' } });
    const window = await h.send({ method: 'POST', path: `/v1/clients/${clientId}/schedules`, body: { ...MONTH_END, catchUpWindowHours: 745 } });

    expect(policy.status).toBe(400);
    expect(policy.body.error.details).toEqual([expect.objectContaining({ path: 'overlapPolicy' })]);
    expect(window.status).toBe(400);
    expect(window.body.error.details).toEqual([expect.objectContaining({ path: 'catchUpWindowHours' })]);
  });
});

describe('the schedulers’ stores', () => {
  let tables: TestTables;

  beforeAll(async () => {
    tables = await createTestTables();
  });

  it('reads a schedule stored before the overlap policy and catch-up window existed with their defaults', async () => {
    const store = new DynamoConfigStore(tables.document, tables.tableName(CONFIG_TABLE));
    await tables.document.send(
      new PutCommand({
        TableName: tables.tableName(CONFIG_TABLE),
        Item: {
          pk: 'CLIENT#legacy',
          sk: 'SCHEDULE#sch_legacy',
          entity: 'SCHEDULE',
          nameKey: 'month-end close',
          ...MONTH_END,
          scheduleId: 'sch_legacy',
          clientId: 'legacy',
          exceptionWindows: [],
          enabled: true,
          mandatory: false,
          version: 4,
          createdAt: '2026-01-01T00:00:00.000Z',
          updatedAt: '2026-01-01T00:00:00.000Z',
        },
      }),
    );

    expect(await store.getSchedule('legacy', 'sch_legacy')).toMatchObject({ overlapPolicy: 'QUEUE', catchUpWindowHours: 24, version: 4 });
  });

  it('a schedule’s cursor only moves forward, and goes with the schedule', async () => {
    const cursors = new DynamoScheduleCursorStore(tables.document, tables.tableName(RUNS_TABLE));
    const key = { clientId: 'acme', scheduleId: 'sch_cursor' };

    expect(await cursors.get(key)).toBeUndefined();
    await cursors.advance(key, '2026-11-25T06:00:00Z');
    await cursors.advance(key, '2026-11-24T06:00:00Z');
    await cursors.advance(key, '2026-11-25T06:00:00Z');

    expect(await cursors.get(key)).toBe('2026-11-25T06:00:00.000Z');
    await cursors.delete(key);
    expect(await cursors.get(key)).toBeUndefined();
  });

  it('lists every schedule of every client, and nothing else of the table', async () => {
    const h = await createApiHarness();
    const [a, b] = [await h.onboard(), await h.onboard()];
    await h.send({ method: 'POST', path: `/v1/clients/${b}/schedules`, body: MONTH_END });

    const all = (await h.store.listAllSchedules()).filter((schedule) => [a, b].includes(schedule.clientId));

    expect(all.map((schedule) => [schedule.clientId, schedule.name]).sort()).toEqual([
      [a, 'Daily billing'],
      [b, 'Daily billing'],
      [b, 'Month-end close'],
    ]);
  });
});
