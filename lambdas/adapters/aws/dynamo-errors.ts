import { TransientStoreError } from '../../domain/errors';

/**
 * DynamoDB errors that say "busy or briefly unavailable, try again": the stores turn them into
 * TransientStoreError, which the ASL's Retry and the SQS redelivery absorb.
 */
const TRANSIENT_ERROR_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TransactionConflictException',
]);

/** Throttling: DynamoDB refused the request before doing anything, so sending it again is always safe. */
const THROTTLING_ERROR_NAMES = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded']);

/**
 * Attempts of a throttled call before a store gives up with TransientStoreError. The SDK has
 * already retried (3 attempts in standard mode) when a throttling error reaches a store, or its
 * retry quota, which sustained throttling drains, let the error through at once. One more short,
 * jittered backoff here keeps a brief spike from throwing away a whole batch of work: a worker
 * that throws waits out the queue's visibility timeout (30 minutes deployed) and spends one of
 * the message's receives; a step waits out the ASL's Retry interval.
 */
export const THROTTLED_ATTEMPTS = 6;
const THROTTLED_BACKOFF_MS = 50;
const THROTTLED_BACKOFF_CAP_MS = 1_000;

export function isTransientDynamoError(error: unknown): error is Error {
  return error instanceof Error && TRANSIENT_ERROR_NAMES.has(error.name);
}

export function isThrottlingError(error: unknown): error is Error {
  return error instanceof Error && THROTTLING_ERROR_NAMES.has(error.name);
}

/**
 * Sends a DynamoDB call: again after throttling (with full-jitter exponential backoff, up to
 * THROTTLED_ATTEMPTS), then as TransientStoreError when it stays busy or DynamoDB is briefly
 * unavailable. Every other error (a failed condition, a cancelled transaction) is the caller's.
 */
export async function sendToDynamo<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (isThrottlingError(error) && attempt < THROTTLED_ATTEMPTS) {
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(THROTTLED_BACKOFF_CAP_MS, THROTTLED_BACKOFF_MS * 2 ** (attempt - 1))));
        continue;
      }
      if (isTransientDynamoError(error)) throw new TransientStoreError(`DynamoDB is busy: ${error.name}`);
      throw error;
    }
  }
}
