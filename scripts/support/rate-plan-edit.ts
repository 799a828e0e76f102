import { ApiError, type Api } from './api-client';

export interface RateInput {
  usageType: string;
  effectiveFrom: string;
  unitPriceMicros: number;
}

/**
 * Adds a rate to a plan, or replaces the plan's rate of that usage type from that date: read,
 * change, write with If-Match. A plan someone else changed in between (412) is read and
 * changed once more, so their change is kept, not overwritten.
 */
export async function putRate(api: Api, clientId: string, ratePlanId: string, rate: RateInput): Promise<{ version: number }> {
  const path = `/v1/clients/${encodeURIComponent(clientId)}/ledger/rate-plans/${encodeURIComponent(ratePlanId)}`;
  for (let attempt = 1; ; attempt++) {
    const { body: plan } = await api.request('GET', path);
    const rates = [...plan.rates.filter((r: RateInput) => r.usageType !== rate.usageType || r.effectiveFrom !== rate.effectiveFrom), rate];
    const body = { name: plan.name, currency: plan.currency, recurringChargeMinor: plan.recurringChargeMinor, rates };
    try {
      const { body: saved } = await api.request('PUT', path, body, { headers: { 'if-match': `"${plan.version}"` } });
      return { version: saved.version };
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 412) || attempt > 1) throw error;
    }
  }
}
