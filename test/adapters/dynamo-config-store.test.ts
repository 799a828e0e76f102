import { beforeAll, describe, expect, it } from 'vitest';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoConfigStore } from '../../lambdas/adapters/aws/dynamo-config-store';
import { CONFIG_TABLE } from '../../lambdas/adapters/aws/table-definitions';
import { ConflictError, NotFoundError, StaleVersionError } from '../../lambdas/domain/errors';
import { DAILY_SCHEDULE_ID, type Client, type Schedule } from '../../lambdas/domain/model';
import { createTestTables, type TestTables } from '../support/dynamo';
import { meteredDocument } from './support/metered-client';

const NOW = '2026-11-25T12:00:00.000Z';

function client(clientId: string): Client {
  return { clientId, name: `Client ${clientId}`, timezone: 'America/New_York', dailyScheduleId: DAILY_SCHEDULE_ID, createdAt: NOW, updatedAt: NOW };
}

function schedule(clientId: string, overrides: Partial<Schedule> = {}): Schedule {
  return {
    scheduleId: `sch_${Math.random().toString(36).slice(2, 12)}`,
    clientId,
    name: 'Month-end close',
    frequency: { type: 'MONTH_END', offsetDays: 2 },
    executionTime: '00:30:00',
    timezone: 'America/New_York',
    exceptionWindows: [],
    jobs: [{ type: 'BILLING' }],
    enabled: true,
    overlapPolicy: 'QUEUE',
    catchUpWindowHours: 24,
    mandatory: false,
    version: 1,
    createdAt: NOW,
    updatedAt: NOW,
    ...overrides,
  };
}

function daily(clientId: string): Schedule {
  return schedule(clientId, { scheduleId: DAILY_SCHEDULE_ID, name: 'Daily billing', frequency: { type: 'DAILY' }, mandatory: true });
}

describe('DynamoConfigStore', () => {
  let tables: TestTables;
  let store: DynamoConfigStore;
  let counter = 0;

  /** A fresh, onboarded client per test: tests share the table but not their data. */
  async function onboarded(): Promise<string> {
    const clientId = `c${++counter}`;
    expect(await store.createClient(client(clientId), daily(clientId))).toBe(true);
    return clientId;
  }

  beforeAll(async () => {
    tables = await createTestTables();
    store = new DynamoConfigStore(tables.document, tables.tableName(CONFIG_TABLE));
  });

  describe('clients', () => {
    it('creates a client with its daily schedule and name guard in one step, once', async () => {
      const clientId = await onboarded();

      expect(await store.getClient(clientId)).toEqual(client(clientId));
      expect(await store.getSchedule(clientId, DAILY_SCHEDULE_ID)).toEqual(daily(clientId));
      expect(await store.createClient({ ...client(clientId), name: 'Other' }, daily(clientId))).toBe(false);
      expect((await store.getClient(clientId))?.name).toBe(`Client ${clientId}`);
      await expect(store.createSchedule(schedule(clientId, { name: 'DAILY BILLING' }))).rejects.toMatchObject({ code: 'NAME_TAKEN' });
    });

    it('updates an existing client and refuses to update a missing one', async () => {
      const clientId = await onboarded();

      await store.updateClient({ ...client(clientId), name: 'Renamed', timezone: 'Europe/Berlin' });

      expect(await store.getClient(clientId)).toMatchObject({ name: 'Renamed', timezone: 'Europe/Berlin' });
      await expect(store.updateClient(client('missing'))).rejects.toBeInstanceOf(NotFoundError);
      expect(await store.getClient('missing')).toBeUndefined();
    });

    it('lets exactly one of concurrent onboardings of the same client win', async () => {
      const clientId = `c${++counter}`;

      const results = await Promise.all(Array.from({ length: 5 }, () => store.createClient(client(clientId), daily(clientId))));

      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.listSchedules(clientId)).toHaveLength(1);
    });
  });

  describe('schedules', () => {
    it('creates, reads and lists schedules of one client only', async () => {
      const clientId = await onboarded();
      const other = await onboarded();
      const created = schedule(clientId, { description: 'close the books', exceptionWindows: [{ start: '23:00:00', end: '01:00:00' }] });

      await store.createSchedule(created);
      await store.createSchedule(schedule(other));

      expect(await store.getSchedule(clientId, created.scheduleId)).toEqual(created);
      expect((await store.listSchedules(clientId)).map((s) => s.scheduleId).sort()).toEqual([DAILY_SCHEDULE_ID, created.scheduleId].sort());
      expect(await store.getSchedule(other, created.scheduleId)).toBeUndefined();
    });

    it('refuses a schedule for a client that was never onboarded', async () => {
      await expect(store.createSchedule(schedule('nobody'))).rejects.toBeInstanceOf(NotFoundError);
      expect(await store.listSchedules('nobody')).toEqual([]);
    });

    it('refuses a second schedule whose name differs only in case and blanks', async () => {
      const clientId = await onboarded();
      await store.createSchedule(schedule(clientId, { name: 'Month-end close' }));

      const clash = store.createSchedule(schedule(clientId, { name: 'MONTH-END CLOSE' }));

      await expect(clash).rejects.toBeInstanceOf(ConflictError);
      await expect(clash).rejects.toMatchObject({ code: 'NAME_TAKEN' });
      expect(await store.listSchedules(clientId)).toHaveLength(2);
    });

    it('allows the same name for different clients', async () => {
      const first = await onboarded();
      const second = await onboarded();

      await store.createSchedule(schedule(first, { name: 'Shared' }));
      await store.createSchedule(schedule(second, { name: 'Shared' }));

      expect((await store.listSchedules(second)).map((s) => s.name)).toContain('Shared');
    });

    it('lets exactly one of 10 concurrent creates of the same name succeed', async () => {
      const clientId = await onboarded();

      const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => store.createSchedule(schedule(clientId, { name: i % 2 ? 'Race' : 'race' }))));

      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const result of results.filter((r) => r.status === 'rejected')) {
        expect(result.reason).toMatchObject({ code: 'NAME_TAKEN' });
      }
      expect((await store.listSchedules(clientId)).filter((s) => s.name.toLowerCase() === 'race')).toHaveLength(1);
    });

    it('replaces a schedule at the expected version and stores version + 1', async () => {
      const clientId = await onboarded();
      const created = schedule(clientId);
      await store.createSchedule(created);

      await store.updateSchedule({ ...created, executionTime: '03:00:00' }, 1);

      expect(await store.getSchedule(clientId, created.scheduleId)).toMatchObject({ executionTime: '03:00:00', version: 2 });
    });

    it('refuses a stale version and keeps the stored schedule', async () => {
      const clientId = await onboarded();
      const created = schedule(clientId);
      await store.createSchedule(created);
      await store.updateSchedule({ ...created, executionTime: '03:00:00' }, 1);

      await expect(store.updateSchedule({ ...created, executionTime: '04:00:00' }, 1)).rejects.toBeInstanceOf(StaleVersionError);

      expect(await store.getSchedule(clientId, created.scheduleId)).toMatchObject({ executionTime: '03:00:00', version: 2 });
    });

    it('lets exactly one of concurrent updates at the same version win', async () => {
      const clientId = await onboarded();
      const created = schedule(clientId);
      await store.createSchedule(created);

      const results = await Promise.allSettled(
        Array.from({ length: 6 }, (_, i) => store.updateSchedule({ ...created, name: i % 2 ? `Renamed ${i}` : created.name, description: `writer ${i}` }, 1)),
      );

      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const result of results.filter((r) => r.status === 'rejected')) expect(result.reason).toBeInstanceOf(StaleVersionError);
      const stored = await store.getSchedule(clientId, created.scheduleId);
      expect(stored?.version).toBe(2);
      await expect(store.createSchedule(schedule(clientId, { name: stored?.name ?? '' }))).rejects.toMatchObject({ code: 'NAME_TAKEN' });
    });

    it('answers NotFoundError when updating a missing schedule', async () => {
      const clientId = await onboarded();

      await expect(store.updateSchedule(schedule(clientId), 1)).rejects.toBeInstanceOf(NotFoundError);
    });

    it('moves the name guard on rename: the old name is free, the new one taken', async () => {
      const clientId = await onboarded();
      const created = schedule(clientId, { name: 'Old name' });
      await store.createSchedule(created);

      await store.updateSchedule({ ...created, name: 'New name' }, 1);

      await store.createSchedule(schedule(clientId, { name: 'old NAME' }));
      await expect(store.createSchedule(schedule(clientId, { name: 'NEW NAME' }))).rejects.toMatchObject({ code: 'NAME_TAKEN' });
    });

    it('refuses a rename onto a taken name and leaves both schedules untouched', async () => {
      const clientId = await onboarded();
      const first = schedule(clientId, { name: 'First' });
      const second = schedule(clientId, { name: 'Second' });
      await store.createSchedule(first);
      await store.createSchedule(second);

      await expect(store.updateSchedule({ ...second, name: 'first' }, 1)).rejects.toMatchObject({ code: 'NAME_TAKEN' });

      expect(await store.getSchedule(clientId, second.scheduleId)).toMatchObject({ name: 'Second', version: 1 });
      await expect(store.createSchedule(schedule(clientId, { name: 'second' }))).rejects.toMatchObject({ code: 'NAME_TAKEN' });
    });

    it('keeps the guard when only the case of the name changes', async () => {
      const clientId = await onboarded();
      const created = schedule(clientId, { name: 'Quarterly' });
      await store.createSchedule(created);

      await store.updateSchedule({ ...created, name: 'QUARTERLY' }, 1);

      expect((await store.getSchedule(clientId, created.scheduleId))?.name).toBe('QUARTERLY');
      await expect(store.createSchedule(schedule(clientId, { name: 'quarterly' }))).rejects.toMatchObject({ code: 'NAME_TAKEN' });
    });

    it('deletes a schedule together with its name guard', async () => {
      const clientId = await onboarded();
      const created = schedule(clientId, { name: 'Temporary' });
      await store.createSchedule(created);

      await store.deleteSchedule(clientId, created.scheduleId);

      expect(await store.getSchedule(clientId, created.scheduleId)).toBeUndefined();
      const guard = await tables.document.send(
        new GetCommand({ TableName: tables.tableName(CONFIG_TABLE), Key: { pk: `CLIENT#${clientId}`, sk: 'NAME#temporary' } }),
      );
      expect(guard.Item).toBeUndefined();
      await store.createSchedule(schedule(clientId, { name: 'Temporary' }));
      await expect(store.deleteSchedule(clientId, created.scheduleId)).rejects.toBeInstanceOf(NotFoundError);
    });

    it('refuses to delete the mandatory daily schedule', async () => {
      const clientId = await onboarded();

      await expect(store.deleteSchedule(clientId, DAILY_SCHEDULE_ID)).rejects.toMatchObject({ code: 'MANDATORY_SCHEDULE' });

      expect(await store.getSchedule(clientId, DAILY_SCHEDULE_ID)).toBeDefined();
    });
  });

  describe('principals', () => {
    it('maps an IAM principal to the client ids it may act for', async () => {
      const arn = 'arn:aws:iam::123456789012:role/core-billing';

      expect(await store.getPrincipal(arn)).toBeUndefined();
      await store.putPrincipalClients(arn, ['acme', 'beta']);
      expect(await store.getPrincipal(arn)).toEqual({ clientIds: ['acme', 'beta'], role: 'admin' });
      await store.deletePrincipal(arn);
      expect(await store.getPrincipal(arn)).toBeUndefined();
    });

    it("matches a role mapped with its path to the path-free role ARN its sessions are looked up by", async () => {
      await store.putPrincipalClients('arn:aws:iam::123456789012:role/teams/billing/Operator', ['acme'], 'operator');
      // The authorizer derives arn:aws:iam::<account>:role/<name> from the session ARN: no path there.
      expect(await store.getPrincipal('arn:aws:iam::123456789012:role/Operator')).toEqual({ clientIds: ['acme'], role: 'operator' });
      expect(await store.getPrincipal('arn:aws:iam::123456789012:role/teams/billing/Operator')).toEqual({ clientIds: ['acme'], role: 'operator' });
      expect(await store.getPrincipal('arn:aws:iam::123456789012:role/Other')).toBeUndefined();
      await store.deletePrincipal('arn:aws:iam::123456789012:role/Operator');
      expect(await store.getPrincipal('arn:aws:iam::123456789012:role/teams/billing/Operator')).toBeUndefined();
    });
  });

  describe('usage metering', () => {
    it('is counted at the client: one read per request or condition check, one write per item written', async () => {
      const { document, meter, close } = meteredDocument(tables.endpoint);
      const metered = new DynamoConfigStore(document, tables.tableName(CONFIG_TABLE));
      const clientId = `c${++counter}`;

      await metered.createClient(client(clientId), daily(clientId));
      // The client, its daily schedule, the schedule's name guard and its first version.
      expect(meter.snapshot()).toMatchObject({ dynamoReads: 0, dynamoWrites: 4 });

      meter.reset();
      await metered.getSchedule(clientId, DAILY_SCHEDULE_ID);
      await metered.createSchedule(schedule(clientId));
      // The schedule, its name guard and its first version.
      expect(meter.snapshot()).toMatchObject({ dynamoReads: 2, dynamoWrites: 3 });
      close();
    });
  });
});
