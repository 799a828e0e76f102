import { daysInMonth } from '../domain/calendar-dates';
import { ValidationError } from '../domain/errors';
import type { Account, RatePlan, UsageRecord } from '../domain/ledger';
import type { LedgerAdmin } from '../ports/ledger';

/**
 * A deterministic billing ledger for a first run, the demo client, tests and the benchmark: the
 * same options always give the same accounts, plans and usage. Anniversary days are spread
 * evenly over 1-31 (account n has day n mod 31 + 1), and a share of the usage is of a type no
 * plan has a rate for (`premium-sms`), so that USAGE_RATING meets NO_RATE and an operator can
 * add the missing rate and reprocess.
 */
export interface LedgerSeedOptions {
  clientId: string;
  accounts: number;
  usagePerAccount: number;
  /** Seed of the pseudo-random quantities, dates and usage types. @default 1 */
  seed?: number;
  /** The month the usage is dated in, YYYY-MM. */
  month: string;
  /** The last day of the month usage is dated on (1-31, clamped to the month). @default the month's last day */
  lastDay?: number;
  /** Share of usage records that no plan can rate, 0..1. @default 0.02 */
  unratedShare?: number;
}

/** The usage type no seeded plan has a rate for. */
export const UNRATED_USAGE_TYPE = 'premium-sms';

const USAGE_TYPES = [
  { usageType: 'api-calls', maxQuantity: 5_000 },
  { usageType: 'storage-gb', maxQuantity: 200 },
  { usageType: 'sms', maxQuantity: 300 },
] as const;

/** The rate plans every seeded client has. */
export function seedRatePlans(clientId: string): RatePlan[] {
  return [
    {
      clientId,
      ratePlanId: 'basic',
      name: 'Basic',
      currency: 'USD',
      recurringChargeMinor: 999,
      rates: [
        { usageType: 'api-calls', effectiveFrom: '2000-01-01', unitPriceMicros: 1_000 },
        { usageType: 'storage-gb', effectiveFrom: '2000-01-01', unitPriceMicros: 23_000 },
        { usageType: 'sms', effectiveFrom: '2000-01-01', unitPriceMicros: 7_500 },
      ],
    },
    {
      clientId,
      ratePlanId: 'pro',
      name: 'Pro',
      currency: 'USD',
      recurringChargeMinor: 4_900,
      rates: [
        { usageType: 'api-calls', effectiveFrom: '2000-01-01', unitPriceMicros: 600 },
        { usageType: 'storage-gb', effectiveFrom: '2000-01-01', unitPriceMicros: 18_000 },
        { usageType: 'sms', effectiveFrom: '2000-01-01', unitPriceMicros: 5_500 },
      ],
    },
  ];
}

export function seedAccountId(index: number): string {
  return `acc-${String(index + 1).padStart(7, '0')}`;
}

/** Account number `index` (0-based) of a seeded ledger. */
export function seedAccount(options: LedgerSeedOptions, index: number): Account {
  const [year] = parseMonth(options.month);
  return {
    clientId: options.clientId,
    accountId: seedAccountId(index),
    name: `Account ${index + 1}`,
    anniversaryDay: (index % 31) + 1,
    status: 'ACTIVE',
    ratePlanId: index % 4 === 3 ? 'pro' : 'basic',
    openedOn: `${year - 1}-01-01`,
  };
}

/** The usage of account number `index`: the same records whatever else is generated. */
export function seedUsage(options: LedgerSeedOptions, index: number): UsageRecord[] {
  const [year, month] = parseMonth(options.month);
  const days = Math.min(options.lastDay ?? 31, daysInMonth(year, month));
  const random = mulberry32(hash(options.seed ?? 1, index));
  const unratedShare = options.unratedShare ?? 0.02;
  const accountId = seedAccountId(index);
  return Array.from({ length: options.usagePerAccount }, (_, k) => {
    const day = 1 + Math.floor(random() * days);
    const kind = USAGE_TYPES[Math.floor(random() * USAGE_TYPES.length)] ?? USAGE_TYPES[0];
    const unrated = random() < unratedShare;
    return {
      clientId: options.clientId,
      accountId,
      usageDate: `${options.month}-${String(day).padStart(2, '0')}`,
      usageId: `u${String(k + 1).padStart(4, '0')}`,
      usageType: unrated ? UNRATED_USAGE_TYPE : kind.usageType,
      quantity: 1 + Math.floor(random() * kind.maxQuantity),
      state: 'UNRATED',
      rev: 0,
    };
  });
}

/** Accounts written per round of the seeding. */
const SEED_CHUNK = 500;

/**
 * Writes a seeded ledger: the plans, then accounts with their usage in chunks, a few chunks at
 * once. Writing the same options again rewrites the same records (unrated again).
 */
export async function seedLedger(
  ledger: LedgerAdmin,
  options: LedgerSeedOptions,
  progress?: (accountsWritten: number, usageWritten: number) => void,
): Promise<{ accounts: number; usage: number; unrated: number }> {
  validate(options);
  for (const plan of seedRatePlans(options.clientId)) await ledger.putRatePlan(plan);
  let accounts = 0;
  let usage = 0;
  let unrated = 0;
  const chunks = Math.ceil(options.accounts / SEED_CHUNK);
  let next = 0;
  const lanes = Array.from({ length: Math.min(4, chunks) }, async () => {
    while (next < chunks) {
      const chunk = next++;
      const indexes = Array.from({ length: Math.min(SEED_CHUNK, options.accounts - chunk * SEED_CHUNK) }, (_, i) => chunk * SEED_CHUNK + i);
      const records = indexes.flatMap((index) => seedUsage(options, index));
      await ledger.putAccounts(indexes.map((index) => seedAccount(options, index)));
      await ledger.importUsage(records);
      accounts += indexes.length;
      usage += records.length;
      unrated += records.filter((record) => record.usageType === UNRATED_USAGE_TYPE).length;
      progress?.(accounts, usage);
    }
  });
  await Promise.all(lanes);
  return { accounts, usage, unrated };
}

function validate(options: LedgerSeedOptions): void {
  parseMonth(options.month);
  if (!Number.isInteger(options.accounts) || options.accounts < 0 || options.accounts > 9_999_999) {
    throw new ValidationError('accounts must be a whole number 0..9,999,999');
  }
  if (!Number.isInteger(options.usagePerAccount) || options.usagePerAccount < 0 || options.usagePerAccount > 9_999) {
    throw new ValidationError('usage per account must be a whole number 0..9,999');
  }
  if (options.lastDay !== undefined && !(Number.isInteger(options.lastDay) && options.lastDay >= 1 && options.lastDay <= 31)) {
    throw new ValidationError('the last usage day must be a whole number 1..31');
  }
  const share = options.unratedShare ?? 0.02;
  if (!(share >= 0 && share <= 1)) throw new ValidationError('the unrated share must be between 0 and 1');
}

function parseMonth(month: string): [number, number] {
  const match = /^(\d{4})-(\d{2})$/.exec(month);
  const [year, monthNumber] = [Number(match?.[1]), Number(match?.[2])];
  if (!match || monthNumber < 1 || monthNumber > 12) throw new ValidationError(`${month} is not a month (YYYY-MM)`);
  return [year, monthNumber];
}

/** A small, fast, seedable PRNG (Mulberry32): the same seed gives the same sequence everywhere. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function hash(seed: number, index: number): number {
  return Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35);
}
