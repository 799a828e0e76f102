import { z } from 'zod';
import { ValidationError } from '../domain/errors';
import { MAX_JOB_BATCHES, type ItemOutcome, type JobContext, type JobHandler } from '../domain/job-registry';

const DEFAULT_BATCH_SIZE = 500;

/**
 * SYNTHETIC: a diagnostic job with a known number of work items, failing the listed item indexes
 * until they are reprocessed with `{"heal": true}`. Refused in production stages (the registry of
 * a production stage does not contain it).
 */
export const SyntheticSettingsSchema = z
  .object({
    items: z.number().int().min(0).max(10_000_000),
    failItems: z.array(z.number().int().min(0)).max(10_000).default([]),
    /** Pause per processed chunk of items, so that a run can be watched while it works. */
    delayMs: z.number().int().min(0).max(60_000).default(0),
    /** Items per batch; the default suits most runs. */
    batchSize: z.number().int().min(1).max(1000).optional(),
  })
  .strict()
  .refine((settings) => Math.ceil(settings.items / (settings.batchSize ?? DEFAULT_BATCH_SIZE)) <= MAX_JOB_BATCHES, {
    path: ['items'],
    message: `items in batches of batchSize (${DEFAULT_BATCH_SIZE} by default) must make at most ${MAX_JOB_BATCHES} batches: raise batchSize`,
  });
export type SyntheticSettings = z.infer<typeof SyntheticSettingsSchema>;

export const SYNTHETIC_ITEM_PREFIX = 'item-';
const ID_WIDTH = 7;

export function syntheticItemId(index: number): string {
  return `${SYNTHETIC_ITEM_PREFIX}${String(index).padStart(ID_WIDTH, '0')}`;
}

export function syntheticItemIndex(itemId: string): number {
  return Number(itemId.slice(SYNTHETIC_ITEM_PREFIX.length));
}

export class SyntheticJob implements JobHandler {
  readonly type = 'SYNTHETIC' as const;
  readonly batchSize = DEFAULT_BATCH_SIZE;

  parseSettings(settings: Record<string, unknown> | undefined): Record<string, unknown> {
    const parsed = SyntheticSettingsSchema.safeParse(settings ?? {});
    if (!parsed.success) {
      throw new ValidationError(
        'SYNTHETIC settings are { items, failItems?, delayMs? }',
        parsed.error.issues.map((issue) => ({ path: ['settings', ...issue.path].join('.'), message: issue.message })),
      );
    }
    return parsed.data;
  }

  async *collect(ctx: JobContext): AsyncIterable<string> {
    yield* this.itemsFrom(ctx, 0);
  }

  async *collectAfter(ctx: JobContext, afterItemId: string): AsyncIterable<string> {
    yield* this.itemsFrom(ctx, syntheticItemIndex(afterItemId) + 1);
  }

  async process(ctx: JobContext, itemIds: readonly string[]): Promise<ItemOutcome[]> {
    const settings = this.settings(ctx);
    if (settings.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, settings.delayMs));
    const failing = ctx.heal ? new Set<number>() : new Set(settings.failItems);
    return itemIds.map((itemId) => {
      const index = syntheticItemIndex(itemId);
      return failing.has(index)
        ? { ok: false, error: { code: 'SYNTHETIC_FAILURE', message: `Injected failure for item ${index}; reprocess with {"heal": true} to let it succeed.` } }
        : { ok: true };
    });
  }

  batchSizeFor(settings: Record<string, unknown>): number {
    return (settings as SyntheticSettings).batchSize ?? this.batchSize;
  }

  private *itemsFrom(ctx: JobContext, first: number): Iterable<string> {
    const { items } = this.settings(ctx);
    for (let i = first; i < items; i++) yield syntheticItemId(i);
  }

  private settings(ctx: JobContext): SyntheticSettings {
    return ctx.settings as SyntheticSettings;
  }
}
