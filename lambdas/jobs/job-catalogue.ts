import { JobRegistry } from '../domain/job-registry';
import type { CoreBillingClient } from '../ports/core-billing';
import type { Ledger } from '../ports/ledger';
import { systemClock } from '../ports/clock';
import { BillingJob } from './billing-job';
import type { BillingJobDependencies } from './ledger-job-support';
import { ReratingJob } from './rerating-job';
import { SyncTransactionsJob } from './sync-transactions-job';
import { SyntheticJob } from './synthetic-job';
import { UsageRatingJob } from './usage-rating-job';

export interface CatalogueOptions {
  /** SYNTHETIC is a diagnostic job: registered only where the stage allows it (never in production). */
  allowSynthetic: boolean;
  /**
   * The ledger and core billing the billing jobs work on. Without them the registry still
   * validates every job type's settings (all a caller that only edits schedules needs), but a
   * billing job that runs fails with LedgerNotConfiguredError.
   */
  billing?: Omit<BillingJobDependencies, 'clock'> & Partial<Pick<BillingJobDependencies, 'clock'>>;
}

/** The job types this deployment can run. */
export function createJobRegistry(options: CatalogueOptions): JobRegistry {
  const deps: BillingJobDependencies = options.billing
    ? { clock: systemClock, ...options.billing }
    : { ledger: unconfigured<Ledger>('the billing ledger'), coreBilling: unconfigured<CoreBillingClient>('core billing'), clock: systemClock };
  const registry = new JobRegistry([
    new UsageRatingJob(deps, 'USAGE_RATING'),
    new SyncTransactionsJob(deps, 'SYNC_TRANSACTIONS'),
    new BillingJob(deps),
    new UsageRatingJob(deps, 'SUSPENSE_REPROCESSING'),
    new SyncTransactionsJob(deps, 'SYNC_ERROR_REPROCESSING'),
    new ReratingJob(deps),
  ]);
  if (options.allowSynthetic) registry.register(new SyntheticJob());
  return registry;
}

/** A registry built without the ledger was asked to run a billing job. */
export class LedgerNotConfiguredError extends Error {
  override readonly name = 'LedgerNotConfiguredError';
}

function unconfigured<T extends object>(what: string): T {
  return new Proxy({} as T, {
    get: (_target, property) => {
      if (property === 'then') return undefined;
      return () => {
        throw new LedgerNotConfiguredError(`this job registry was created without ${what} (settings validation only); ${String(property)} is not available`);
      };
    },
  });
}
