import {
  CoreBillingUnavailableError,
  type CoreBillingClient,
  type CoreTransaction,
  type CoreTransactionResult,
} from '../../../lambdas/ports/core-billing';

/** What one call does: answer, fail before core stores anything, or store and then lose the answer (a timeout). */
export type CoreFault = 'none' | 'unavailable' | 'lost-answer';

/**
 * Core billing's contract in memory: dedupes by idempotency key, stores nothing for a rejection,
 * and keeps what it received and what it stored, so a test can tell "sent twice" from "stored twice".
 */
export class FakeCoreBilling implements CoreBillingClient {
  /** What core stored, by idempotency key (a duplicate key stores nothing). */
  readonly stored = new Map<string, CoreTransaction>();
  readonly received: CoreTransaction[] = [];
  readonly rejectAccounts = new Map<string, string>();
  /** Faults for the next calls, in order; then 'none'. */
  faults: CoreFault[] = [];

  async sendTransactions(_clientId: string, transactions: readonly CoreTransaction[]): Promise<CoreTransactionResult[]> {
    const fault = this.faults.shift() ?? 'none';
    if (fault === 'unavailable') throw new CoreBillingUnavailableError('core billing answered 503 on every attempt');
    this.received.push(...transactions);
    const results = transactions.map((transaction): CoreTransactionResult => {
      const code = this.rejectAccounts.get(transaction.accountId);
      if (code && !this.stored.has(transaction.idempotencyKey)) {
        return { idempotencyKey: transaction.idempotencyKey, status: 'REJECTED', code, message: `rejected by the fake: ${code}` };
      }
      if (!this.stored.has(transaction.idempotencyKey)) this.stored.set(transaction.idempotencyKey, transaction);
      return { idempotencyKey: transaction.idempotencyKey, status: 'ACCEPTED', coreRef: `ref-${transaction.idempotencyKey}` };
    });
    if (fault === 'lost-answer') throw new CoreBillingUnavailableError('no answer within 5000 ms');
    return results;
  }
}
