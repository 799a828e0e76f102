import { describe, expect, it } from 'vitest';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { CONFIG_TABLE } from '../../lambdas/adapters/aws/table-definitions';
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
