import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { UsageMeter } from '../../ports/usage-meter';

/** Data-plane operations that answer with ConsumedCapacity, by whether they read or write. */
const READS = new Set(['GetItemCommand', 'QueryCommand', 'ScanCommand', 'BatchGetItemCommand', 'TransactGetItemsCommand']);
const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand', 'TransactWriteItemsCommand']);

interface Consumed {
  CapacityUnits?: number;
}

/**
 * Asks DynamoDB for the capacity every data-plane request consumed (ReturnConsumedCapacity
 * INDEXES: the table's units plus every index's) and counts them as 'dynamoReadUnits' and
 * 'dynamoWriteUnits'. Request counts say how many calls were made; capacity units are what
 * on-demand DynamoDB bills: an item of 5 KB costs 5 write units, and each index it lands in as
 * many again. The local runtime installs this on its client; a conditional write that fails its
 * condition answers without ConsumedCapacity, so those units (1 per failed write) are not counted.
 * It also times each request ('dynamoCalls', 'dynamoMillis'): the cost model scales the Lambda
 * time measured locally, mostly spent waiting on DynamoDB Local, to DynamoDB's latency.
 */
export function meterConsumedCapacity(client: DynamoDBClient, meter: UsageMeter): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? '';
      const kind = READS.has(name) ? 'dynamoReadUnits' : WRITES.has(name) ? 'dynamoWriteUnits' : undefined;
      if (!kind) return next(args);
      const input = args.input as { ReturnConsumedCapacity?: string };
      input.ReturnConsumedCapacity = 'INDEXES';
      const started = performance.now();
      const result = await next(args);
      meter.count('dynamoCalls');
      meter.count('dynamoMillis', performance.now() - started);
      const consumed = (result.output as { ConsumedCapacity?: Consumed | Consumed[] }).ConsumedCapacity;
      const units = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []).reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
      meter.count(kind, units);
      return result;
    },
    { step: 'initialize', name: 'meterConsumedCapacity' },
  );
}
