import { JobRegistry } from '../job-registry';
import { JOB_TYPES } from '../model';
import { AwaitingCatalogueJob } from './awaiting-catalogue-job';
import { SyntheticJob } from './synthetic-job';

export interface CatalogueOptions {
  /** SYNTHETIC is a diagnostic job: registered only where the stage allows it (never in production). */
  allowSynthetic: boolean;
}

/** The job types this deployment can run. */
export function createJobRegistry(options: CatalogueOptions): JobRegistry {
  const registry = new JobRegistry();
  for (const type of JOB_TYPES) {
    if (type !== 'SYNTHETIC') registry.register(new AwaitingCatalogueJob(type));
  }
  if (options.allowSynthetic) registry.register(new SyntheticJob());
  return registry;
}
