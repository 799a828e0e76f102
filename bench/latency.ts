import { Worker } from 'node:worker_threads';
import { round } from './progress';

export interface PollerSettings {
  url: string;
  token: string;
  pollers: number;
  /** Pause of each poller between its requests; 0 polls back to back. */
  thinkMs: number;
}

export interface PollerReport {
  latenciesMs: Float64Array;
  /** Answers other than 200 by status (these have a latency), and requests without an answer by error code. */
  errorsByStatus: Record<string, number>;
  seconds: number;
}

export interface LatencyResult {
  pollers: number;
  thinkMs: number;
  requests: number;
  requestsPerSecond: number;
  errors: number;
  errorsByStatus: Record<string, number>;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

/** Starts the pollers (bench/latency-pollers.ts, in a worker thread); `stop` ends them and summarises every request's latency. */
export async function startPollers(settings: PollerSettings): Promise<{ stop(): Promise<LatencyResult> }> {
  const worker = new Worker(new URL('./latency-pollers.ts', import.meta.url), { workerData: settings });
  const report = new Promise<PollerReport>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the latency pollers stopped (exit ${code}) before they reported`)));
  });
  await new Promise<void>((resolve, reject) => {
    worker.once('online', resolve);
    worker.once('error', reject);
  });
  return {
    stop: async () => {
      worker.postMessage('stop');
      const { latenciesMs, errorsByStatus, seconds } = await report;
      await worker.terminate();
      return summarise(settings, latenciesMs, errorsByStatus, seconds);
    },
  };
}

function summarise(settings: PollerSettings, latencies: Float64Array, errorsByStatus: Record<string, number>, seconds: number): LatencyResult {
  const sorted = Float64Array.from(latencies).sort();
  const percentile = (p: number): number => (sorted.length === 0 ? 0 : round(sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] as number, 1));
  const errors = Object.values(errorsByStatus).reduce((a, b) => a + b, 0);
  return {
    pollers: settings.pollers,
    thinkMs: settings.thinkMs,
    // Answered requests (any status) have a latency; requests that got no answer only an error code.
    requests: sorted.length + Object.entries(errorsByStatus).reduce((sum, [key, n]) => (/^\d+$/.test(key) ? sum : sum + n), 0),
    requestsPerSecond: Math.round(sorted.length / Math.max(0.001, seconds)),
    errors,
    errorsByStatus,
    p50Ms: percentile(50),
    p90Ms: percentile(90),
    p99Ms: percentile(99),
    maxMs: round(sorted.at(-1) ?? 0, 1),
    meanMs: round(sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length), 1),
  };
}
