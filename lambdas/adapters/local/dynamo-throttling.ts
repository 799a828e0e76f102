import {
  ProvisionedThroughputExceededException,
  ThrottlingException,
  TransactionCanceledException,
  type DynamoDBClient,
  type DynamoDBServiceException,
} from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { SDK_MAX_ATTEMPTS } from '../aws/dynamo-toolkit';

/** Data-plane operations: table management (start-up's CreateTable and the like) is never throttled. */
const DATA_PLANE = new Set([
  'GetItemCommand',
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'QueryCommand',
  'ScanCommand',
  'BatchGetItemCommand',
  'BatchWriteItemCommand',
  'TransactGetItemsCommand',
  'TransactWriteItemsCommand',
]);

export interface DynamoThrottlingOptions {
  /** Share of data-plane requests (0..1) that are throttled. */
  rate: number;
  /** Whether the fault is on from the start (turn it on later with `enabled`, e.g. after seeding). @default true */
  enabled?: boolean;
  /**
   * Sustained throttling on top of `rate`: every `everyMs`, for `forMs`, every data-plane request is
   * throttled (a hot partition, a burst of traffic), long enough to outlast the stores' own retries.
   */
  bursts?: { everyMs: number; forMs: number };
  /** The random source; tests inject a seeded one. @default Math.random */
  random?: () => number;
}

/** The switch and the tally of an installed throttling fault. */
export interface DynamoThrottling {
  /** Turn the fault off (and on again) while the runtime runs. */
  enabled: boolean;
  /** Throttled requests so far, by operation and by how they were throttled. */
  readonly injected: Record<string, number>;
}

/**
 * Chaos fault: a share of the client's DynamoDB requests fail as the SDK surfaces throttling.
 * A throttled request (or the held-back part of a batch) is not sent: that write never happened.
 */
export function injectDynamoThrottling(client: DynamoDBClient, options: DynamoThrottlingOptions): DynamoThrottling {
  const random = options.random ?? Math.random;
  const installedAt = Date.now();
  const inBurst = (): boolean => options.bursts !== undefined && (Date.now() - installedAt) % options.bursts.everyMs < options.bursts.forMs;
  const fault: DynamoThrottling = { enabled: options.enabled ?? true, injected: {} };
  const tally = (what: string): void => {
    fault.injected[what] = (fault.injected[what] ?? 0) + 1;
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = context.commandName ?? '';
      if (!fault.enabled || !DATA_PLANE.has(operation) || (random() >= options.rate && !inBurst())) return next(args);
      const input = args.input as Record<string, unknown>;
      const half = random() < 0.5;
      // Batches come back partly unprocessed, a transaction cancelled with a ThrottlingError reason.
      if (operation === 'BatchWriteItemCommand' && half) {
        const partial = splitBatch(input.RequestItems as Record<string, unknown[]>);
        if (partial) {
          tally(`${operation}:unprocessed`);
          const result = await next({ ...args, input: { ...input, RequestItems: partial.sent } });
          const output = result.output as { UnprocessedItems?: Record<string, unknown[]> };
          output.UnprocessedItems = mergeUnprocessed(output.UnprocessedItems, partial.held);
          return result;
        }
      }
      if (operation === 'BatchGetItemCommand' && half) {
        const requested = input.RequestItems as Record<string, { Keys: unknown[] }>;
        const partial = splitBatch(Object.fromEntries(Object.entries(requested).map(([table, request]) => [table, request.Keys])));
        if (partial) {
          tally(`${operation}:unprocessed`);
          const sent = Object.fromEntries(Object.entries(partial.sent).map(([table, keys]) => [table, { ...requested[table], Keys: keys }]));
          const result = await next({ ...args, input: { ...input, RequestItems: sent } });
          const output = result.output as { UnprocessedKeys?: Record<string, { Keys: unknown[] }> };
          const unprocessed = { ...(output.UnprocessedKeys ?? {}) };
          for (const [table, keys] of Object.entries(partial.held)) {
            unprocessed[table] = { ...requested[table], Keys: [...(unprocessed[table]?.Keys ?? []), ...keys] };
          }
          output.UnprocessedKeys = unprocessed;
          return result;
        }
      }
      if (operation === 'TransactWriteItemsCommand' && half) {
        tally(`${operation}:cancelled`);
        throw transactionThrottled((input.TransactItems as unknown[]).length, random);
      }
      tally(operation);
      throw throttled(random() < 0.5 ? 'ProvisionedThroughputExceededException' : 'ThrottlingException');
    },
    // Outside the SDK's retries (finalizeRequest): an error lands as it does once those (or the
    // retry quota sustained throttling drains) are used up. Inside, a 5% rate would surface 5%³ of
    // the time and test none of our own retries, redeliveries or API answers.
    { step: 'initialize', name: 'injectDynamoThrottling' },
  );
  return fault;
}

/** Keeps the first half of each table's requests, holds back the rest; undefined when there is too little to split. */
function splitBatch(requests: Record<string, unknown[]>): { sent: Record<string, unknown[]>; held: Record<string, unknown[]> } | undefined {
  const sent: Record<string, unknown[]> = {};
  const held: Record<string, unknown[]> = {};
  let kept = 0;
  let heldBack = 0;
  for (const [table, list] of Object.entries(requests)) {
    const cut = Math.ceil(list.length / 2);
    if (cut > 0) sent[table] = list.slice(0, cut);
    if (list.length > cut) held[table] = list.slice(cut);
    kept += cut;
    heldBack += list.length - cut;
  }
  return kept > 0 && heldBack > 0 ? { sent, held } : undefined;
}

function mergeUnprocessed(existing: Record<string, unknown[]> | undefined, held: Record<string, unknown[]>): Record<string, unknown[]> {
  const merged = { ...(existing ?? {}) };
  for (const [table, list] of Object.entries(held)) merged[table] = [...(merged[table] ?? []), ...list];
  return merged;
}

function metadata(): DynamoDBServiceException['$metadata'] {
  return { httpStatusCode: 400, requestId: randomUUID(), attempts: SDK_MAX_ATTEMPTS, totalRetryDelay: 0 };
}

function throttled(name: 'ProvisionedThroughputExceededException' | 'ThrottlingException'): Error {
  const options = { $metadata: metadata(), message: 'The level of configured provisioned throughput for the table was exceeded (injected by the chaos suite).' };
  const error = name === 'ProvisionedThroughputExceededException' ? new ProvisionedThroughputExceededException(options) : new ThrottlingException(options);
  error.$retryable = { throttling: true };
  return error;
}

function transactionThrottled(actions: number, random: () => number): Error {
  const throttledAt = Math.floor(random() * Math.max(1, actions));
  const reasons = Array.from({ length: actions }, (_, i) => (i === throttledAt ? { Code: 'ThrottlingError', Message: 'Throughput exceeds the current capacity for one or more global secondary indexes.' } : { Code: 'None' }));
  return new TransactionCanceledException({
    $metadata: metadata(),
    message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((reason) => reason.Code).join(', ')}]`,
    CancellationReasons: reasons,
  });
}
