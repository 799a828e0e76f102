import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ensureTables, localDynamoClient } from '../../lambdas/adapters/local/dynamo-local';
import { TABLES, type TableDefinition } from '../../lambdas/adapters/aws/table-definitions';

export interface TestTables {
  endpoint: string;
  document: DynamoDBDocumentClient;
  tableName(definition: TableDefinition): string;
}

/** Fresh tables on the shared DynamoDB Local, named with a random prefix for this test file. */
export async function createTestTables(): Promise<TestTables> {
  const endpoint = inject('dynamoEndpoint');
  const prefix = `t${randomBytes(4).toString('hex')}`;
  const tableName = (definition: TableDefinition): string => `${prefix}-${definition.id}`;
  const client = localDynamoClient(endpoint);
  await ensureTables(client, TABLES, tableName);
  return {
    endpoint,
    document: DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }),
    tableName,
  };
}
