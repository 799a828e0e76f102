import type { LocalRuntime } from '../lambdas/composition/local-runtime';
import type { UsageKind } from '../lambdas/ports/usage-meter';
import type { ApiCall } from './api';
import { startPollers, type LatencyResult } from './latency';
import { per1000Items, round, Timeline, watchRun, type Sample } from './progress';
import type { DynamoRunStore } from '../lambdas/adapters/aws/dynamo-run-store';

export const SYNTHETIC_CLIENT = 'bench';

export interface SyntheticRunOptions {
  items: number;
  /** Items per batch; default: the SYNTHETIC job's own. */
  batchSize?: number;
  /** Makes the schedule's name unique. */
  index: number;
  /**
   * Poll GET run status with this many concurrent pollers while the run processes: each pausing
   * `thinkMs` between requests until half the items are done, then back to back for the rest.
   */
  pollers?: { count: number; thinkMs: number; token: string };
}

export interface SyntheticRunResult {
  items: number;
  status: string;
  seconds: number;
  itemsPerSecond: number;
  /** Every meter kind per 1,000 items, unrounded. */
  per1000: Record<UsageKind, number>;
  samples: Sample[];
  /** The pollers pausing `thinkMs` (the first half of the run). */
  latency?: LatencyResult;
  /** The same pollers back to back (the second half), when `thinkMs` was not 0 already. */
  latencyBackToBack?: LatencyResult;
}

/** One SYNTHETIC run through the HTTP API, the ASL, the queue and the workers, timed from the trigger to a final status. */
export async function benchSynthetic(runtime: LocalRuntime, call: ApiCall, store: DynamoRunStore, options: SyntheticRunOptions): Promise<SyntheticRunResult> {
  const { items, batchSize } = options;
  const schedule = await call('POST', `/v1/clients/${SYNTHETIC_CLIENT}/schedules`, {
    name: `Synthetic ${items} #${options.index}`,
    frequency: { type: 'MANUAL' },
    executionTime: '00:00:00',
    timezone: 'UTC',
    jobs: [{ type: 'SYNTHETIC', settings: { items, ...(batchSize ? { batchSize } : {}) } }],
  });
  const before = runtime.meter.snapshot();
  const started = performance.now();
  const timeline = new Timeline(started);
  const triggered = await call('POST', `/v1/clients/${SYNTHETIC_CLIENT}/schedules/${schedule.scheduleId}/runs`, { processingDate: '2026-11-25' });
  const polling = options.pollers;
  const pollersWith = (thinkMs: number) =>
    polling && startPollers({ url: `${runtime.url}/v1/clients/${SYNTHETIC_CLIENT}/runs/${triggered.runId}`, token: polling.token, pollers: polling.count, thinkMs });
  let pollers = await pollersWith(polling?.thinkMs ?? 0);
  let latency: LatencyResult | undefined;
  // Half way through, the paced pollers hand over to back-to-back ones: both loads on one run.
  const switchAtHalf = async (processed: number): Promise<void> => {
    if (!pollers || !polling || polling.thinkMs === 0 || latency || processed < items / 2) return;
    latency = await pollers.stop();
    pollers = await pollersWith(0);
  };
  const run = await watchRun(store, triggered.runId, timeline, undefined, switchAtHalf);
  const seconds = (performance.now() - started) / 1000;
  const after = runtime.meter.snapshot();
  const last = await pollers?.stop();
  const [paced, backToBack] = latency ? [latency, last] : [last, undefined];
  return {
    items,
    status: run.status,
    seconds: round(seconds),
    itemsPerSecond: Math.round(items / seconds),
    per1000: per1000Items(before, after, items),
    samples: timeline.samples,
    ...(paced ? { latency: paced } : {}),
    ...(backToBack ? { latencyBackToBack: backToBack } : {}),
  };
}
