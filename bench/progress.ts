import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoRunStore } from '../lambdas/adapters/aws/dynamo-run-store';
import { RUNS_TABLE } from '../lambdas/adapters/aws/table-definitions';
import { sleep } from '../lambdas/adapters/aws/backoff';
import { localDynamoClient } from '../lambdas/adapters/local/dynamo-local';
import type { LocalRuntime } from '../lambdas/composition/local-runtime';
import type { Run } from '../lambdas/domain/model';
import type { UsageKind } from '../lambdas/ports/usage-meter';

/** Items processed (succeeded + failed) so far, `seconds` after the run was triggered. */
export interface Sample {
  seconds: number;
  processed: number;
}

/** Progress of one run over its run time, at most one sample a second (and one at the end). */
export class Timeline {
  readonly samples: Sample[] = [{ seconds: 0, processed: 0 }];

  constructor(
    private readonly startedAt = performance.now(),
    private readonly everyMs = 1_000,
  ) {}

  record(processed: number, final = false): void {
    const now = performance.now();
    const last = this.samples.at(-1) as Sample;
    if (!final && (now - this.startedAt) / 1000 - last.seconds < this.everyMs / 1000) return;
    this.samples.push({ seconds: round((now - this.startedAt) / 1000), processed });
  }
}

/** Items per second between consecutive samples, at the end of each interval. */
export function itemsPerSecondSeries(samples: readonly Sample[]): Array<{ seconds: number; itemsPerSecond: number }> {
  const series: Array<{ seconds: number; itemsPerSecond: number }> = [];
  for (let i = 1; i < samples.length; i++) {
    const [a, b] = [samples[i - 1] as Sample, samples[i] as Sample];
    const span = b.seconds - a.seconds;
    if (span > 0.05) series.push({ seconds: b.seconds, itemsPerSecond: Math.round((b.processed - a.processed) / span) });
  }
  return series;
}

/**
 * Reads runs for the bench's own polling without counting: the UsageMeter then holds only what
 * the product did for the run (the latency section measures the status API separately).
 */
export function unmeteredRunStore(runtime: LocalRuntime): { store: DynamoRunStore; close(): void } {
  const client = localDynamoClient(runtime.dynamoEndpoint);
  const document = DynamoDBDocumentClient.from(client);
  return { store: new DynamoRunStore(document, `${runtime.tablePrefix}-${RUNS_TABLE.id}`), close: () => client.destroy() };
}

export function processedItems(run: Run): number {
  return run.jobs.reduce((sum, job) => sum + job.stats.succeeded + job.stats.failed, 0);
}

/**
 * Polls the run every `pollMs` until it is neither PENDING nor RUNNING, recording its progress.
 * Often: the run's seconds end when this sees its final status, so the interval is measured too.
 */
export async function watchRun(store: DynamoRunStore, runId: string, timeline: Timeline, pollMs = 50, onProgress?: (processed: number) => Promise<void>): Promise<Run> {
  for (;;) {
    const run = await store.getRun(runId, true);
    if (!run) throw new Error(`run ${runId} disappeared`);
    const done = run.status !== 'PENDING' && run.status !== 'RUNNING';
    timeline.record(processedItems(run), done);
    if (done) return run;
    await onProgress?.(processedItems(run));
    await sleep(pollMs);
  }
}

/** The meter's counts between two snapshots per 1,000 items, every kind the meter has (unrounded). */
export function per1000Items(before: Record<UsageKind, number>, after: Record<UsageKind, number>, items: number): Record<UsageKind, number> {
  const kinds = Object.keys(after) as UsageKind[];
  return Object.fromEntries(kinds.map((kind) => [kind, ((after[kind] - (before[kind] ?? 0)) / Math.max(1, items)) * 1000])) as Record<UsageKind, number>;
}

export function round(n: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(n * factor) / factor;
}

export function roundAll<K extends string>(values: Record<K, number>, digits = 2): Record<K, number> {
  return Object.fromEntries(Object.entries<number>(values).map(([k, v]) => [k, round(v, digits)])) as Record<K, number>;
}
