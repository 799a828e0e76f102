import { billingPeriod, dueAnniversaryDays, isBillDate, type BillingPeriod } from '../domain/billing-calendar';
import { BILLING_ERROR_CODES, failed, SUCCEEDED } from '../domain/billing-errors';
import type { ItemOutcome, JobContext } from '../domain/job-registry';
import { LedgerIdSchema, type Account, type Invoice, type UsageRecord, type UsageState } from '../domain/ledger';
import { mapConcurrently } from '../domain/concurrency';
import { inOrder, invalidItem, LedgerJob, unique, type BillingJobDependencies } from './ledger-job-support';

/** Accounts whose period usage is read at once: bounded, so a chunk does not burst the table. */
const USAGE_READ_CONCURRENCY = 10;

/**
 * BILLING invoices the accounts whose bill date is the processing date: anniversary day = the
 * date's day, and on a month's last day also the anniversary days past it (billing-calendar.ts).
 * The invoice covers the account's recurring charge and its usage of the period that core billing
 * accepted (SYNCED), so this invoice and core's agree.
 *
 * Exactly one invoice per account and period, whatever is retried, redelivered, reprocessed or run
 * again: the invoice is created with a write conditional on the account having none for the
 * period; an item that finds one succeeds without writing.
 *
 * An account is held (not invoiced, every other account is) while its period has usage that is not
 * rated (UNRATED or SUSPENDED: UNRATED_USAGE) or rated usage core billing has not accepted (RATED or
 * SYNC_ERROR: UNSYNCED_USAGE), so that no invoice leaves usage out. Any other state (DISCARDED)
 * neither holds nor is billed.
 */
export class BillingJob extends LedgerJob<'BILLING'> {
  readonly batchSize = 250;

  constructor(deps: BillingJobDependencies) {
    super(deps, 'BILLING');
  }

  collect(ctx: JobContext): AsyncIterable<string> {
    return this.collectAfter(ctx);
  }

  collectAfter(ctx: JobContext, afterAccountId?: string): AsyncIterable<string> {
    return this.deps.ledger.accountsDueOn(ctx.clientId, dueAnniversaryDays(ctx.processingDate), afterAccountId);
  }

  async process(ctx: JobContext, itemIds: readonly string[]): Promise<ItemOutcome[]> {
    const { ledger, clock } = this.deps;
    const outcomes = new Map<string, ItemOutcome>();
    const accountIds = itemIds.filter((itemId) => {
      if (LedgerIdSchema.safeParse(itemId).success) return true;
      outcomes.set(itemId, invalidItem(ctx, this.type, itemId, 'an account id'));
      return false;
    });
    const accounts = await ledger.getAccounts(ctx.clientId, accountIds);

    const due: Array<{ account: Account; period: BillingPeriod }> = [];
    for (const accountId of accountIds) {
      const account = accounts.get(accountId);
      if (!account) {
        outcomes.set(accountId, failed(BILLING_ERROR_CODES.UNKNOWN_ACCOUNT, `Account ${accountId} does not exist (deleted after it was collected); nothing to bill.`));
      } else if (account.status !== 'ACTIVE' || !isBillDate(account.anniversaryDay, ctx.processingDate)) {
        // Closed, or moved to another anniversary day, since it was collected: billed when and if it is due.
        outcomes.set(accountId, SUCCEEDED);
      } else {
        due.push({ account, period: billingPeriod(account.anniversaryDay, ctx.processingDate) });
      }
    }

    const existing = await ledger.getInvoices(
      ctx.clientId,
      due.map(({ account, period }) => ({ accountId: account.accountId, periodId: period.periodId })),
    );
    const toBill = due.filter(({ account, period }) => {
      if (!existing.has(`${account.accountId}/${period.periodId}`)) return true;
      outcomes.set(account.accountId, SUCCEEDED);
      return false;
    });
    const plans = await ledger.getRatePlans(ctx.clientId, unique(toBill.map(({ account }) => account.ratePlanId)));
    const now = clock.now().toISOString();
    const invoices = await mapConcurrently(toBill, USAGE_READ_CONCURRENCY, async ({ account, period }): Promise<Invoice | undefined> => {
      const plan = plans.get(account.ratePlanId);
      if (!plan) {
        outcomes.set(
          account.accountId,
          failed(BILLING_ERROR_CODES.NO_RATE_PLAN, `Account ${account.accountId} is on rate plan "${account.ratePlanId}", which does not exist: create it or move the account, then reprocess.`),
        );
        return undefined;
      }
      const usage = await ledger.usageOfAccount(ctx.clientId, account.accountId, period.start, period.end);
      const hold = holdOf(account.accountId, period, usage);
      if (hold) {
        outcomes.set(account.accountId, hold);
        return undefined;
      }
      const synced = usage.filter((record) => record.state === 'SYNCED');
      const usageChargeMinor = synced.reduce((sum, record) => sum + (record.rating?.amountMinor ?? 0), 0);
      return {
        clientId: ctx.clientId,
        accountId: account.accountId,
        periodId: period.periodId,
        invoiceId: `INV-${account.accountId}-${period.periodId}`,
        periodStart: period.start,
        periodEnd: period.end,
        billedOn: ctx.processingDate,
        currency: plan.currency,
        recurringChargeMinor: plan.recurringChargeMinor,
        usageChargeMinor,
        totalMinor: plan.recurringChargeMinor + usageChargeMinor,
        transactionCount: synced.length,
        runId: ctx.runId,
        createdAt: now,
      };
    });
    const ready = invoices.filter((invoice): invoice is Invoice => invoice !== undefined);
    if (ready.length > 0) await ledger.createInvoices(ctx.clientId, ready);
    for (const invoice of ready) outcomes.set(invoice.accountId, SUCCEEDED);
    return inOrder(itemIds, outcomes);
  }
}

/** Why an account's invoice must wait: usage of its period that is not rated, or rated but not accepted by core billing. */
function holdOf(accountId: string, period: BillingPeriod, usage: readonly UsageRecord[]): ItemOutcome | undefined {
  const count = (...states: UsageState[]) => usage.filter((record) => states.includes(record.state)).length;
  const unrated = count('UNRATED', 'SUSPENDED');
  if (unrated > 0) {
    return failed(
      BILLING_ERROR_CODES.UNRATED_USAGE,
      `Account ${accountId} has ${unrated} usage record(s) of the period ${period.start}..${period.end} that are not rated (${count('SUSPENDED')} in suspense); rate them (USAGE_RATING, or SUSPENSE_REPROCESSING once the rates exist), then reprocess the run.`,
    );
  }
  const unsynced = count('RATED', 'SYNC_ERROR');
  if (unsynced > 0) {
    return failed(
      BILLING_ERROR_CODES.UNSYNCED_USAGE,
      `Account ${accountId} has ${unsynced} rated usage record(s) of the period ${period.start}..${period.end} that core billing has not accepted (${count('SYNC_ERROR')} sync errors); sync them (SYNC_TRANSACTIONS, or SYNC_ERROR_REPROCESSING once core accepts them), then reprocess the run.`,
    );
  }
  return undefined;
}
