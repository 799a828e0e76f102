import { BILLING_ERROR_CODES, failed, SUCCEEDED } from '../domain/billing-errors';
import type { ItemOutcome, JobContext } from '../domain/job-registry';
import { idempotencyKeyOf, type Rating, type UsageRecord } from '../domain/ledger';
import { CoreBillingRefusedError, CoreBillingUnavailableError, type CoreTransaction, type CoreTransactionResult } from '../ports/core-billing';
import type { UsageWrite } from '../ports/ledger';
import { UsageQueueJob, type UsageItem } from './ledger-job-support';

/**
 * SYNC_TRANSACTIONS sends rated transactions dated up to the processing date to core billing,
 * one HTTP request per chunk of items, each transaction under its idempotency key (usage record +
 * rating version). Accepted: the record is SYNCED. Rejected: the record becomes a sync error and
 * its item fails with core's own code and message.
 *
 * SYNC_ERROR_REPROCESSING sends the sync errors again once their cause is fixed at core billing.
 *
 * A worker that dies after core accepted but before the ledger recorded it leaves the record
 * RATED; the item is offered again and sent again under the same key, which core answers as
 * accepted without storing it twice. So every rated version reaches core exactly once.
 */
export class SyncTransactionsJob extends UsageQueueJob<'SYNC_TRANSACTIONS' | 'SYNC_ERROR_REPROCESSING'> {
  protected readonly queues = { SYNC_TRANSACTIONS: 'UNSYNCED', SYNC_ERROR_REPROCESSING: 'SYNC_ERROR' } as const;

  protected async decide(ctx: JobContext, pending: readonly UsageItem[], outcomes: Map<string, ItemOutcome>): Promise<Set<string>> {
    const { ledger, coreBilling, clock } = this.deps;
    const records = await ledger.getUsage(ctx.clientId, pending.map((item) => item.key));
    const toSend: Array<{ itemId: string; record: UsageRecord; transaction: CoreTransaction }> = [];
    for (const { itemId } of pending) {
      const record = records.get(itemId);
      if (!record) {
        outcomes.set(itemId, failed(BILLING_ERROR_CODES.USAGE_NOT_FOUND, `Transaction ${itemId} does not exist (deleted after it was collected); nothing to sync.`));
      } else if (record.state === 'SYNCED' || record.state === 'DISCARDED') {
        // A discarded record is never synced: its failed item is resolved.
        outcomes.set(itemId, SUCCEEDED);
      } else if (!record.rating || record.state === 'UNRATED' || record.state === 'SUSPENDED') {
        outcomes.set(
          itemId,
          failed(BILLING_ERROR_CODES.NOT_RATED, `Usage ${itemId} is ${record.state}, not rated: rate it (USAGE_RATING or SUSPENSE_REPROCESSING) before it is synced.`),
        );
      } else {
        toSend.push({ itemId, record, transaction: transactionOf(ctx.clientId, itemId, record, record.rating) });
      }
    }
    if (toSend.length === 0) return new Set();

    let results: CoreTransactionResult[];
    try {
      results = await coreBilling.sendTransactions(
        ctx.clientId,
        toSend.map((entry) => entry.transaction),
      );
    } catch (error) {
      const outcome = coreFailure(error);
      for (const { itemId } of toSend) outcomes.set(itemId, outcome);
      return new Set();
    }

    const byKey = new Map(results.map((result) => [result.idempotencyKey, result]));
    const now = clock.now().toISOString();
    const writes: UsageWrite[] = [];
    for (const { itemId, record, transaction } of toSend) {
      const result = byKey.get(transaction.idempotencyKey);
      const { syncError: _syncError, sync: _sync, ...rest } = record;
      if (!result) {
        outcomes.set(
          itemId,
          failed(BILLING_ERROR_CODES.CORE_NO_ANSWER, `Core billing's answer did not mention transaction ${itemId} (key ${transaction.idempotencyKey}); reprocess the failed items to send it again.`),
        );
      } else if (result.status === 'ACCEPTED') {
        writes.push({ record: { ...rest, state: 'SYNCED', sync: { syncedAt: now, coreRef: result.coreRef, version: transaction.version } }, expectedRev: record.rev });
        outcomes.set(itemId, SUCCEEDED);
      } else {
        const message = `Core billing rejected transaction ${itemId} (version ${transaction.version}): ${result.message}. Fix the cause at core billing, then reprocess the failed items (or run SYNC_ERROR_REPROCESSING).`;
        outcomes.set(itemId, failed(result.code, message));
        const unchanged = record.state === 'SYNC_ERROR' && record.syncError?.code === result.code && record.syncError.message === result.message;
        if (!unchanged) writes.push({ record: { ...rest, state: 'SYNC_ERROR', syncError: { code: result.code, message: result.message, at: now } }, expectedRev: record.rev });
      }
    }
    return writes.length > 0 ? ledger.writeUsage(ctx.clientId, writes) : new Set();
  }
}

function transactionOf(clientId: string, itemId: string, record: UsageRecord, rating: Rating): CoreTransaction {
  return {
    idempotencyKey: idempotencyKeyOf(clientId, record, rating.version),
    transactionId: itemId,
    accountId: record.accountId,
    usageDate: record.usageDate,
    usageType: record.usageType,
    quantity: record.quantity,
    amountMinor: rating.amountMinor,
    currency: rating.currency,
    version: rating.version,
  };
}

function coreFailure(error: unknown): ItemOutcome {
  if (error instanceof CoreBillingUnavailableError) {
    return failed(BILLING_ERROR_CODES.CORE_UNAVAILABLE, `${error.message}. Nothing was recorded as synced; reprocess the failed items once core billing answers again.`);
  }
  if (error instanceof CoreBillingRefusedError) {
    return failed(BILLING_ERROR_CODES.CORE_REQUEST_REFUSED, `${error.message}. Check the core billing endpoint and credentials of this stage, then reprocess the failed items.`);
  }
  throw error;
}
