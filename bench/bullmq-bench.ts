import { randomUUID } from 'node:crypto';
import { createBunRedisClient, Queue, Worker, type IRedisClient, type JobsOptions } from 'bullmq';
import { HttpCoreBilling, staticCredentials } from '../lambdas/adapters/aws/http-core-billing';
import { CoreBillingStandIn } from '../lambdas/adapters/local/core-billing-stand-in';
import type { LocalRuntime } from '../lambdas/composition/local-runtime';
import type { JobContext } from '../lambdas/domain/job-registry';
import { createJobRegistry } from '../lambdas/jobs/job-catalogue';
import { InMemoryUsageMeter } from '../lambdas/adapters/local/usage-meter';
import type { UsageKind } from '../lambdas/ports/usage-meter';
import { DAILY_SEQUENCE, meteredLedger, PROCESSING_DATE, type LedgerSize } from './ledger-bench';
import { per1000Items, round, Timeline, type Sample } from './progress';
import type { RedisServer } from './redis-server';
import { RespClient } from './resp-client';

/**
 * The daily billing sequence driven the way a Node team would build it on BullMQ instead of
 * Step Functions, SQS and a run store: for each job in order, the job's own `collect` streams
 * the work items, `addBulk` enqueues them in chunks (retries by attempts with exponential
 * backoff), one BullMQ Worker calls the job's own `process` for each BullMQ job, and the next job
 * starts when the queue has drained. Same JobHandlers, same DynamoDB Local, same kind of core
 * billing stand-in over HTTP: the same records get written, on a second client whose ledger was
 * seeded identically.
 *
 * `itemsPerJob` 1 is BullMQ's idiom (one BullMQ job per work item: per-item retries and state);
 * a larger value hands `process` a chunk of items per BullMQ job, as our worker hands it 50.
 */
export interface BullmqBenchOptions extends LedgerSize {
  clientId: string;
  label: string;
  itemsPerJob: number;
  /** BullMQ Worker concurrency: jobs processed at once. */
  concurrency: number;
  /** Jobs per addBulk call. */
  enqueueChunk: number;
}

export interface BullmqBenchResult {
  label: string;
  clientId: string;
  itemsPerJob: number;
  concurrency: number;
  items: number;
  itemsByJob: Record<string, number>;
  succeeded: number;
  failed: number;
  bullJobs: number;
  seconds: number;
  itemsPerSecond: number;
  /** Per 1,000 items, unrounded: DynamoDB requests and capacity units counted at the ledger (the other kinds stay 0: no Step Functions, SQS or Lambda here). */
  per1000: Record<UsageKind, number>;
  /** Per 1,000 items: the commands BullMQ sent to Redis, the HTTP requests core billing received. */
  redisCommandsPer1000: number;
  coreBillingRequestsPer1000: number;
  coreBillingStored: number;
  samples: Sample[];
}

/** The key the BullMQ side's own core billing stand-in expects (a local constant, like the runtime's). */
const CORE_BILLING_KEY = 'bench-bullmq-core-billing-key';
/** Retries of a BullMQ job whose processor threw (a transient failure of the whole chunk). */
const JOB_OPTIONS: JobsOptions = { attempts: 3, backoff: { type: 'exponential', delay: 1_000 }, removeOnComplete: true, removeOnFail: false };

export async function benchBullmq(runtime: LocalRuntime, redis: RedisServer, options: BullmqBenchOptions): Promise<BullmqBenchResult> {
  const meter = new InMemoryUsageMeter();
  const { ledger, close } = meteredLedger(runtime, meter);
  const coreBilling = await CoreBillingStandIn.start({ port: 0, host: '127.0.0.1', apiKey: CORE_BILLING_KEY, controlToken: randomUUID() });
  const registry = createJobRegistry({
    allowSynthetic: false,
    billing: { ledger, coreBilling: new HttpCoreBilling({ endpoint: coreBilling.endpoint, credentials: staticCredentials(CORE_BILLING_KEY) }) },
  });
  const redisCounter = { commands: 0 };
  // BullMQ leaves a connection it was handed open (the caller owns it): each one is disconnected here once its queue or worker has closed.
  const connections: IRedisClient[] = [];
  const connection = (): IRedisClient => {
    const client = createBunRedisClient(new RespClient(redis.host, redis.port, redisCounter));
    connections.push(client);
    return client;
  };

  const itemsByJob: Record<string, number> = {};
  let processed = 0;
  let succeeded = 0;
  let failed = 0;
  let bullJobs = 0;
  const started = performance.now();
  const timeline = new Timeline(started);
  const sampler = setInterval(() => timeline.record(processed), 250);
  let seconds: number;
  try {
    for (const [index, type] of DAILY_SEQUENCE.entries()) {
      const handler = registry.get(type);
      const ctx: JobContext = {
        clientId: options.clientId,
        runId: `bullmq-${options.clientId}-${PROCESSING_DATE}`,
        seq: index + 1,
        processingDate: PROCESSING_DATE,
        timezone: 'UTC',
        settings: {},
        heal: false,
      };
      const queueName = `${options.clientId}-${type}`;
      const queue = new Queue<{ itemIds: string[] }>(queueName, { connection: connection() });
      let enqueued = 0;
      let finished = 0;
      let collected = false;
      let drained: () => void = () => undefined;
      const allDone = new Promise<void>((resolve) => {
        drained = resolve;
      });
      const check = (): void => {
        if (collected && finished === enqueued) drained();
      };
      const worker = new Worker<{ itemIds: string[] }>(
        queueName,
        async (job) => {
          const outcomes = await handler.process(ctx, job.data.itemIds);
          const ok = outcomes.filter((outcome) => outcome.ok).length;
          succeeded += ok;
          failed += outcomes.length - ok;
          processed += outcomes.length;
          return { succeeded: ok, failed: outcomes.length - ok };
        },
        { connection: connection(), concurrency: options.concurrency },
      );
      worker.on('completed', () => {
        finished++;
        check();
      });
      worker.on('failed', (job) => {
        if (job && job.attemptsMade < (job.opts.attempts ?? 1)) return;
        const items = job?.data.itemIds.length ?? 0;
        failed += items;
        processed += items;
        finished++;
        check();
      });

      let items = 0;
      let chunk: string[] = [];
      let pending: Array<{ name: string; data: { itemIds: string[] }; opts: JobsOptions }> = [];
      const flush = async (): Promise<void> => {
        if (pending.length === 0) return;
        const jobs = pending;
        pending = [];
        await queue.addBulk(jobs);
        enqueued += jobs.length;
      };
      for await (const itemId of handler.collect(ctx)) {
        items++;
        chunk.push(itemId);
        if (chunk.length < options.itemsPerJob) continue;
        pending.push({ name: type, data: { itemIds: chunk }, opts: JOB_OPTIONS });
        chunk = [];
        if (pending.length >= options.enqueueChunk) await flush();
      }
      if (chunk.length > 0) pending.push({ name: type, data: { itemIds: chunk }, opts: JOB_OPTIONS });
      await flush();
      collected = true;
      check();
      await allDone;
      itemsByJob[type] = items;
      bullJobs += enqueued;
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
      for (const client of connections.splice(0)) client.disconnect();
    }
    seconds = (performance.now() - started) / 1000;
    timeline.record(processed, true);
  } finally {
    clearInterval(sampler);
    for (const client of connections.splice(0)) client.disconnect();
    await coreBilling.stop();
    close();
  }
  const items = Object.values(itemsByJob).reduce((a, b) => a + b, 0);
  const perK = (n: number): number => round((n / Math.max(1, items)) * 1000);
  const core = coreBilling.stats();
  return {
    label: options.label,
    clientId: options.clientId,
    itemsPerJob: options.itemsPerJob,
    concurrency: options.concurrency,
    items,
    itemsByJob,
    succeeded,
    failed,
    bullJobs,
    seconds: round(seconds),
    itemsPerSecond: Math.round(items / seconds),
    per1000: per1000Items(new InMemoryUsageMeter().snapshot(), meter.snapshot(), items),
    redisCommandsPer1000: perK(redisCounter.commands),
    coreBillingRequestsPer1000: perK(core.requests),
    coreBillingStored: core.stored,
    samples: timeline.samples,
  };
}
