import { BILLING_ERROR_CODES, failed, SUCCEEDED } from '../domain/billing-errors';
import { rateUsage } from '../domain/billing-rating';
import type { ItemOutcome, JobContext } from '../domain/job-registry';
import type { UsageRecord } from '../domain/ledger';
import type { UsageWrite } from '../ports/ledger';
import { unique, UsageQueueJob, type UsageItem } from './ledger-job-support';

/**
 * USAGE_RATING prices unrated usage dated up to the processing date with the account's rate plan.
 * Usage that cannot be priced (no rate for its type on its date, no plan, no account) goes to
 * suspense, and its work item fails with the reason's code (NO_RATE, ...).
 *
 * SUSPENSE_REPROCESSING is the same rating over the records in suspense: once an operator has
 * added the missing rate, it empties the suspense. A failed USAGE_RATING item offered again (a
 * reprocess) finds its record in suspense and rates it the same way.
 *
 * Per item, one conditional write of the record (state and rating in one item), so an item offered
 * twice rates once: the second time it finds the record rated and succeeds without writing.
 */
export class UsageRatingJob extends UsageQueueJob<'USAGE_RATING' | 'SUSPENSE_REPROCESSING'> {
  protected readonly queues = { USAGE_RATING: 'UNRATED', SUSPENSE_REPROCESSING: 'SUSPENDED' } as const;

  protected async decide(ctx: JobContext, pending: readonly UsageItem[], outcomes: Map<string, ItemOutcome>): Promise<Set<string>> {
    const { ledger, clock } = this.deps;
    const records = await ledger.getUsage(ctx.clientId, pending.map((item) => item.key));
    const accounts = await ledger.getAccounts(ctx.clientId, unique([...records.values()].map((record) => record.accountId)));
    const plans = await ledger.getRatePlans(ctx.clientId, unique([...accounts.values()].map((account) => account.ratePlanId)));
    const now = clock.now().toISOString();
    const writes: UsageWrite[] = [];
    for (const { itemId } of pending) {
      const record = records.get(itemId);
      if (!record) {
        outcomes.set(itemId, failed(BILLING_ERROR_CODES.USAGE_NOT_FOUND, `Usage record ${itemId} does not exist (deleted after it was collected); nothing to rate.`));
        continue;
      }
      if (record.state !== 'UNRATED' && record.state !== 'SUSPENDED') {
        outcomes.set(itemId, SUCCEEDED);
        continue;
      }
      const account = accounts.get(record.accountId);
      const rated = account
        ? rateUsage(record, account.ratePlanId, plans.get(account.ratePlanId))
        : ({
            ok: false,
            code: BILLING_ERROR_CODES.UNKNOWN_ACCOUNT,
            message: `Usage ${itemId} belongs to account ${record.accountId}, which does not exist: create the account, then reprocess the failed items.`,
          } as const);
      if (rated.ok) {
        const { suspense: _suspense, ...rest } = record;
        writes.push({ record: { ...rest, state: 'RATED', rating: { ...rated.priced, ratedAt: now, version: 1 } }, expectedRev: record.rev });
        outcomes.set(itemId, SUCCEEDED);
        continue;
      }
      outcomes.set(itemId, failed(rated.code, rated.message));
      const unchanged = record.state === 'SUSPENDED' && record.suspense?.code === rated.code && record.suspense.message === rated.message;
      if (!unchanged) writes.push({ record: suspended(record, rated.code, rated.message, now), expectedRev: record.rev });
    }
    return writes.length > 0 ? ledger.writeUsage(ctx.clientId, writes) : new Set();
  }
}

function suspended(record: UsageRecord, code: string, message: string, now: string): UsageRecord {
  return { ...record, state: 'SUSPENDED', suspense: { code, message, at: now } };
}
