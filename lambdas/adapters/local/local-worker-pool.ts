import type { Logger } from '@aws-lambda-powertools/logger';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { Worker } from 'node:worker_threads';
import type { TaskCallbacks } from '../../ports/orchestrator';
import type { UsageKind, UsageMeter } from '../../ports/usage-meter';
import type { WorkQueue } from '../../ports/work-queue';
import type { FromThread, RemoteMethod, ToThread, WorkerThreadData } from './local-worker-thread';

export interface LocalWorkerPoolOptions {
  threads: number;
  data: WorkerThreadData;
  /** The state machine's task callbacks and the work queue: the threads' calls of them run here. */
  callbacks: TaskCallbacks;
  queue: WorkQueue;
  meter: UsageMeter;
  logger: Pick<Logger, 'warn'>;
}

interface Thread {
  worker: Worker;
  inFlight: Map<number, { resolve(response: SQSBatchResponse | void): void; reject(error: Error): void }>;
}

const ENTRY = new URL('./local-worker-thread.ts', import.meta.url);

/**
 * Each thread stands for a worker Lambda (1,024 MB deployed, code and runtime included): its heap
 * is bounded likewise, so that it collects garbage as a sandbox must instead of growing with the
 * machine's memory. A batch needs a few megabytes.
 */
const THREAD_OLD_GENERATION_MB = 256;

/**
 * The worker Lambdas' stand-in: the queue's handler, run in worker threads (local-worker-thread.ts)
 * so that item processing does not hold the main thread's event loop, where the HTTP API and the
 * state machine run. Each event goes to the thread with the fewest in flight. A thread that dies
 * fails its events in flight (the queue redelivers their messages after the visibility timeout,
 * as SQS does after a crashed Lambda) and is replaced.
 */
export class LocalWorkerPool {
  private readonly threads: Thread[] = [];
  private nextEvent = 0;
  private stopped = false;

  constructor(private readonly options: LocalWorkerPoolOptions) {
    if (!Number.isInteger(options.threads) || options.threads < 1) throw new Error('a worker pool needs at least one thread');
    for (let i = 0; i < options.threads; i++) this.threads.push(this.spawn());
  }

  /** The queue consumer's handler. */
  handle(event: SQSEvent): Promise<SQSBatchResponse | void> {
    const thread = this.threads.reduce((a, b) => (b.inFlight.size < a.inFlight.size ? b : a));
    const id = this.nextEvent++;
    return new Promise((resolve, reject) => {
      thread.inFlight.set(id, { resolve, reject });
      thread.worker.postMessage({ type: 'event', id, event } satisfies ToThread);
    });
  }

  /** Thread ids, for an operator (or a test) to see the pool. */
  threadIds(): number[] {
    return this.threads.map((t) => t.worker.threadId);
  }

  /** Threads handling an event right now. */
  busyThreadIds(): number[] {
    return this.threads.filter((t) => t.inFlight.size > 0).map((t) => t.worker.threadId);
  }

  /** Ends a thread abruptly, as a crashed Lambda sandbox ends; the pool replaces it. */
  async crash(threadId: number): Promise<void> {
    const thread = this.threads.find((t) => t.worker.threadId === threadId);
    if (thread) await thread.worker.terminate();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.threads.map((t) => t.worker.terminate()));
  }

  private spawn(): Thread {
    const worker = new Worker(ENTRY, { workerData: this.options.data, execArgv: ['--import', 'tsx'], resourceLimits: { maxOldGenerationSizeMb: THREAD_OLD_GENERATION_MB } });
    const thread: Thread = { worker, inFlight: new Map() };
    worker.on('message', (message: FromThread) => this.receive(thread, message));
    worker.on('error', (error) => this.options.logger.warn('a worker thread failed', { error }));
    worker.on('exit', () => this.replace(thread));
    return thread;
  }

  private receive(thread: Thread, message: FromThread): void {
    if (message.type === 'call') {
      this.call(message.method, message.args).then(
        () => thread.worker.postMessage({ type: 'reply', id: message.id } satisfies ToThread),
        (error: unknown) => {
          const { name, message: text } = error instanceof Error ? error : new Error(String(error));
          thread.worker.postMessage({ type: 'reply', id: message.id, error: { name, message: text } } satisfies ToThread);
        },
      );
      return;
    }
    for (const [kind, n] of Object.entries(message.usage)) if (n > 0) this.options.meter.count(kind as UsageKind, n);
    const waiting = thread.inFlight.get(message.id);
    thread.inFlight.delete(message.id);
    if (!waiting) return;
    if (message.error === undefined) waiting.resolve(message.response as SQSBatchResponse | void);
    else waiting.reject(new Error(message.error));
  }

  private call(method: RemoteMethod, args: unknown[]): Promise<void> {
    const { callbacks, queue } = this.options;
    switch (method) {
      case 'sendTaskSuccess':
        return callbacks.sendTaskSuccess(args[0] as string, args[1]);
      case 'sendTaskFailure':
        return callbacks.sendTaskFailure(args[0] as string, args[1] as string, args[2] as string);
      case 'sendTaskHeartbeat':
        return callbacks.sendTaskHeartbeat(args[0] as string);
      case 'changeMessageVisibility':
        return queue.changeMessageVisibility(args[0] as string, args[1] as string, args[2] as number);
    }
  }

  private replace(thread: Thread): void {
    for (const waiting of thread.inFlight.values()) waiting.reject(new Error('the worker thread ended while handling the event'));
    thread.inFlight.clear();
    const index = this.threads.indexOf(thread);
    if (this.stopped || index < 0) return;
    this.options.logger.warn('a worker thread ended; starting another', { threadId: thread.worker.threadId });
    this.threads[index] = this.spawn();
  }
}
