import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { UsageMeter } from '../../ports/usage-meter';
import { isConditionFailure } from '../aws/dynamo-toolkit';

/** Data-plane operations that answer with ConsumedCapacity, by whether they read or write. */
const READS = new Set(['GetItemCommand', 'QueryCommand', 'ScanCommand', 'BatchGetItemCommand', 'TransactGetItemsCommand']);
const WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand', 'TransactWriteItemsCommand']);

interface Consumed {
  CapacityUnits?: number;
}

interface DataPlaneInput {
  ReturnConsumedCapacity?: string;
  RequestItems?: Record<string, unknown[]>;
  TransactItems?: Array<{ ConditionCheck?: unknown }>;
}

/** The one DynamoDB meter: every store's requests pass through it, so no store counts its own. */
export function meterConsumedCapacity(client: DynamoDBClient, meter: UsageMeter): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? '';
      const kind = READS.has(name) ? 'dynamoReadUnits' : WRITES.has(name) ? 'dynamoWriteUnits' : undefined;
      if (!kind) return next(args);
      const input = args.input as DataPlaneInput;
      // The table's units plus every index's: what on-demand bills.
      input.ReturnConsumedCapacity = 'INDEXES';
      const requests = countRequests(name, input);
      const started = performance.now();
      let result: Awaited<ReturnType<typeof next>>;
      try {
        result = await next(args);
      } catch (error) {
        // Refused by its condition: DynamoDB did the work and bills it.
        if (isConditionFailure(error)) count(meter, requests);
        throw error;
      }
      count(meter, requests);
      // The cost model scales the local time to DynamoDB's latency.
      meter.count('dynamoCalls');
      meter.count('dynamoMillis', performance.now() - started);
      const consumed = (result.output as { ConsumedCapacity?: Consumed | Consumed[] }).ConsumedCapacity;
      const units = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []).reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
      meter.count(kind, units);
      return result;
    },
    // Outside the SDK's retries: one count per call a store makes.
    { step: 'initialize', name: 'meterConsumedCapacity' },
  );
}

/** Read requests (a transaction's condition checks too) and items written (each of a batch, each transaction action). */
function countRequests(name: string, input: DataPlaneInput): { reads: number; writes: number } {
  if (name === 'BatchWriteItemCommand') return { reads: 0, writes: Object.values(input.RequestItems ?? {}).reduce((sum, list) => sum + list.length, 0) };
  if (name === 'TransactWriteItemsCommand') {
    const actions = input.TransactItems ?? [];
    const checks = actions.filter((action) => action.ConditionCheck !== undefined).length;
    return { reads: checks, writes: actions.length - checks };
  }
  return READS.has(name) ? { reads: 1, writes: 0 } : { reads: 0, writes: 1 };
}

function count(meter: UsageMeter, requests: { reads: number; writes: number }): void {
  if (requests.reads > 0) meter.count('dynamoReads', requests.reads);
  if (requests.writes > 0) meter.count('dynamoWrites', requests.writes);
}
