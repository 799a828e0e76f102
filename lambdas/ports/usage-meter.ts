/**
 * Counts the billable requests the local runtime makes, so the benchmark reports measured, not
 * estimated, per-item costs. Local adapters count; nothing in the domain reads it.
 */
export type UsageKind =
  /** DynamoDB read requests (a Query page, a GetItem, a BatchGetItem, a transaction's condition check). */
  | 'dynamoReads'
  /** DynamoDB items written (a BatchWriteItem counts each of its items, a transaction each action). */
  | 'dynamoWrites'
  /** Capacity units DynamoDB reported consumed (what on-demand bills). */
  | 'dynamoReadUnits'
  | 'dynamoWriteUnits'
  /** Data-plane requests timed, and their milliseconds: what a request costs in waiting, locally. */
  | 'dynamoCalls'
  | 'dynamoMillis'
  | 'stateTransitions'
  | 'sqsRequests'
  | 'lambdaInvocations'
  | 'lambdaMillis';

export interface UsageMeter {
  count(kind: UsageKind, n?: number): void;
  get(kind: UsageKind): number;
  /** Every kind, 0 for those never counted. */
  snapshot(): Record<UsageKind, number>;
}
