import { z } from 'zod';
import {
  ACCOUNT_STATUSES,
  AccountSchema,
  InvoiceSchema,
  LedgerIdSchema,
  RatePlanSchema,
  RERATE_STATUSES,
  RerateRequestSchema,
  USAGE_STATES,
  UsageRecordSchema,
} from '../domain/ledger';
import { ClientIdSchema, PROCESSING_DATES, ProcessingDateSchema } from '../domain/model';
import { MAX_USAGE_PER_TRANSACTION } from '../ports/ledger';
import { CountSchema, decimalIntegerSchema, requestComponent, responseComponent } from './schemas';

/**
 * The ledger API's request and response schemas (shared/API.md, "The ledger"). Dates are in the
 * processing-date range, money is integers (minor units; unit prices in micros), and ids are the
 * ledger's own alphabet, so every record the API accepts is one the billing jobs can work on.
 */

const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));
const CurrencySchema = z
  .string()
  .regex(/^[A-Z]{3}$/, 'an ISO 4217 currency code such as USD')
  .refine((code) => CURRENCIES.has(code), 'an ISO 4217 currency code such as USD');
/** Money in minor units: an integer JavaScript and JSON both keep exactly. */
const MinorUnitsSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const NameSchema = z.string().trim().min(1).max(200);
const ReasonSchema = z.string().trim().min(1).max(500);
/** Rates a plan may list: its PUT is one transaction of at most 100 writes, old rates included. */
const MAX_RATES = 40;

const PageQuerySchema = z.object({
  limit: decimalIntegerSchema(1, 1000).default(100).describe('Items per page, 1..1000, in decimal digits.'),
  nextToken: z.string().min(1).max(4096).optional().describe('The nextToken of the previous page.'),
});

function pageOf<T extends z.ZodType>(id: string, item: T) {
  return responseComponent(
    id,
    z.object({ items: z.array(item), nextToken: z.string().optional().describe('Pass as nextToken for the next page; absent on the last page.') }),
  );
}

// ---------------------------------------------------------------------------------------------
// Path, query and header parameters

const LedgerPath = z.object({ clientId: ClientIdSchema });
export const LedgerPathSchema = LedgerPath;
export const RatePlanPathSchema = LedgerPath.extend({ ratePlanId: LedgerIdSchema });
export const AccountPathSchema = LedgerPath.extend({ accountId: LedgerIdSchema });
export const RerateRequestPathSchema = LedgerPath.extend({ accountId: LedgerIdSchema, requestId: LedgerIdSchema });

export const LedgerPageQuerySchema = PageQuerySchema;
export const UsageQuerySchema = PageQuerySchema.extend({
  state: z.enum(USAGE_STATES).describe('The queue: SUSPENDED is the suspense queue, SYNC_ERROR the sync-error queue.'),
  accountId: LedgerIdSchema.optional().describe('Only this account’s records.'),
});
export const RerateListQuerySchema = PageQuerySchema.extend({ status: z.enum(RERATE_STATUSES).optional().describe('Only requests in this status.') });
export const InvoiceQuerySchema = PageQuerySchema.extend({
  accountId: LedgerIdSchema.optional().describe('Only this account’s invoices.'),
  periodId: z
    .string()
    .regex(/^20\d{2}-(0[1-9]|1[0-2])$/, `a billing period YYYY-MM from ${PROCESSING_DATES.first.slice(0, 7)} to ${PROCESSING_DATES.last.slice(0, 7)}`)
    .optional()
    .describe('Only invoices of this billing period.'),
});

/** Optional on a rate plan PUT: absent creates the plan (428 if it exists), present replaces that version. */
export const RatePlanIfMatchSchema = z.object({
  'If-Match': z.string().optional().describe('The version of the rate plan the change is based on (its ETag); required to replace an existing plan, absent to create one.'),
});

// ---------------------------------------------------------------------------------------------
// Request bodies

export const RatePlanBodySchema = requestComponent(
  'RatePlanInput',
  z
    .object({
      name: NameSchema,
      currency: CurrencySchema,
      recurringChargeMinor: MinorUnitsSchema.describe('Charged once per billing period, in minor units (cents).'),
      rates: z
        .array(
          z
            .object({
              usageType: LedgerIdSchema,
              effectiveFrom: ProcessingDateSchema.describe('The rate applies to usage on or after this date, until a later rate of the same usage type.'),
              unitPriceMicros: z.number().int().min(0).max(1_000_000_000_000).describe('Price of one unit in millionths of the currency unit.'),
            })
            .strict(),
        )
        .max(MAX_RATES),
    })
    .strict(),
  'A rate plan, whole: rates not listed are removed.',
);

export const AccountBodySchema = requestComponent(
  'AccountInput',
  z
    .object({
      name: NameSchema,
      anniversaryDay: z.number().int().min(1).max(31).describe('Day of the month the account is billed on; in shorter months, the month’s last day.'),
      status: z.enum(ACCOUNT_STATUSES),
      ratePlanId: LedgerIdSchema.describe('An existing rate plan of the client.'),
      openedOn: ProcessingDateSchema,
    })
    .strict(),
);

const UsageKeyShape = { accountId: LedgerIdSchema, usageDate: ProcessingDateSchema, usageId: LedgerIdSchema };

export const UsageImportBodySchema = requestComponent(
  'UsageImportInput',
  z
    .object({
      records: z
        .array(
          z
            .object({ ...UsageKeyShape, usageType: LedgerIdSchema, quantity: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER) })
            .strict(),
        )
        .min(1)
        .max(1000),
    })
    .strict(),
  'Usage records, 1..1000, idempotent by (accountId, usageDate, usageId).',
);

export const DiscardBodySchema = requestComponent(
  'UsageDiscardInput',
  z
    .object({
      keys: z.array(z.object(UsageKeyShape).strict()).min(1).max(MAX_USAGE_PER_TRANSACTION),
      reason: ReasonSchema,
    })
    .strict(),
  `SUSPENDED or SYNC_ERROR records to discard, 1..${MAX_USAGE_PER_TRANSACTION}, all or none.`,
);

export const RerateBodySchema = requestComponent(
  'RerateRequestInput',
  z
    .object({ accountId: LedgerIdSchema, requestId: LedgerIdSchema, fromDate: ProcessingDateSchema, toDate: ProcessingDateSchema, reason: ReasonSchema })
    .strict()
    .refine((body) => body.fromDate <= body.toDate, { message: 'on or after fromDate', path: ['toDate'] }),
);

// ---------------------------------------------------------------------------------------------
// Responses

export const RatePlanViewSchema = responseComponent('RatePlan', RatePlanSchema.extend({ version: z.number().int().min(1).describe('Send it back in If-Match to replace the plan.') }));
export const RatePlanListSchema = pageOf('RatePlanPage', RatePlanViewSchema);
export const AccountViewSchema = responseComponent('Account', AccountSchema);
export const AccountListSchema = pageOf('AccountPage', AccountViewSchema);
export const UsageImportResultSchema = responseComponent('UsageImportResult', z.object({ accepted: CountSchema, duplicates: CountSchema }));
export const UsagePageSchema = pageOf('UsagePage', responseComponent('UsageRecord', UsageRecordSchema, 'A usage record; `suspense` or `syncError` says why it is in that queue.'));
export const DiscardResultSchema = responseComponent('UsageDiscardResult', z.object({ discarded: CountSchema }));
export const RerateViewSchema = responseComponent('RerateRequest', RerateRequestSchema);
export const RerateListSchema = pageOf('RerateRequestPage', RerateViewSchema);
export const InvoicePageSchema = pageOf('InvoicePage', responseComponent('Invoice', InvoiceSchema));
