import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient, GetCommand, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { TransientStoreError } from '../../domain/errors';
import { backoff, type BackoffPolicy } from './backoff';

/**
 * The SDK's own retries, set here for every client rather than left to its defaults: standard
 * mode, 3 attempts, with a retry quota that sustained throttling drains (then errors get through
 * at once). Adaptive mode would also rate-limit each client, which a Lambda's one request at a
 * time does not need. The chaos suite's throttling fault reports these attempts.
 */
export const SDK_MAX_ATTEMPTS = 3;
const SDK_RETRY_MODE = 'standard';

/**
 * Attempts of a call that DynamoDB refused as busy, counting the first: throttling that got past
 * the SDK's retries, and what the SDK never retries (a transaction cancelled by throttling or a
 * conflicting transaction). A brief spike then costs a short wait, not a whole batch of work:
 * a worker that throws waits out the queue's visibility timeout, a step the ASL's Retry.
 */
export const THROTTLED_ATTEMPTS = 6;
/** Rounds of a batch request's unprocessed part, counting the first send. */
const UNPROCESSED_ROUNDS = 10;
const DYNAMO_BACKOFF: BackoffPolicy = { baseMs: 50, capMs: 1_000 };

/** DynamoDB's limits: keys per BatchGetItem, requests per BatchWriteItem. */
const BATCH_GET_LIMIT = 100;
const BATCH_WRITE_LIMIT = 25;

/** Refused before anything was done: sending again is always safe. */
const BUSY_ERROR_NAMES = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded', 'TransactionConflictException']);
/** Briefly unavailable: the caller's retry (the ASL's, the queue's redelivery) absorbs it. */
const UNAVAILABLE_ERROR_NAMES = new Set(['InternalServerError', 'ServiceUnavailable']);

export type Item = Record<string, unknown>;
export type Key = { pk: string; sk: string };

export function createDynamoClient(config: DynamoDBClientConfig = {}): DynamoDBClient {
  return new DynamoDBClient({ maxAttempts: SDK_MAX_ATTEMPTS, retryMode: SDK_RETRY_MODE, ...config });
}

/** Undefined attributes are dropped, not refused: optional fields of a record stay optional. */
export function toDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/**
 * Sends a DynamoDB call, again after a busy answer (full-jitter backoff, up to
 * THROTTLED_ATTEMPTS); then, or when DynamoDB is briefly unavailable, as TransientStoreError.
 * Every other error (a failed condition) is the caller's.
 */
export async function sendToDynamo<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const busy = isBusy(error);
      if (busy && attempt < THROTTLED_ATTEMPTS) {
        await backoff(attempt, DYNAMO_BACKOFF);
        continue;
      }
      if (busy || (error instanceof Error && UNAVAILABLE_ERROR_NAMES.has(error.name))) {
        throw new TransientStoreError(`DynamoDB is busy: ${(error as Error).name}`);
      }
      throw error;
    }
  }
}

/** The document client's `send`, through sendToDynamo: what every store sends with. */
export function resilientSend(db: DynamoDBDocumentClient): DynamoDBDocumentClient['send'] {
  return ((command: Parameters<DynamoDBDocumentClient['send']>[0]) => sendToDynamo(() => db.send(command))) as DynamoDBDocumentClient['send'];
}

/** Throttled, or a transaction cancelled by throttling or a conflict and by no failed condition. */
function isBusy(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (BUSY_ERROR_NAMES.has(error.name)) return true;
  const codes = cancellationCodes(error);
  return codes !== undefined && !codes.includes('ConditionalCheckFailed') && codes.some((code) => code === 'TransactionConflict' || code === 'ThrottlingError');
}

/** The cancellation reason code of each action of a cancelled transaction, in order (undefined: none). */
export function cancellationCodes(error: unknown): Array<string | undefined> | undefined {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return undefined;
  const reasons = (error as Error & { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? [];
  return reasons.map((reason) => (reason.Code === 'None' ? undefined : reason.Code));
}

/**
 * A write refused by its condition, alone or as an action of a transaction. By name, not
 * instanceof: the document client and this module may load different copies of the SDK.
 */
export function isConditionFailure(error: unknown): boolean {
  if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return true;
  return cancellationCodes(error)?.includes('ConditionalCheckFailed') ?? false;
}

/** Runs a conditional write: true once written, false when its condition (or one of a transaction's) refused it. */
export async function writeIfConditionsHold(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

export async function getItem<T = Item>(db: DynamoDBDocumentClient, tableName: string, key: Key, consistent: boolean): Promise<T | undefined> {
  const result = await sendToDynamo(() => db.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: consistent })));
  return result.Item as T | undefined;
}

/** Every page of a query, in order; stopping early reads no further page. */
export async function* queryPages(db: DynamoDBDocumentClient, input: QueryCommandInput): AsyncIterable<{ items: Item[]; lastKey?: Item }> {
  let startKey: Item | undefined;
  do {
    const page = await sendToDynamo(() => db.send(new QueryCommand({ ...input, ...(startKey ? { ExclusiveStartKey: startKey } : {}) })));
    startKey = page.LastEvaluatedKey;
    yield { items: (page.Items ?? []) as Item[], ...(startKey ? { lastKey: startKey } : {}) };
  } while (startKey);
}

export async function* queryItems(db: DynamoDBDocumentClient, input: QueryCommandInput): AsyncIterable<Item> {
  for await (const page of queryPages(db, input)) yield* page.items;
}

export async function queryAll(db: DynamoDBDocumentClient, input: QueryCommandInput): Promise<Item[]> {
  const items: Item[] = [];
  for await (const item of queryItems(db, input)) items.push(item);
  return items;
}

/** Puts every item, 25 per BatchWriteItem, sending what DynamoDB left unprocessed again. */
export async function batchWriteAll(db: DynamoDBDocumentClient, tableName: string, items: readonly Item[]): Promise<void> {
  for (let start = 0; start < items.length; start += BATCH_WRITE_LIMIT) {
    const requests = items.slice(start, start + BATCH_WRITE_LIMIT).map((Item) => ({ PutRequest: { Item } }));
    await untilProcessed(requests, 'batch writes', async (pending) => {
      const result = await sendToDynamo(() => db.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } })));
      return (result.UnprocessedItems?.[tableName] ?? []) as typeof pending;
    });
  }
}

/** Reads every key (strongly consistent), 100 per BatchGetItem, asking for unprocessed keys again; absent items are left out. */
export async function batchGetAll(db: DynamoDBDocumentClient, tableName: string, keys: readonly Key[]): Promise<Item[]> {
  const items: Item[] = [];
  for (let start = 0; start < keys.length; start += BATCH_GET_LIMIT) {
    await untilProcessed(keys.slice(start, start + BATCH_GET_LIMIT), 'batch reads', async (pending) => {
      const result = await sendToDynamo(() => db.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } } })));
      items.push(...((result.Responses?.[tableName] ?? []) as Item[]));
      return (result.UnprocessedKeys?.[tableName]?.Keys ?? []) as Key[];
    });
  }
  return items;
}

/** Sends `pending` until nothing comes back unprocessed, backing off between rounds. */
async function untilProcessed<T>(pending: T[], what: string, send: (pending: T[]) => Promise<T[]>): Promise<void> {
  for (let round = 1; pending.length > 0; round++) {
    if (round > UNPROCESSED_ROUNDS) throw new TransientStoreError(`DynamoDB kept leaving ${what} unprocessed`);
    if (round > 1) await backoff(round - 1, DYNAMO_BACKOFF);
    pending = await send(pending);
  }
}
