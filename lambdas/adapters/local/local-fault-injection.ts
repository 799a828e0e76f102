import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { JobRegistry, type JobHandler } from '../../domain/job-registry';
import { JOB_TYPES } from '../../domain/model';
import { injectDynamoThrottling, type DynamoThrottling, type DynamoThrottlingOptions } from './dynamo-throttling';

/** Faults the chaos suite injects into a local runtime. */
export interface LocalFaults {
  /** Wraps every job type's handler, e.g. to fail some items. */
  jobs?: (handler: JobHandler) => JobHandler;
  /** Throttles a share of the runtime's DynamoDB requests as the SDK surfaces throttling. */
  dynamoThrottling?: DynamoThrottlingOptions;
}

/** The switches of the injected faults that have one. */
export interface FaultSwitches {
  dynamoThrottling?: DynamoThrottling;
}

/** Installs the store faults on the client every store shares. */
export function injectStoreFaults(client: DynamoDBClient, faults: LocalFaults = {}): FaultSwitches {
  return faults.dynamoThrottling ? { dynamoThrottling: injectDynamoThrottling(client, faults.dynamoThrottling) } : {};
}

/** The same job types, each handler wrapped by the job fault (the registry itself without one). */
export function injectJobFaults(registry: JobRegistry, faults: LocalFaults = {}): JobRegistry {
  const decorate = faults.jobs;
  if (!decorate) return registry;
  return new JobRegistry(JOB_TYPES.filter((type) => registry.has(type)).map((type) => decorate(registry.get(type))));
}
