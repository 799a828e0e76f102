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

export function isTransientDynamoError(error: unknown): error is Error {
  return error instanceof Error && TRANSIENT_ERROR_NAMES.has(error.name);
}
