import { periodContaining } from '../domain/billing-calendar';
import { BILLING_ERROR_CODES, failed, SUCCEEDED } from '../domain/billing-errors';
import { rateUsage } from '../domain/billing-rating';
import type { ItemOutcome, JobContext } from '../domain/job-registry';
import { parseRerateItemId, rerateItemId, usageItemId, type Account, type RatePlan, type RerateRequest, type UsageRecord } from '../domain/ledger';
import type { UsageWrite } from '../ports/ledger';
import { CONFLICT_ROUNDS, LedgerJob, type BillingJobDependencies } from './ledger-job-support';

interface Problem {
  code: string;
  message: string;
}

/**
 * RERATING works through the open rerate requests (an account and a range of usage dates, e.g.
 * after a rate was corrected): every rated transaction in the range is priced again with the
 * current rates. A changed price makes a new rating version, which SYNC_TRANSACTIONS sends to
 * core billing under a new idempotency key; an unchanged one is left alone, so a request handled
 * twice changes nothing the second time. The request is closed when every transaction in range
 * is priced as the current rates say.
 *
 * A transaction of a period that is already invoiced is not changed (TRANSACTION_INVOICED): an
 * invoice is never altered after the fact. Unrated and suspended usage is left to the rating jobs.
 */
export class ReratingJob extends LedgerJob<'RERATING'> {
  /** A request can cover many transactions: small batches keep a worker's invocation short. */
  readonly batchSize = 25;

  constructor(deps: BillingJobDependencies) {
    super(deps, 'RERATING');
  }

  collect(ctx: JobContext): AsyncIterable<string> {
    return this.collectAfter(ctx);
  }

  async *collectAfter(ctx: JobContext, afterItemId?: string): AsyncIterable<string> {
    const after = afterItemId === undefined ? undefined : parseRerateItemId(afterItemId);
    for await (const request of this.deps.ledger.rerateRequests(ctx.clientId, after)) yield rerateItemId(request.accountId, request.requestId);
  }

  async process(ctx: JobContext, itemIds: readonly string[]): Promise<ItemOutcome[]> {
    const outcomes: ItemOutcome[] = [];
    for (const itemId of itemIds) outcomes.push(await this.rerate(ctx, itemId));
    return outcomes;
  }

  private async rerate(ctx: JobContext, itemId: string): Promise<ItemOutcome> {
    const { ledger } = this.deps;
    const key = parseRerateItemId(itemId);
    if (!key) return failed(BILLING_ERROR_CODES.INVALID_ITEM_ID, `"${itemId}" is not a RERATING work item of run ${ctx.runId} (expected accountId/requestId).`);
    const request = await ledger.getRerateRequest(ctx.clientId, key.accountId, key.requestId);
    if (!request) return SUCCEEDED;
    const account = (await ledger.getAccounts(ctx.clientId, [key.accountId])).get(key.accountId);
    if (!account) {
      return failed(BILLING_ERROR_CODES.UNKNOWN_ACCOUNT, `Rerate request ${itemId} names account ${key.accountId}, which does not exist: cancel the request.`);
    }
    const plan = (await ledger.getRatePlans(ctx.clientId, [account.ratePlanId])).get(account.ratePlanId);

    for (let round = 0; round < CONFLICT_ROUNDS; round++) {
      const usage = await ledger.usageOfAccount(ctx.clientId, account.accountId, request.fromDate, request.toDate);
      const { writes, problems, rated } = await this.reprice(ctx, account, plan, usage);
      const conflicts = writes.length > 0 ? await ledger.writeUsage(ctx.clientId, writes) : new Set<string>();
      if (conflicts.size > 0) continue;
      if (problems.length > 0) return failed((problems[0] as Problem).code, summary(request, rated, problems));
      await ledger.completeRerateRequest(ctx.clientId, account.accountId, request.requestId);
      return SUCCEEDED;
    }
    return failed(
      BILLING_ERROR_CODES.LEDGER_CONFLICT,
      `Transactions of account ${account.accountId} changed ${CONFLICT_ROUNDS} times while rerate request ${request.requestId} was applied (another run works on them); reprocess the failed items once it has finished.`,
    );
  }

  private async reprice(
    ctx: JobContext,
    account: Account,
    plan: RatePlan | undefined,
    usage: readonly UsageRecord[],
  ): Promise<{ writes: UsageWrite[]; problems: Problem[]; rated: number }> {
    const now = this.deps.clock.now().toISOString();
    const rated = usage.filter((record) => record.rating && (record.state === 'RATED' || record.state === 'SYNCED' || record.state === 'SYNC_ERROR'));
    const invoiced = await this.invoicedPeriods(ctx, account, rated);
    const writes: UsageWrite[] = [];
    const problems: Problem[] = [];
    for (const record of rated) {
      const current = record.rating;
      if (!current) continue;
      const priced = rateUsage(record, account.ratePlanId, plan);
      if (!priced.ok) {
        problems.push({ code: priced.code, message: `${usageItemId(record)}: ${priced.message}` });
        continue;
      }
      const { amountMinor, unitPriceMicros, rateEffectiveFrom, currency } = priced.priced;
      const same = amountMinor === current.amountMinor && unitPriceMicros === current.unitPriceMicros && rateEffectiveFrom === current.rateEffectiveFrom && currency === current.currency;
      if (same) continue;
      const period = periodContaining(account.anniversaryDay, record.usageDate);
      if (invoiced.has(period.periodId)) {
        problems.push({
          code: BILLING_ERROR_CODES.TRANSACTION_INVOICED,
          message: `${usageItemId(record)} is on the invoice of period ${period.periodId}; an invoice is not changed after it was issued (correct it with a credit or debit note, then cancel or narrow the request).`,
        });
        continue;
      }
      const { sync: _sync, syncError: _syncError, ...rest } = record;
      writes.push({ record: { ...rest, state: 'RATED', rating: { ...priced.priced, ratedAt: now, version: current.version + 1 } }, expectedRev: record.rev });
    }
    return { writes, problems, rated: rated.length };
  }

  private async invoicedPeriods(ctx: JobContext, account: Account, records: readonly UsageRecord[]): Promise<Set<string>> {
    const periodIds = [...new Set(records.map((record) => periodContaining(account.anniversaryDay, record.usageDate).periodId))];
    const invoices = await this.deps.ledger.getInvoices(
      ctx.clientId,
      periodIds.map((periodId) => ({ accountId: account.accountId, periodId })),
    );
    return new Set([...invoices.values()].map((invoice) => invoice.periodId));
  }
}

function summary(request: RerateRequest, rated: number, problems: readonly Problem[]): string {
  const first = problems[0] as Problem;
  return `${problems.length} of ${rated} rated transaction(s) of account ${request.accountId} between ${request.fromDate} and ${request.toDate} could not be rerated; the request stays open. First: ${first.message}`;
}
