import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoLedger } from '../../lambdas/adapters/aws/dynamo-ledger';
import { DynamoLedgerMaintenance } from '../../lambdas/adapters/aws/dynamo-ledger-maintenance';
import { LEDGER_TABLE } from '../../lambdas/adapters/aws/table-definitions';
import { ConflictError } from '../../lambdas/domain/errors';
import type { UsageRecord } from '../../lambdas/domain/ledger';
import type { LedgerMaintenance } from '../../lambdas/ports/ledger';
import { LedgerService, type UsageInput } from '../../lambdas/services/ledger-service';
import { createTestTables } from '../support/dynamo';

const clock = { now: () => new Date('2026-11-25T12:00:00.000Z') };
let counter = 0;
const newClient = (): string => `svc-${Date.now().toString(36)}-${++counter}`;
const records = (n: number): UsageInput[] =>
  Array.from({ length: n }, (_, i) => ({ accountId: 'a1', usageDate: '2026-11-20', usageId: `u${i}`, usageType: 'CALLS', quantity: 1 }));

describe('LedgerService usage import when a concurrent writer slips in (DynamoDB Local)', () => {
  let ledger: DynamoLedger;
  let maintenance: DynamoLedgerMaintenance;

  beforeAll(async () => {
    const tables = await createTestTables();
    ledger = new DynamoLedger(tables.document, tables.tableName(LEDGER_TABLE));
    maintenance = new DynamoLedgerMaintenance(tables.document, tables.tableName(LEDGER_TABLE));
  });

  /** The maintenance port, with another import storing `raced` between this import's read and its first write. */
  function racing(raced: UsageRecord): LedgerMaintenance {
    let raceDone = false;
    return Object.assign(Object.create(maintenance) as LedgerMaintenance, {
      createUsage: async (clientId: string, toWrite: readonly UsageRecord[]) => {
        if (!raceDone) {
          raceDone = true;
          await ledger.importUsage([raced]);
        }
        return maintenance.createUsage(clientId, toWrite);
      },
    });
  }

  it('answers 409 with exactly the records it wrote when the other writer stored a different record', async () => {
    const clientId = newClient();
    const input = records(250);
    const service = new LedgerService({ ledger, maintenance: racing({ ...input[150]!, clientId, quantity: 99, state: 'UNRATED', rev: 0 }), clock });

    const failure = await service.importUsage(clientId, input).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ConflictError);
    expect((failure as ConflictError).code).toBe('USAGE_CONFLICT');
    // The transaction holding records 100-199 found u150 taken and wrote none of its records.
    expect((failure as ConflictError).details).toEqual([
      { path: 'records.150', message: 'a1/2026-11-20/u150 differs from the stored record' },
      { path: 'records', message: 'written: 0-99, 200-249' },
    ]);
    const stored = await ledger.getUsage(clientId, input);
    expect(stored.size).toBe(151);
    expect(stored.has('a1/2026-11-20/u120')).toBe(false);
  });

  it('counts the other writer’s identical record as a duplicate and writes the rest', async () => {
    const clientId = newClient();
    const input = records(250);
    const service = new LedgerService({ ledger, maintenance: racing({ ...input[150]!, clientId, state: 'UNRATED', rev: 0 }), clock });

    const result = await service.importUsage(clientId, input);

    expect(result).toEqual({ accepted: 249, duplicates: 1 });
    expect((await ledger.getUsage(clientId, input)).size).toBe(250);
  });
});
