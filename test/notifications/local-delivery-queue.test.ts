import { beforeAll, describe, expect, it } from 'vitest';
import { RUNS_TABLE } from '../../lambdas/adapters/aws/table-definitions';
import { LocalDeliveryQueue } from '../../lambdas/adapters/local/local-notifications';
import type { DeliveryMessage } from '../../lambdas/ports/notifications';
import { createTestTables, type TestTables } from '../support/dynamo';

/*
 * The local runtime's stand-in for the SQS delivery queue keeps its messages in DynamoDB Local,
 * so a webhook retry waiting while the runtime restarts is still sent afterwards: a second queue
 * on the same table (the restarted runtime's) finds it.
 */

const message = (eventId: string): DeliveryMessage => ({ clientId: 'acme', subscriptionId: 'sub_1', eventId, eventAt: '2026-11-25T12:00:00.000Z' });

describe('the local delivery queue', () => {
  let tables: TestTables;
  let now: number;
  const clock = { now: () => new Date(now) };
  const queueOn = (): LocalDeliveryQueue => new LocalDeliveryQueue(clock, tables.document, tables.tableName(RUNS_TABLE));

  beforeAll(async () => {
    tables = await createTestTables();
  });

  it('keeps a delayed retry across a restart and hands it out once it is due, oldest due first', async () => {
    now = Date.parse('2026-11-25T12:00:00Z');
    const before = queueOn();
    await before.enqueue(message('evt_late'), 600);
    await before.enqueue(message('evt_soon'), 30);
    expect(await before.takeDue()).toEqual([]);

    // The runtime restarts: a new queue on the same table.
    const after = queueOn();
    now += 29_000;
    expect(await after.takeDue()).toEqual([]);
    now += 1_000;
    expect(await after.takeDue()).toEqual([message('evt_soon')]);
    now += 570_000;
    expect(await after.takeDue()).toEqual([message('evt_late')]);
    expect(await after.takeDue()).toEqual([]);
  });

  it('hands a due message to only one of two ticks that take at the same time', async () => {
    now = Date.parse('2026-11-26T12:00:00Z');
    const queue = queueOn();
    for (let i = 0; i < 20; i++) await queue.enqueue(message(`evt_${i}`), 0);
    const [first, second] = await Promise.all([queueOn().takeDue(), queueOn().takeDue()]);
    const ids = [...first, ...second].map((m) => m.eventId).sort();
    expect(ids).toEqual(Array.from({ length: 20 }, (_, i) => `evt_${i}`).sort());
  });
});
