import { JobRegistry, type JobHandler } from '../domain/job-registry';
import { JOB_TYPES, type JobType } from '../domain/model';
import { systemClock } from '../domain/system-clock';
import type { CoreBillingClient } from '../ports/core-billing';
import type { Ledger } from '../ports/ledger';
import { BillingJob } from './billing-job';
import type { BillingJobDependencies } from './ledger-job-support';
import { ReratingJob } from './rerating-job';
import { SyncTransactionsJob } from './sync-transactions-job';
import { SyntheticJob } from './synthetic-job';
import { UsageRatingJob } from './usage-rating-job';

/**
 * Every job type and how its handler is made: a new job type is its file in this folder and one
 * line here (the compiler asks for the line once its name is in JOB_TYPES, the API's list).
 */
const CATALOGUE = {
  USAGE_RATING: (deps) => new UsageRatingJob(deps, 'USAGE_RATING'),
  SYNC_TRANSACTIONS: (deps) => new SyncTransactionsJob(deps, 'SYNC_TRANSACTIONS'),
  BILLING: (deps) => new BillingJob(deps),
  SUSPENSE_REPROCESSING: (deps) => new UsageRatingJob(deps, 'SUSPENSE_REPROCESSING'),
  SYNC_ERROR_REPROCESSING: (deps) => new SyncTransactionsJob(deps, 'SYNC_ERROR_REPROCESSING'),
  RERATING: (deps) => new ReratingJob(deps),
  SYNTHETIC: () => new SyntheticJob(),
} satisfies Record<JobType, (deps: BillingJobDependencies) => JobHandler>;

/** Diagnostic job types fabricate work items: registered only where the stage allows them. */
const DIAGNOSTIC: ReadonlySet<JobType> = new Set(['SYNTHETIC']);

export interface CatalogueOptions {
  /** Whether SYNTHETIC is registered (never in production). */
  allowSynthetic: boolean;
  /**
   * What the billing jobs work on. Whatever is left out, the registry still validates every job
   * type's settings (all a function that only edits schedules needs), but a job that reaches for
   * it fails with LedgerNotConfiguredError. @default the system clock
   */
  billing?: Partial<BillingJobDependencies>;
}

/** The job types this deployment can run. */
export function createJobRegistry(options: CatalogueOptions): JobRegistry {
  const deps: BillingJobDependencies = {
    ledger: options.billing?.ledger ?? unconfigured<Ledger>('the billing ledger'),
    coreBilling: options.billing?.coreBilling ?? unconfigured<CoreBillingClient>('core billing'),
    clock: options.billing?.clock ?? systemClock,
  };
  const types = JOB_TYPES.filter((type) => options.allowSynthetic || !DIAGNOSTIC.has(type));
  return new JobRegistry(types.map((type) => CATALOGUE[type](deps)));
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
