import type { ItemOutcome, JobContext, JobHandler } from '../../lambdas/domain/job-registry';
import { SyntheticJob } from '../../lambdas/jobs/synthetic-job';

/**
 * SYNTHETIC, counting how often each item of each job is processed (`job<seq>:<itemId>`), with
 * switchable faults: a crash (a throw, as a dying worker) on chosen process() calls, and items
 * that fail until `broken` is cleared (the cause an operator fixes before a redrive), and a halt:
 * once `haltAt` items are processed every call throws, so a runtime stopped in the middle of a
 * run cannot finish it during its stop, however slow the machine.
 */
export class InstrumentedJob implements JobHandler {
  readonly type = 'SYNTHETIC' as const;
  readonly processed = new Map<string, number>();
  crashOnCalls = new Set<number>();
  broken = new Set<string>();
  haltAt: number | undefined;
  /** The most process() calls that were running at once. */
  maxConcurrentCalls = 0;
  private calls = 0;
  private running = 0;
  private readonly inner = new SyntheticJob();

  constructor(readonly batchSize: number) {}

  parseSettings(settings: Record<string, unknown> | undefined): Record<string, unknown> {
    return this.inner.parseSettings(settings);
  }

  collect(ctx: JobContext): AsyncIterable<string> {
    return this.inner.collect(ctx);
  }

  batchSizeFor(settings: Record<string, unknown>): number {
    return typeof settings.batchSize === 'number' ? settings.batchSize : this.batchSize;
  }

  async process(ctx: JobContext, itemIds: readonly string[]): Promise<ItemOutcome[]> {
    this.running++;
    this.maxConcurrentCalls = Math.max(this.maxConcurrentCalls, this.running);
    try {
      return await this.processCounted(ctx, itemIds);
    } finally {
      this.running--;
    }
  }

  private async processCounted(ctx: JobContext, itemIds: readonly string[]): Promise<ItemOutcome[]> {
    this.calls++;
    if (this.crashOnCalls.has(this.calls)) throw new Error(`worker crash on call ${this.calls}`);
    if (this.haltAt !== undefined && this.processed.size >= this.haltAt) throw new Error(`worker halted after ${this.haltAt} items`);
    await new Promise((resolve) => setTimeout(resolve, 2));
    const outcomes = await this.inner.process(ctx, itemIds);
    return outcomes.map((outcome, i) => {
      const id = itemIds[i] as string;
      const key = `job${ctx.seq}:${id}`;
      this.processed.set(key, (this.processed.get(key) ?? 0) + 1);
      return this.broken.has(id) ? { ok: false, error: { code: 'BROKEN', message: `${id} is broken` } } : outcome;
    });
  }

  processedMoreThanOnce(): string[] {
    return [...this.processed].filter(([, n]) => n > 1).map(([id]) => id);
  }

  everyItemProcessed(times: number): boolean {
    return [...this.processed.values()].every((n) => n === times);
  }
}
