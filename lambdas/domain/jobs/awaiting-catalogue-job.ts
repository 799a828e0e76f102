import type { JobType } from '../model';
import type { ItemOutcome, JobHandler } from '../job-registry';

/**
 * The billing job types (USAGE_RATING, SYNC_TRANSACTIONS, BILLING, SUSPENSE_REPROCESSING,
 * SYNC_ERROR_REPROCESSING, RERATING) until the job catalogue (issue #4) implements them against
 * the billing ledger: they find no work items, so the mandatory daily schedule runs and completes.
 */
export class AwaitingCatalogueJob implements JobHandler {
  readonly batchSize = 250;

  constructor(readonly type: JobType) {}

  parseSettings(settings: Record<string, unknown> | undefined): Record<string, unknown> {
    return settings ?? {};
  }

  // eslint-disable-next-line require-yield -- a job type with no work items yet
  async *collect(): AsyncIterable<string> {
    return;
  }

  async process(_ctx: unknown, itemIds: readonly string[]): Promise<ItemOutcome[]> {
    return itemIds.map(() => ({ ok: false, error: { code: 'NOT_IMPLEMENTED', message: `${this.type} has no work items yet` } }));
  }
}
