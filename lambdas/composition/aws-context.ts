import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoConfigStore } from '../adapters/aws/dynamo-config-store';
import { DynamoLedger } from '../adapters/aws/dynamo-ledger';
import { HttpCoreBilling } from '../adapters/aws/http-core-billing';
import { SecretsManagerCredentials } from '../adapters/aws/secrets-manager-credentials';
import { DynamoRunStore } from '../adapters/aws/dynamo-run-store';
import { DynamoScheduleCursorStore } from '../adapters/aws/dynamo-schedule-cursor-store';
import { EventBridgeSchedulerTrigger } from '../adapters/aws/eventbridge-scheduler-trigger';
import { SfnOrchestrator, SfnTaskCallbacks } from '../adapters/aws/sfn-orchestrator';
import { createJobRegistry } from '../jobs/job-catalogue';
import { systemClock } from '../ports/clock';
import type { CoreBillingClient } from '../ports/core-billing';
import type { Orchestrator } from '../ports/orchestrator';
import type { ScheduleTrigger } from '../ports/schedule-trigger';
import { IamAuthorizer } from '../api/auth';
import { createApi, type ApiHandler } from '../api/router';
import { ScheduleService } from '../services/schedule-service';
import { AwsEnvironmentSchema, ENV } from './environment';
import { createEngine, DEFAULT_STEP_SETTINGS, DEFAULT_WORKER_SETTINGS, type Engine } from './engine';

/**
 * The AWS composition root: built once per Lambda container (module scope), from the
 * environment the CDK stack sets. Handlers stay one line: they call into what this returns.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'job-schedule-manager' });

export interface AwsContext extends Engine {
  config: DynamoConfigStore;
  registry: ReturnType<typeof createJobRegistry>;
  orchestrator: Orchestrator;
}

let context: AwsContext | undefined;

export function awsContext(): AwsContext {
  if (context) return context;
  const env = AwsEnvironmentSchema.parse(process.env);
  const document = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
  const sfn = new SFNClient({});
  const runs = new DynamoRunStore(document, env[ENV.runsTable], { outcomeRetentionDays: env[ENV.outcomeRetentionDays] });
  const config = new DynamoConfigStore(document, env[ENV.configTable]);
  const coreBillingUrl = env[ENV.coreBillingUrl];
  const coreBillingSecretId = env[ENV.coreBillingSecretId];
  // Only the worker syncs transactions, so only the worker has core billing's URL and secret.
  const coreBilling: CoreBillingClient =
    coreBillingUrl && coreBillingSecretId
      ? new HttpCoreBilling({ endpoint: coreBillingUrl, credentials: new SecretsManagerCredentials(new SecretsManagerClient({}), coreBillingSecretId) })
      : { sendTransactions: () => Promise.reject(new Error(`${ENV.coreBillingUrl} and ${ENV.coreBillingSecretId} are not set for this function`)) };
  const registry = createJobRegistry({
    allowSynthetic: env[ENV.allowSynthetic] === 'true',
    billing: { ledger: new DynamoLedger(document, env[ENV.ledgerTable]), coreBilling, clock: systemClock },
  });
  const stateMachineArn = env[ENV.stateMachineArn];
  const orchestrator: Orchestrator = stateMachineArn
    ? new SfnOrchestrator(sfn, stateMachineArn)
    : {
        startExecution: () => Promise.reject(new Error(`${ENV.stateMachineArn} is not set for this function`)),
        stopExecution: () => Promise.reject(new Error(`${ENV.stateMachineArn} is not set for this function`)),
        describeExecution: () => Promise.reject(new Error(`${ENV.stateMachineArn} is not set for this function`)),
      };
  const groupName = env[ENV.scheduleGroup];
  const roleArn = env[ENV.schedulerRoleArn];
  const deadLetterQueueArn = env[ENV.schedulerDeadLetterQueueArn];
  const notArming = (): Promise<never> => Promise.reject(new Error(`${ENV.scheduleGroup} and the scheduler settings are not set for this function`));
  const trigger: ScheduleTrigger =
    stateMachineArn && groupName && roleArn && deadLetterQueueArn
      ? new EventBridgeSchedulerTrigger(new SchedulerClient({}), { groupName, stateMachineArn, roleArn, deadLetterQueueArn })
      : { arm: notArming, disarm: notArming, armedAt: notArming };
  const engine = createEngine({
    trigger,
    cursors: new DynamoScheduleCursorStore(document, env[ENV.runsTable]),
    runs,
    config,
    registry,
    orchestrator,
    callbacks: new SfnTaskCallbacks(sfn),
    clock: systemClock,
    logger,
    steps: {
      maxConcurrency: Number(process.env.MAP_MAX_CONCURRENCY ?? DEFAULT_STEP_SETTINGS.maxConcurrency),
      batchTimeoutSeconds: Number(process.env.BATCH_TIMEOUT_SECONDS ?? DEFAULT_STEP_SETTINGS.batchTimeoutSeconds),
    },
    worker: DEFAULT_WORKER_SETTINGS,
  });
  context = { ...engine, config, registry, orchestrator };
  return context;
}

let api: ApiHandler | undefined;

/** The API Gateway handler: the routes of lambdas/api over the AWS composition, IAM principals mapped to clients. */
export function awsApi(): ApiHandler {
  if (api) return api;
  const ctx = awsContext();
  api = createApi({
    schedules: new ScheduleService({ store: ctx.config, registry: ctx.registry, clock: systemClock, scheduling: ctx.scheduling }),
    runs: ctx.runs,
    authorizer: new IamAuthorizer(ctx.config),
    logger,
  });
  return api;
}

/**
 * Wraps a handler so that its errors reach Step Functions with the domain error's name (the
 * ASL's Retry and the run's error show it) and are logged once with the step's name.
 */
export function loggedHandler<E, R>(step: string, fn: (event: E) => Promise<R>): (event: E) => Promise<R> {
  return async (event: E) => {
    try {
      return await fn(event);
    } catch (error) {
      logger.error(`${step} failed`, { error: error as Error });
      throw error;
    }
  };
}
