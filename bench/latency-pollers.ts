import { parentPort, workerData } from 'node:worker_threads';
import { sleep } from '../lambdas/adapters/aws/backoff';
import type { PollerSettings, PollerReport } from './latency';

/**
 * Worker thread of bench/latency.ts: `pollers` concurrent loops of GET <url>, each timing every
 * request until told to stop. A thread of its own, so that the pollers' client work does not queue
 * on the event loop of the runtime it measures (they still share the machine's cores).
 */
const settings = workerData as PollerSettings;
const port = parentPort;
if (!port) throw new Error('latency-pollers.ts runs as a worker thread of bench/latency.ts');

let stopping = false;
const latencies: number[] = [];
const errorsByStatus: Record<string, number> = {};
const startedAt = performance.now();

port.on('message', (message) => {
  if (message === 'stop') stopping = true;
});

async function poll(): Promise<void> {
  // Independent clients: each starts at its own moment within the first interval, not all in step.
  if (settings.thinkMs > 0) await sleep(Math.random() * settings.thinkMs);
  while (!stopping) {
    const sent = performance.now();
    try {
      const response = await fetch(settings.url, { headers: { authorization: `Bearer ${settings.token}` } });
      await response.arrayBuffer();
      latencies.push(performance.now() - sent);
      if (response.status !== 200) errorsByStatus[response.status] = (errorsByStatus[response.status] ?? 0) + 1;
    } catch (error) {
      const code = String((error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name);
      errorsByStatus[code] = (errorsByStatus[code] ?? 0) + 1;
    }
    if (settings.thinkMs > 0) await sleep(settings.thinkMs);
  }
}

await Promise.all(Array.from({ length: settings.pollers }, () => poll()));
const report: PollerReport = { latenciesMs: Float64Array.from(latencies), errorsByStatus, seconds: (performance.now() - startedAt) / 1000 };
port.postMessage(report, [report.latenciesMs.buffer as ArrayBuffer]);
