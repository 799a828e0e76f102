import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { toDocumentClient } from '../../../lambdas/adapters/aws/dynamo-toolkit';
import { meterConsumedCapacity } from '../../../lambdas/adapters/local/dynamo-capacity-meter';
import { localDynamoClient } from '../../../lambdas/adapters/local/dynamo-local';
import { InMemoryUsageMeter } from '../../../lambdas/adapters/local/usage-meter';

/** A document client on the test tables' DynamoDB Local whose requests are counted, as the local runtime's are. */
export function meteredDocument(endpoint: string): { document: DynamoDBDocumentClient; meter: InMemoryUsageMeter; close(): void } {
  const client = localDynamoClient(endpoint);
  const meter = new InMemoryUsageMeter();
  meterConsumedCapacity(client, meter);
  return { document: toDocumentClient(client), meter, close: () => client.destroy() };
}
