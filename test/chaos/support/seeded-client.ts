import { seedLedger, type LedgerSeedOptions } from '../../../lambdas/jobs/ledger-generator';
import type { LedgerAdmin } from '../../../lambdas/ports/ledger';
import { ADMIN_TOKEN } from '../../support/local-runtime';
import { chaosScale } from './scale';

/** Where a chaos scenario reaches the runtime: its HTTP API (as core billing does) and its ledger. */
export interface ChaosTarget {
  /** The runtime's base URL (LocalRuntime.url, or http://127.0.0.1:PORT of a runtime process). */
  url: string;
  /** The bearer token of the API. @default ADMIN_TOKEN of test/support/local-runtime.ts */
  token?: string;
  ledger: LedgerAdmin;
}

export interface SeededClient {
  clientId: string;
  /** The processing date to trigger: the seeded month's last day, so BILLING also bills the days past it. */
  processingDate: string;
  seed: LedgerSeedOptions;
  accounts: number;
  usage: number;
}

/** The month every chaos ledger's usage is dated in; its last day is the processing date. */
export const CHAOS_MONTH = '2026-11';
export const CHAOS_PROCESSING_DATE = '2026-11-30';

/**
 * Onboards a client over the HTTP API (which creates its daily schedule USAGE_RATING →
 * SYNC_TRANSACTIONS → BILLING) and seeds its ledger: `chaosScale.accounts` accounts unless told
 * otherwise, every usage record ratable (unratedShare 0), so that without a fault its daily run
 * on CHAOS_PROCESSING_DATE completes and every failure is the injected one's.
 */
export async function seedChaosClient(
  target: ChaosTarget,
  clientId: string,
  options: Partial<Pick<LedgerSeedOptions, 'accounts' | 'usagePerAccount' | 'seed'>> = {},
): Promise<SeededClient> {
  const onboarded = await callApi(target, 'PUT', `/v1/clients/${clientId}`, { name: `Chaos ${clientId}`, timezone: 'UTC' });
  if (onboarded.status !== 201 && onboarded.status !== 200) throw new Error(`onboarding ${clientId} answered ${onboarded.status}: ${JSON.stringify(onboarded.body)}`);
  const seed: LedgerSeedOptions = {
    clientId,
    accounts: options.accounts ?? chaosScale.accounts,
    usagePerAccount: options.usagePerAccount ?? chaosScale.usagePerAccount,
    month: CHAOS_MONTH,
    seed: options.seed ?? 11,
    unratedShare: 0,
  };
  const written = await seedLedger(target.ledger, seed);
  return { clientId, processingDate: CHAOS_PROCESSING_DATE, seed, accounts: written.accounts, usage: written.usage };
}

/** Triggers the client's daily schedule for the date, as core billing does: 202 with the new run (200 with an existing one). */
export async function triggerDaily(target: Pick<ChaosTarget, 'url' | 'token'>, clientId: string, processingDate: string): Promise<{ status: number; body: any }> {
  return callApi(target, 'POST', `/v1/clients/${clientId}/schedules/daily/runs`, { processingDate });
}

/** One call of the runtime's HTTP API; the body is parsed JSON (undefined when empty). */
export async function callApi(target: Pick<ChaosTarget, 'url' | 'token'>, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${target.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${target.token ?? ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}
