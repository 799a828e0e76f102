import { AsyncLocalStorage } from 'node:async_hooks';
import { HttpCoreBilling, staticCredentials } from '../../../lambdas/adapters/aws/http-core-billing';
import type { LocalRuntime } from '../../../lambdas/composition/local-runtime';
import type { ItemOutcome, JobContext, JobHandler } from '../../../lambdas/domain/job-registry';
import { createJobRegistry } from '../../../lambdas/jobs/job-catalogue';
import type { JobRegistry } from '../../../lambdas/domain/job-registry';
import type { JobType } from '../../../lambdas/domain/model';

/**
 * A worker process that dies in the middle of a batch, as a Lambda does when its process crashes
 * (out of memory, a segfault in a native module, the sandbox recycled): the invocation ends with
 * an error, whatever it was awaiting never resumes — no outcome write, no lease release, no task
 * callback — and the event source mapping keeps the message, which reappears after its
 * visibility timeout for another invocation to take.
 *
 * Two parts make that happen in the local runtime:
 * - installCrashableWorker replaces the work queue's consumer with one whose invocations can die:
 *   the same handler (the engine's worker), each invocation in its own async context;
 * - CrashingJob wraps a real job handler; on the first delivery of a chosen batch it processes the
 *   items before the batch's crash point for real (their effects are done) and then kills the
 *   invocation it runs in, never returning to the worker.
 */
const invocations = new AsyncLocalStorage<{ die(error: Error): void }>();

/** The worker's event source mapping as the local runtime sets it up (local-runtime.ts), with invocations that can crash. */
export interface CrashableWorkerOptions {
  /** Must equal the runtime's `worker.visibilityTimeoutMs`: the batch lease is derived from it. */
  visibilityTimeoutMs: number;
  maxConcurrency: number;
  /** @default 5, as the local runtime */
  maxReceiveCount?: number;
}

export async function installCrashableWorker(runtime: LocalRuntime, options: CrashableWorkerOptions): Promise<void> {
  await runtime.workQueue.stop(0);
  runtime.workQueue.startConsumer({
    handler: (event) =>
      new Promise((resolve, reject) => {
        invocations.run({ die: reject }, () => {
          runtime.engine.worker.handleSqsEvent(event).then(resolve, reject);
        });
      }),
    batchSize: 1,
    maxConcurrency: options.maxConcurrency,
    visibilityTimeoutMs: options.visibilityTimeoutMs,
    maxReceiveCount: options.maxReceiveCount ?? 5,
    deadLetter: runtime.deadLetterQueue,
  });
}

export class WorkerCrash extends Error {
  override readonly name = 'WorkerCrash';
}

export interface CrashPlan {
  /** Batches per job: fewer items than the catalogue's, so that a small ledger has several batches to crash in. */
  batchSize: number;
  /** Which batches crash on their first delivery (while armed). */
  crashes(batchNo: number): boolean;
  /** Where in a batch the process dies, as a share of its items (0.6: in the chunk that reaches 60% of them, after the items before that point). */
  at: number;
}

export interface Crash {
  runId: string;
  seq: number;
  batchNo: number;
  /** Items of the chunk the process died in that it had processed for real: their effects are done, their outcomes never recorded. */
  unrecorded: string[];
}

/**
 * A real job handler whose worker dies mid-batch. Batch membership is learnt from `collect`
 * (CollectWorkItems cuts the collected ids into consecutive batches of `batchSize`).
 */
export class CrashingJob implements JobHandler {
  readonly type: JobType;
  readonly batchSize: number;
  readonly crashes: Crash[] = [];
  /** How often each item (`seq:itemId`) was processed for real. */
  readonly processed = new Map<string, number>();
  private armed = true;
  private readonly crashed = new Set<string>();
  /** `runId#seq` → itemId → its batch and position. */
  private readonly positions = new Map<string, Map<string, { batchNo: number; index: number }>>();
  private readonly batchLengths = new Map<string, number>();

  constructor(
    private readonly inner: JobHandler,
    private readonly plan: CrashPlan,
  ) {
    this.type = inner.type;
    this.batchSize = plan.batchSize;
  }

  /** Crash the chosen batches again on their next first delivery (a later execution of the run). */
  arm(): void {
    this.armed = true;
    this.crashed.clear();
  }

  disarm(): void {
    this.armed = false;
  }

  parseSettings(settings: Record<string, unknown> | undefined): Record<string, unknown> {
    return this.inner.parseSettings(settings);
  }

  async *collect(ctx: JobContext): AsyncIterable<string> {
    const job = `${ctx.runId}#${ctx.seq}`;
    const positions = new Map<string, { batchNo: number; index: number }>();
    this.positions.set(job, positions);
    let n = 0;
    for await (const itemId of this.inner.collect(ctx)) {
      const batchNo = Math.floor(n / this.batchSize);
      positions.set(itemId, { batchNo, index: n % this.batchSize });
      this.batchLengths.set(`${job}#${batchNo}`, (n % this.batchSize) + 1);
      n++;
      yield itemId;
    }
  }

  async process(ctx: JobContext, itemIds: readonly string[]): Promise<ItemOutcome[]> {
    const job = `${ctx.runId}#${ctx.seq}`;
    const where = itemIds.map((itemId) => this.positions.get(job)?.get(itemId));
    const batchNo = where[0]?.batchNo;
    const batch = `${job}#${batchNo}`;
    if (this.armed && batchNo !== undefined && this.plan.crashes(batchNo) && !this.crashed.has(batch)) {
      const crashAt = Math.floor((this.batchLengths.get(batch) ?? 0) * this.plan.at);
      if (where.some((w) => w !== undefined && w.index >= crashAt)) {
        this.crashed.add(batch);
        // The items of this chunk before the crash point, or the first half of a chunk that starts at it: the process dies in the middle of a chunk.
        const beforeCrashPoint = itemIds.filter((_, i) => (where[i]?.index ?? Infinity) < crashAt);
        const before = beforeCrashPoint.length > 0 ? beforeCrashPoint : itemIds.slice(0, Math.ceil(itemIds.length / 2));
        await this.processForReal(ctx, before);
        this.crashes.push({ runId: ctx.runId, seq: ctx.seq, batchNo, unrecorded: before });
        return die(`the worker process died in batch ${batchNo} of job ${ctx.seq} after ${before.length} items of this chunk`);
      }
    }
    return this.processForReal(ctx, itemIds);
  }

  private async processForReal(ctx: JobContext, itemIds: readonly string[]): Promise<ItemOutcome[]> {
    const outcomes = await this.inner.process(ctx, itemIds);
    for (const itemId of itemIds) this.processed.set(`${ctx.seq}:${itemId}`, (this.processed.get(`${ctx.seq}:${itemId}`) ?? 0) + 1);
    return outcomes;
  }
}

/** Ends the invocation this runs in with an error and never returns to its caller. */
function die(reason: string): Promise<never> {
  const invocation = invocations.getStore();
  if (!invocation) throw new Error('a CrashingJob runs only under installCrashableWorker');
  invocation.die(new WorkerCrash(reason));
  return new Promise<never>(() => undefined);
}

/** The key the local runtime's core billing stand-in expects (LOCAL_CORE_BILLING_KEY in local-runtime.ts). */
const LOCAL_CORE_BILLING_KEY = 'local-core-billing-key';

/**
 * Wraps the runtime's billing jobs in CrashingJobs over the same ledger and core billing stand-in.
 * The runtime must have been started with `registry` (so it reads this one), e.g.
 * `createJobRegistry({ allowSynthetic: false })`.
 */
export function crashBillingJobs(runtime: LocalRuntime, registry: JobRegistry, plans: Partial<Record<JobType, CrashPlan>>): Map<JobType, CrashingJob> {
  const real = createJobRegistry({
    allowSynthetic: false,
    billing: {
      ledger: runtime.ledger,
      coreBilling: new HttpCoreBilling({ endpoint: runtime.coreBilling.endpoint, credentials: staticCredentials(LOCAL_CORE_BILLING_KEY), backoffMs: 5 }),
    },
  });
  const wrapped = new Map<JobType, CrashingJob>();
  for (const [type, plan] of Object.entries(plans) as Array<[JobType, CrashPlan]>) {
    const job = new CrashingJob(real.get(type), plan);
    registry.register(job);
    wrapped.set(type, job);
  }
  return wrapped;
}
