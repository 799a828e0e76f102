import { billingPeriod, dueAnniversaryDays, isBillDate, type BillingPeriod } from '../domain/billing-calendar';
import { BILLING_ERROR_CODES, failed, SUCCEEDED } from '../domain/billing-errors';
import type { ItemOutcome, JobContext } from '../domain/job-registry';
import { LedgerIdSchema, type Account, type Invoice } from '../domain/ledger';
import { inOrder, invalidItem, LedgerJob, mapConcurrently, unique, type BillingJobDependencies } from './ledger-job-support';

/** Accounts whose period usage is read at once: bounded, so a chunk does not burst the table. */
const USAGE_READ_CONCURRENCY = 10;

/**
 * BILLING invoices the accounts whose bill date is the processing date: anniversary day = the
 * date's day, and on a month's last day also the anniversary days past it (billing-calendar.ts).
 * The invoice covers the account's recurring charge and its rated usage of the period.
 *
 * Exactly one invoice per account and period, whatever is retried, redelivered, reprocessed or run
 * again: the invoice is created with a write conditional on the account having none for the
 * period; an item that finds one succeeds without writing.
 *
 * An account with unrated usage in the period (unrated or in suspense) is not invoiced: its item
 * fails with UNRATED_USAGE, so that no invoice ever leaves usage out.
 */
export class BillingJob extends LedgerJob<'BILLING'> {
  readonly batchSize = 250;

  constructor(deps: BillingJobDependencies) {
    super(deps, 'BILLING');
  }

  async *collect(ctx: JobContext): AsyncIterable<string> {
    yield* this.deps.ledger.accountsDueOn(ctx.clientId, dueAnniversaryDays(ctx.processingDate));
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
      const unrated = usage.filter((record) => record.state === 'UNRATED' || record.state === 'SUSPENDED');
      if (unrated.length > 0) {
        const suspended = unrated.filter((record) => record.state === 'SUSPENDED').length;
        outcomes.set(
          account.accountId,
          failed(
            BILLING_ERROR_CODES.UNRATED_USAGE,
            `Account ${account.accountId} has ${unrated.length} usage record(s) of the period ${period.start}..${period.end} that are not rated (${suspended} in suspense); rate them (USAGE_RATING, or SUSPENSE_REPROCESSING once the rates exist), then reprocess BILLING.`,
          ),
        );
        return undefined;
      }
      const usageChargeMinor = usage.reduce((sum, record) => sum + (record.rating?.amountMinor ?? 0), 0);
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
        transactionCount: usage.length,
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
