import { BILLING_ERROR_CODES } from './billing-errors';
import type { Rate, RatePlan, Rating, UsageRecord } from './ledger';

/** Minor units per currency unit (two decimals) and micro-units per minor unit. */
const MICROS_PER_MINOR = 10_000n;

export type PricedUsage = Omit<Rating, 'ratedAt' | 'version'>;
export type RatingOutcome = { ok: true; priced: PricedUsage } | { ok: false; code: string; message: string };

/**
 * The rate that prices usage of a type on a date: the one with the latest effectiveFrom on or
 * before the date. Independent of the order rates are listed in (ties: the lower price), so rating
 * is a pure function of the usage and the plan.
 */
export function applicableRate(rates: readonly Rate[], usageType: string, usageDate: string): Rate | undefined {
  let best: Rate | undefined;
  for (const rate of rates) {
    if (rate.usageType !== usageType || rate.effectiveFrom > usageDate) continue;
    if (!best || rate.effectiveFrom > best.effectiveFrom || (rate.effectiveFrom === best.effectiveFrom && rate.unitPriceMicros < best.unitPriceMicros)) {
      best = rate;
    }
  }
  return best;
}

/** quantity × unit price, in minor units, rounded half to even (banker's rounding) so totals do not drift. */
export function amountMinorOf(quantity: number, unitPriceMicros: number): number {
  const micros = BigInt(quantity) * BigInt(unitPriceMicros);
  const whole = micros / MICROS_PER_MINOR;
  const remainder = micros % MICROS_PER_MINOR;
  const twice = remainder * 2n;
  const roundUp = twice > MICROS_PER_MINOR || (twice === MICROS_PER_MINOR && whole % 2n === 1n);
  return Number(roundUp ? whole + 1n : whole);
}

/** Prices one usage record with its account's rate plan, or says why it cannot be priced. */
export function rateUsage(
  usage: Pick<UsageRecord, 'accountId' | 'usageDate' | 'usageType' | 'quantity'>,
  ratePlanId: string,
  plan: RatePlan | undefined,
): RatingOutcome {
  if (!plan) {
    return {
      ok: false,
      code: BILLING_ERROR_CODES.NO_RATE_PLAN,
      message: `Account ${usage.accountId} is on rate plan "${ratePlanId}", which does not exist: create the plan or move the account to another plan, then reprocess.`,
    };
  }
  const rate = applicableRate(plan.rates, usage.usageType, usage.usageDate);
  if (!rate) {
    return {
      ok: false,
      code: BILLING_ERROR_CODES.NO_RATE,
      message: `Rate plan "${plan.ratePlanId}" has no rate for usage type "${usage.usageType}" effective on or before ${usage.usageDate}: add one, then reprocess the failed items (the usage waits in suspense).`,
    };
  }
  return {
    ok: true,
    priced: {
      amountMinor: amountMinorOf(usage.quantity, rate.unitPriceMicros),
      unitPriceMicros: rate.unitPriceMicros,
      currency: plan.currency,
      rateEffectiveFrom: rate.effectiveFrom,
    },
  };
}
