import { DomainError } from '../domain/errors';

/**
 * Core billing's side of SYNC_TRANSACTIONS: an external HTTP system that receives rated
 * transactions. The contract (docs/architecture.md, "Core billing"): a batch of transactions per
 * request, each with an idempotency key; core answers per transaction, ACCEPTED (also when it had
 * already accepted that key: nothing happens twice) or REJECTED with its own code and message
 * (nothing is stored, so the same key may be sent again once the cause is fixed).
 */
export interface CoreTransaction {
  idempotencyKey: string;
  /** The usage record's work item id: account/usage date/usage id. */
  transactionId: string;
  accountId: string;
  usageDate: string;
  usageType: string;
  quantity: number;
  amountMinor: number;
  currency: string;
  /** The rating version; a later version of the same transaction supersedes an earlier one. */
  version: number;
}

export type CoreTransactionResult =
  | { idempotencyKey: string; status: 'ACCEPTED'; coreRef: string }
  | { idempotencyKey: string; status: 'REJECTED'; code: string; message: string };

export interface CoreBillingClient {
  /**
   * Sends one batch. Retries 5xx, 429, timeouts and connection failures with backoff; throws
   * CoreBillingUnavailableError when every attempt failed that way, CoreBillingRefusedError
   * when core refuses the request as a whole (4xx).
   */
  sendTransactions(clientId: string, transactions: readonly CoreTransaction[]): Promise<CoreTransactionResult[]>;
}

/** Core billing could not be reached or kept failing: the same request may be sent again later. */
export class CoreBillingUnavailableError extends DomainError {
  readonly code = 'CORE_UNAVAILABLE';
}

/** Core billing refused the request as a whole (credentials, permissions, format): sending it again will not help. */
export class CoreBillingRefusedError extends DomainError {
  readonly code = 'CORE_REQUEST_REFUSED';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}
