/**
 * Counts the billable requests the adapters make, so the benchmark reports measured, not
 * estimated, per-item costs. Adapters call `count`; nothing in the domain reads it.
 */
export type UsageKind =
  | 'dynamoReads'
  | 'dynamoWrites'
  /** Capacity units DynamoDB reported consumed (what on-demand bills), where the adapter asks for them. */
  | 'dynamoReadUnits'
  | 'dynamoWriteUnits'
  /** Data-plane requests timed, and their milliseconds: what a request costs in waiting, locally. */
  | 'dynamoCalls'
  | 'dynamoMillis'
  | 'stateTransitions'
  | 'sqsRequests'
  | 'lambdaInvocations'
  | 'lambdaMillis';

export class UsageMeter {
  private readonly counts = new Map<UsageKind, number>();

  count(kind: UsageKind, n = 1): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + n);
  }

  get(kind: UsageKind): number {
    return this.counts.get(kind) ?? 0;
  }

  snapshot(): Record<UsageKind, number> {
    const kinds: UsageKind[] = ['dynamoReads', 'dynamoWrites', 'dynamoReadUnits', 'dynamoWriteUnits', 'dynamoCalls', 'dynamoMillis', 'stateTransitions', 'sqsRequests', 'lambdaInvocations', 'lambdaMillis'];
    return Object.fromEntries(kinds.map((k) => [k, this.get(k)])) as Record<UsageKind, number>;
  }

  reset(): void {
    this.counts.clear();
  }
}

/** A meter that nobody reads: the deployed Lambdas use it, CloudWatch and billing count there. */
export const noopMeter = new UsageMeter();
