import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { CONFIG_TABLE, LEDGER_TABLE } from '../../lambdas/adapters/aws/table-definitions';
import { ensureTables, localDynamoClient } from '../../lambdas/adapters/local/dynamo-local';
import { createTestTables } from '../support/dynamo';

describe('DynamoDB Local test harness', () => {
  it('creates the tables from the shared definitions and stores an item', async () => {
    const tables = await createTestTables();
    const TableName = tables.tableName(CONFIG_TABLE);
    await tables.document.send(new PutCommand({ TableName, Item: { pk: 'a', sk: 'b', value: 1 } }));
    const read = await tables.document.send(new GetCommand({ TableName, Key: { pk: 'a', sk: 'b' } }));
    expect(read.Item?.value).toBe(1);
  });
});

describe('tables kept from an older version', () => {
  it('are refused with what to do when an index the code reads has another projection, and taken as they are otherwise', async () => {
    const client = localDynamoClient(inject('dynamoEndpoint'));
    const name = `old${randomBytes(4).toString('hex')}-Ledger`;
    const before = { ...LEDGER_TABLE, globalIndexes: LEDGER_TABLE.globalIndexes.map((index) => ({ ...index, projection: 'KEYS_ONLY' as const })) };
    await ensureTables(client, [before], () => name);

    await expect(ensureTables(client, [LEDGER_TABLE], () => name)).rejects.toThrow(/index openWork .*Delete the data directory/);
    await expect(ensureTables(client, [before], () => name)).resolves.toBeUndefined();
    client.destroy();
  });
});
