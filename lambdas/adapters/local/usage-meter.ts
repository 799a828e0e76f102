import type { UsageKind, UsageMeter } from '../../ports/usage-meter';

const USAGE_KINDS: readonly UsageKind[] = [
  'dynamoReads',
  'dynamoWrites',
  'dynamoReadUnits',
  'dynamoWriteUnits',
  'dynamoCalls',
  'dynamoMillis',
  'stateTransitions',
  'sqsRequests',
  'lambdaInvocations',
  'lambdaMillis',
];

/** The local runtime's meter: counts in memory, read by the bench as snapshots. */
export class InMemoryUsageMeter implements UsageMeter {
  private readonly counts = new Map<UsageKind, number>();

  count(kind: UsageKind, n = 1): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + n);
  }

  get(kind: UsageKind): number {
    return this.counts.get(kind) ?? 0;
  }

  snapshot(): Record<UsageKind, number> {
    return Object.fromEntries(USAGE_KINDS.map((kind) => [kind, this.get(kind)])) as Record<UsageKind, number>;
  }

  reset(): void {
    this.counts.clear();
  }
}
