import type { ItemOutcome } from './job-registry';

/**
 * The error codes a billing work item fails with. They are part of the product's contract with
 * operators (the failed-items list shows them, runbooks key on them): stable, never reworded.
 * Core billing's own codes pass through unchanged on SYNC_TRANSACTIONS items it rejects.
 */
export const BILLING_ERROR_CODES = {
  /** The work item id is not of the form the job collects (a bug or a hand-made item list). */
  INVALID_ITEM_ID: 'INVALID_ITEM_ID',
  /** The usage record behind the item no longer exists. */
  USAGE_NOT_FOUND: 'USAGE_NOT_FOUND',
  /** The account named by the usage or the billing item does not exist. */
  UNKNOWN_ACCOUNT: 'UNKNOWN_ACCOUNT',
  /** The account's rate plan does not exist. */
  NO_RATE_PLAN: 'NO_RATE_PLAN',
  /** The rate plan has no rate for the usage type on the usage date: the usage is in suspense. */
  NO_RATE: 'NO_RATE',
  /** A transaction to sync is not rated yet. */
  NOT_RATED: 'NOT_RATED',
  /** Billing would leave out usage of the period that is not rated (unrated or in suspense). */
  UNRATED_USAGE: 'UNRATED_USAGE',
  /** Billing would invoice rated usage of the period that core billing has not accepted (not synced yet, or a sync error). */
  UNSYNCED_USAGE: 'UNSYNCED_USAGE',
  /** Core billing answered 5xx, 429 or nothing (timeout, connection) on every attempt. */
  CORE_UNAVAILABLE: 'CORE_UNAVAILABLE',
  /** Core billing refused the request as a whole (4xx: credentials, permissions, format). */
  CORE_REQUEST_REFUSED: 'CORE_REQUEST_REFUSED',
  /** Core billing's answer left this transaction out. */
  CORE_NO_ANSWER: 'CORE_NO_ANSWER',
  /** The record kept changing under this item (another run works on it): reprocess later. */
  LEDGER_CONFLICT: 'LEDGER_CONFLICT',
  /** A rerate would change a transaction of a period that is already invoiced. */
  TRANSACTION_INVOICED: 'TRANSACTION_INVOICED',
} as const;

export function failed(code: string, message: string): ItemOutcome {
  return { ok: false, error: { code, message } };
}

export const SUCCEEDED: ItemOutcome = { ok: true };
