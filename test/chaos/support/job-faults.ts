import type { ItemOutcome, JobContext, JobHandler } from '../../../lambdas/domain/job-registry';
import type { JobType } from '../../../lambdas/domain/model';

/** The error code of an injected item failure. */
export const INJECTED_FAILURE = 'CHAOS_INJECTED_FAILURE';

export interface ItemFailureFault {
  /** Turn the fault off (the cause is fixed) before reprocessing. */
  enabled: boolean;
  /** Item ids that failed so far, by job type. */
  readonly failed: Map<JobType, Set<string>>;
  /** Whether the fault picks this item of this job type (deterministic by item id). */
  picks(type: JobType, itemId: string): boolean;
}

export interface JobFaultOptions {
  /** Share of each job's items that fail while the fault is on, chosen by a hash of the item id. @default 0 */
  failShare?: number;
  /**
   * Items per batch by job type, smaller than the catalogue's so that a ledger of a few hundred
   * accounts makes many batches (many SQS messages, many interleavings).
   */
  batchSizes?: Partial<Record<JobType, number>>;
}

/**
 * A decorator for the local runtime's `faults.jobs`: fails a deterministic share of every job's
 * items while `enabled`. Half of the picked items fail before the job sees them (nothing
 * happened, like a validation error); the other half fail after the job has had its effect
 * (rated, synced, invoiced) — the outcome is lost, as when a worker's answer is, so a reprocess
 * offers an item whose effect already exists, and the job's own key must make that harmless.
 */
export function itemFailures(options: JobFaultOptions): { fault: ItemFailureFault; decorate: (handler: JobHandler) => JobHandler } {
  const share = options.failShare ?? 0;
  const fault: ItemFailureFault = {
    enabled: share > 0,
    failed: new Map(),
    picks: (type, itemId) => share > 0 && fnv1a(`${type}:${itemId}`) % 10_000 < share * 10_000,
  };
  const record = (type: JobType, itemId: string): void => {
    const set = fault.failed.get(type) ?? new Set<string>();
    set.add(itemId);
    fault.failed.set(type, set);
  };
  const decorate = (handler: JobHandler): JobHandler => {
    const batchSize = options.batchSizes?.[handler.type] ?? handler.batchSize;
    return {
      type: handler.type,
      batchSize,
      ...(handler.batchSizeFor ? { batchSizeFor: (settings: Record<string, unknown>) => handler.batchSizeFor?.(settings) ?? batchSize } : {}),
      parseSettings: (settings) => handler.parseSettings(settings),
      collect: (ctx) => handler.collect(ctx),
      process: async (ctx: JobContext, itemIds: readonly string[]): Promise<ItemOutcome[]> => {
        if (!fault.enabled) return handler.process(ctx, itemIds);
        const picked = itemIds.filter((itemId) => fault.picks(handler.type, itemId));
        const before = new Set(picked.filter((itemId) => fnv1a(`after:${itemId}`) % 2 === 0));
        const offered = itemIds.filter((itemId) => !before.has(itemId));
        const outcomes = new Map<string, ItemOutcome>();
        const processed = offered.length > 0 ? await handler.process(ctx, offered) : [];
        offered.forEach((itemId, i) => outcomes.set(itemId, processed[i] as ItemOutcome));
        for (const itemId of picked) {
          record(handler.type, itemId);
          const when = before.has(itemId) ? 'before' : 'after';
          outcomes.set(itemId, { ok: false, error: { code: INJECTED_FAILURE, message: `the chaos suite failed ${itemId} ${when} ${handler.type} processed it` } });
        }
        return itemIds.map((itemId) => outcomes.get(itemId) as ItemOutcome);
      },
    };
  };
  return { fault, decorate };
}

/** The chaos batch sizes: even the short suite's 62 accounts make several batches per job (BILLING bills 4 of them on a month's last day). */
export const CHAOS_BATCH_SIZES: Partial<Record<JobType, number>> = { USAGE_RATING: 20, SYNC_TRANSACTIONS: 20, BILLING: 2 };

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
