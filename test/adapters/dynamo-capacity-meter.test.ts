import { randomBytes } from 'node:crypto';
import { inject, describe, expect, it } from 'vitest';
import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { TABLES } from '../../lambdas/adapters/aws/table-definitions';
import { meterConsumedCapacity } from '../../lambdas/adapters/local/dynamo-capacity-meter';
import { ensureTables, localDynamoClient } from '../../lambdas/adapters/local/dynamo-local';
import { InMemoryUsageMeter } from '../../lambdas/adapters/local/usage-meter';

describe('the consumed-capacity meter on DynamoDB Local', () => {
  it('counts the write units of an item and of each index it lands in, and read units apart', async () => {
    const meter = new InMemoryUsageMeter();
    const client = localDynamoClient(inject('dynamoEndpoint'));
    meterConsumedCapacity(client, meter);
    const runs = TABLES[1];
    const table = `cap${randomBytes(4).toString('hex')}-${runs.id}`;
    await ensureTables(client, [runs], () => table);
    expect(meter.snapshot()).toMatchObject({ dynamoReadUnits: 0, dynamoWriteUnits: 0 });
    const document = DynamoDBDocumentClient.from(client);

    // 5 KB: 5 write units in the table, 5 more in byClientDate (ALL), 1 in the KEYS_ONLY
    // failedBatchKeys, whose entry holds the keys alone.
    const big = 'x'.repeat(5000);
    await document.send(new PutCommand({ TableName: table, Item: { pk: 'p', sk: 'big', big, gsi1pk: 'g', gsi1sk: 's', failedPk: 'f' } }));
    expect(meter.get('dynamoWriteUnits')).toBe(11);

    await document.send(new BatchWriteCommand({ RequestItems: { [table]: [{ PutRequest: { Item: { pk: 'p', sk: 'a' } } }, { PutRequest: { Item: { pk: 'p', sk: 'b' } } }] } }));
    expect(meter.get('dynamoWriteUnits')).toBe(13);

    await document.send(new GetCommand({ TableName: table, Key: { pk: 'p', sk: 'a' } }));
    await document.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'p' } }));
    expect(meter.get('dynamoReadUnits')).toBeGreaterThanOrEqual(1.5);
    expect(meter.get('dynamoWriteUnits')).toBe(13);
    // The four data-plane requests (put, batch write, get, query) are timed; table management is not.
    expect(meter.get('dynamoCalls')).toBe(4);
    expect(meter.get('dynamoMillis')).toBeGreaterThan(0);
    // Requests: one per read, one per item written (the batch's two).
    expect(meter.snapshot()).toMatchObject({ dynamoReads: 2, dynamoWrites: 3 });
    client.destroy();
  });
});
