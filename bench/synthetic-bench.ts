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
  /** Poll GET run status with this many concurrent pollers while the run processes. */
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
  latency?: LatencyResult;
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
  const pollers = options.pollers
    ? await startPollers({
        url: `${runtime.url}/v1/clients/${SYNTHETIC_CLIENT}/runs/${triggered.runId}`,
        token: options.pollers.token,
        pollers: options.pollers.count,
        thinkMs: options.pollers.thinkMs,
      })
    : undefined;
  const run = await watchRun(store, triggered.runId, timeline);
  const seconds = (performance.now() - started) / 1000;
  const after = runtime.meter.snapshot();
  const latency = await pollers?.stop();
  return {
    items,
    status: run.status,
    seconds: round(seconds),
    itemsPerSecond: Math.round(items / seconds),
    per1000: per1000Items(before, after, items),
    samples: timeline.samples,
    ...(latency ? { latency } : {}),
  };
}
