import { z } from 'zod';
import { IsoDateSchema } from './model';

/**
 * The reference billing ledger the job catalogue works on (../shared/DESIGN.md, section 6):
 * accounts with an anniversary billing day, rate plans with dated rates, usage records that
 * become rated transactions, invoices, and rerate requests. Suspense and sync-error records are
 * usage records in the SUSPENDED and SYNC_ERROR states: one record per piece of usage, whose
 * state says which job picks it up next (see UsageState).
 *
 * Money is integer minor units (cents); unit prices are integer micro-units (1/1,000,000 of the
 * currency unit), so sub-cent prices rate exactly.
 */

/** Account, usage and rate plan ids appear in work item ids (`/`-separated) and DynamoDB keys (`#`-separated). */
export const LedgerIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'letters, digits, "_", "." and "-", 1-64 characters, starting with a letter or digit');

export const ACCOUNT_STATUSES = ['ACTIVE', 'SUSPENDED', 'CLOSED'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

export const AccountSchema = z.object({
  clientId: z.string().min(1),
  accountId: LedgerIdSchema,
  name: z.string().min(1).max(200),
  /** Day of the month the account is billed on, 1-31; in shorter months, the month's last day. */
  anniversaryDay: z.number().int().min(1).max(31),
  status: z.enum(ACCOUNT_STATUSES),
  /** The plan that rates the account's usage; its currency is the account's. */
  ratePlanId: LedgerIdSchema,
  openedOn: IsoDateSchema,
});
export type Account = z.infer<typeof AccountSchema>;

export const RateSchema = z.object({
  usageType: LedgerIdSchema,
  /** The rate applies to usage on or after this date, until a later rate of the same usage type. */
  effectiveFrom: IsoDateSchema,
  unitPriceMicros: z.number().int().min(0).max(1_000_000_000_000),
});
export type Rate = z.infer<typeof RateSchema>;

export const RatePlanSchema = z.object({
  clientId: z.string().min(1),
  ratePlanId: LedgerIdSchema,
  name: z.string().min(1).max(200),
  currency: z.string().regex(/^[A-Z]{3}$/),
  /** Charged once per billing period on top of the usage. */
  recurringChargeMinor: z.number().int().min(0),
  rates: z.array(RateSchema),
});
export type RatePlan = z.infer<typeof RatePlanSchema>;

/**
 * The life of a usage record:
 * UNRATED ─USAGE_RATING─► RATED ─SYNC_TRANSACTIONS─► SYNCED
 *    │                     ▲  │                        │
 *    └─no rate─► SUSPENDED ┘  └─core rejects─► SYNC_ERROR ─SYNC_ERROR_REPROCESSING─► SYNCED
 * A rerate moves a rated record (RATED, SYNCED, SYNC_ERROR) back to RATED with a new version,
 * which core billing receives under a new idempotency key. An operator may discard a SUSPENDED
 * or SYNC_ERROR record: DISCARDED is final, kept for the record, never rated, synced or billed.
 */
export const USAGE_STATES = ['UNRATED', 'SUSPENDED', 'RATED', 'SYNCED', 'SYNC_ERROR', 'DISCARDED'] as const;
export type UsageState = (typeof USAGE_STATES)[number];

export const RatingSchema = z.object({
  amountMinor: z.number().int(),
  unitPriceMicros: z.number().int(),
  currency: z.string(),
  /** The rate that priced it: its usage type's rate effective from this date. */
  rateEffectiveFrom: IsoDateSchema,
  ratedAt: z.string(),
  /** 1 when first rated; a rerate that changes the amount adds one. Part of the idempotency key at core billing. */
  version: z.number().int().min(1),
});
export type Rating = z.infer<typeof RatingSchema>;

export const RecordErrorSchema = z.object({ code: z.string(), message: z.string(), at: z.string() });
export type RecordError = z.infer<typeof RecordErrorSchema>;

export const UsageRecordSchema = z.object({
  clientId: z.string().min(1),
  accountId: LedgerIdSchema,
  usageDate: IsoDateSchema,
  usageId: LedgerIdSchema,
  usageType: LedgerIdSchema,
  quantity: z.number().int().min(0),
  state: z.enum(USAGE_STATES),
  /** Bumped by every write: writes are conditional on the revision read (optimistic concurrency). */
  rev: z.number().int().min(0),
  rating: RatingSchema.optional(),
  /** Why the record is in suspense (state SUSPENDED). */
  suspense: RecordErrorSchema.optional(),
  /** Core billing's answer for the rating version it accepted (state SYNCED). */
  sync: z.object({ syncedAt: z.string(), coreRef: z.string(), version: z.number().int() }).optional(),
  /** Core billing's rejection (state SYNC_ERROR). */
  syncError: RecordErrorSchema.optional(),
  /** Who discarded the record and why (state DISCARDED); its suspense or syncError stays beside it. */
  discard: z.object({ reason: z.string(), actor: z.string(), at: z.string() }).optional(),
});
export type UsageRecord = z.infer<typeof UsageRecordSchema>;

/** The states an operator may discard from: the suspense and sync-error queues. */
export const DISCARDABLE_STATES: readonly UsageState[] = ['SUSPENDED', 'SYNC_ERROR'];

export interface UsageKey {
  accountId: string;
  usageDate: string;
  usageId: string;
}

export const InvoiceSchema = z.object({
  clientId: z.string().min(1),
  accountId: LedgerIdSchema,
  /** The billing period: the month of the bill date, YYYY-MM. One invoice per account and period. */
  periodId: z.string().regex(/^\d{4}-\d{2}$/),
  invoiceId: z.string(),
  periodStart: IsoDateSchema,
  periodEnd: IsoDateSchema,
  billedOn: IsoDateSchema,
  currency: z.string(),
  recurringChargeMinor: z.number().int(),
  usageChargeMinor: z.number().int(),
  totalMinor: z.number().int(),
  transactionCount: z.number().int().min(0),
  /** The run that issued it. */
  runId: z.string(),
  createdAt: z.string(),
});
export type Invoice = z.infer<typeof InvoiceSchema>;

export const RERATE_STATUSES = ['OPEN', 'DONE', 'CANCELLED'] as const;
export type RerateStatus = (typeof RERATE_STATUSES)[number];

export const RerateRequestSchema = z.object({
  clientId: z.string().min(1),
  accountId: LedgerIdSchema,
  requestId: LedgerIdSchema,
  fromDate: IsoDateSchema,
  toDate: IsoDateSchema,
  reason: z.string().max(500),
  requestedAt: z.string(),
  /** OPEN (also when absent) until RERATING has applied it (DONE) or an operator cancelled it. */
  status: z.enum(RERATE_STATUSES).optional(),
});
export type RerateRequest = z.infer<typeof RerateRequestSchema>;

/** Work item id of a usage record (USAGE_RATING, SUSPENSE_REPROCESSING, SYNC_TRANSACTIONS, SYNC_ERROR_REPROCESSING). */
export function usageItemId(key: UsageKey): string {
  return `${key.accountId}/${key.usageDate}/${key.usageId}`;
}

/** The usage key of a work item id, or undefined when the id is not one. */
export function parseUsageItemId(itemId: string): UsageKey | undefined {
  const [accountId, usageDate, usageId, ...rest] = itemId.split('/');
  if (rest.length > 0 || !accountId || !usageDate || !usageId) return undefined;
  const key = { accountId, usageDate, usageId };
  const valid =
    LedgerIdSchema.safeParse(accountId).success && IsoDateSchema.safeParse(usageDate).success && LedgerIdSchema.safeParse(usageId).success;
  return valid ? key : undefined;
}

/** Work item id of a rerate request (RERATING). */
export function rerateItemId(accountId: string, requestId: string): string {
  return `${accountId}/${requestId}`;
}

export function parseRerateItemId(itemId: string): { accountId: string; requestId: string } | undefined {
  const [accountId, requestId, ...rest] = itemId.split('/');
  if (rest.length > 0 || !accountId || !requestId) return undefined;
  return LedgerIdSchema.safeParse(accountId).success && LedgerIdSchema.safeParse(requestId).success ? { accountId, requestId } : undefined;
}

/**
 * The key core billing dedupes a transaction by: the same rated version of the same usage record
 * is the same key, however often it is sent; a rerated version is a new key.
 */
export function idempotencyKeyOf(clientId: string, record: Pick<UsageRecord, 'accountId' | 'usageDate' | 'usageId'>, version: number): string {
  return `${clientId}:${usageItemId(record)}:v${version}`;
}
