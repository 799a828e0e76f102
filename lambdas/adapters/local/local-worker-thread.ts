import { Logger } from '@aws-lambda-powertools/logger';
import type { SQSEvent } from 'aws-lambda';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { systemClock } from '../../domain/system-clock';
import { createJobRegistry } from '../../jobs/job-catalogue';
import type { TaskCallbacks } from '../../ports/orchestrator';
import type { WorkQueue } from '../../ports/work-queue';
import { WorkerService, type WorkerSettings } from '../../services/worker-service';
import { DynamoLedger } from '../aws/dynamo-ledger';
import { DynamoRunStore } from '../aws/dynamo-run-store';
import { toDocumentClient } from '../aws/dynamo-toolkit';
import { HttpCoreBilling, staticCredentials } from '../aws/http-core-billing';
import { meterConsumedCapacity } from './dynamo-capacity-meter';
import { localDynamoClient } from './dynamo-local';
import { InMemoryUsageMeter } from './usage-meter';

/** The worker threads' nice value: below the main thread's 0, so the API and state machine come first. */
const WORKER_NICE = 10;

/** What the main thread gives a worker thread: where its stores are, nothing shared in memory. */
export interface WorkerThreadData {
  dynamoEndpoint: string;
  runsTable: string;
  ledgerTable: string;
  coreBilling: { endpoint: string; apiKey: string; timeoutMs?: number; maxAttempts?: number; backoffMs?: number };
  settings: WorkerSettings;
  logLevel: string;
}

/** Main thread → worker thread. */
export type ToThread = { type: 'event'; id: number; event: SQSEvent } | { type: 'reply'; id: number; error?: { name: string; message: string } };

/** Worker thread → main thread: an event handled (with the DynamoDB usage it metered since the last answer), or a call of the main thread's callbacks and queue. */
export type FromThread =
  | { type: 'done'; id: number; response?: unknown; error?: string; usage: Record<string, number> }
  | { type: 'call'; id: number; method: RemoteMethod; args: unknown[] };

export type RemoteMethod = 'sendTaskSuccess' | 'sendTaskFailure' | 'sendTaskHeartbeat' | 'changeMessageVisibility';

/**
 * A worker Lambda's stand-in in its own thread: the deployed worker's code with its own DynamoDB
 * and core billing clients, so that item processing never holds the main thread's event loop (the
 * HTTP API and the state machine), as the deployed workers are other Lambdas. Task tokens and
 * message visibility belong to the main thread's state machine and queue: those calls go there.
 */
function serve(port: NonNullable<typeof parentPort>, data: WorkerThreadData): void {
  const meter = new InMemoryUsageMeter();
  const client = localDynamoClient(data.dynamoEndpoint);
  meterConsumedCapacity(client, meter);
  const document = toDocumentClient(client);
  const coreBilling = new HttpCoreBilling({
    endpoint: data.coreBilling.endpoint,
    credentials: staticCredentials(data.coreBilling.apiKey),
    ...(data.coreBilling.timeoutMs !== undefined ? { timeoutMs: data.coreBilling.timeoutMs } : {}),
    ...(data.coreBilling.maxAttempts !== undefined ? { maxAttempts: data.coreBilling.maxAttempts } : {}),
    ...(data.coreBilling.backoffMs !== undefined ? { backoffMs: data.coreBilling.backoffMs } : {}),
  });
  const registry = createJobRegistry({ allowSynthetic: true, billing: { ledger: new DynamoLedger(document, data.ledgerTable), coreBilling, clock: systemClock } });

  const pending = new Map<number, { resolve(): void; reject(error: Error): void }>();
  let nextCall = 0;
  const call = (method: RemoteMethod, ...args: unknown[]): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const id = nextCall++;
      pending.set(id, { resolve, reject });
      port.postMessage({ type: 'call', id, method, args } satisfies FromThread);
    });
  const callbacks: TaskCallbacks = {
    sendTaskSuccess: (token, output) => call('sendTaskSuccess', token, output),
    sendTaskFailure: (token, error, cause) => call('sendTaskFailure', token, error, cause),
    sendTaskHeartbeat: (token) => call('sendTaskHeartbeat', token),
  };
  const queue: WorkQueue = { changeMessageVisibility: (arn, handle, seconds) => call('changeMessageVisibility', arn, handle, seconds) };
  const worker = new WorkerService({
    runs: new DynamoRunStore(document, data.runsTable),
    registry,
    callbacks,
    queue,
    clock: systemClock,
    logger: new Logger({ serviceName: 'job-schedule-manager-worker', logLevel: data.logLevel as 'WARN' }),
    settings: data.settings,
  });

  const usage = (): Record<string, number> => {
    const counts = meter.snapshot();
    meter.reset();
    return counts;
  };
  port.on('message', (message: ToThread) => {
    if (message.type === 'reply') {
      const waiting = pending.get(message.id);
      pending.delete(message.id);
      if (!waiting) return;
      if (!message.error) return waiting.resolve();
      // The worker tells a closed token by the error's name (TaskTimedOut), as from the SDK.
      const error = new Error(message.error.message);
      error.name = message.error.name;
      waiting.reject(error);
      return;
    }
    worker.handleSqsEvent(message.event).then(
      (response) => port.postMessage({ type: 'done', id: message.id, response, usage: usage() } satisfies FromThread),
      (error: unknown) => port.postMessage({ type: 'done', id: message.id, error: String(error), usage: usage() } satisfies FromThread),
    );
  });
}

if (parentPort) {
  lowerPriority();
  serve(parentPort, workerData as WorkerThreadData);
}

/**
 * The deployed workers are other Lambdas, with CPUs of their own: here they share the machine with
 * the API and the state machine, so the thread yields the CPU to them. On Linux a nice value is a
 * thread's own (setpriority on pid 0 is the calling thread); elsewhere this is best effort.
 */
function lowerPriority(): void {
  try {
    setPriority(0, WORKER_NICE);
  } catch {
    // Not permitted here: the thread runs at the process's priority.
  }
}
