import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DnsUrlPolicy } from '../adapters/aws/dns-url-policy';
import { DynamoNotificationStore } from '../adapters/aws/dynamo-notification-store';
import { SecretsManagerSecretSealer } from '../adapters/aws/secrets-manager-secret-sealer';
import { NotificationService } from '../services/notification-service';
import { DynamoRunEventOutbox } from '../adapters/aws/dynamo-run-events';
import { HttpWebhookSender } from '../adapters/aws/http-webhook-sender';
import { PowertoolsNotificationMetrics } from '../adapters/aws/powertools-notification-metrics';
import { SqsDeliveryQueue, SqsEventPublisher } from '../adapters/aws/sqs-notification-queues';
import { NotificationDispatchService } from '../services/notification-dispatch-service';
import { WebhookDeliveryService } from '../services/webhook-delivery-service';
import { NotificationDispatchEnvironment, WebhookDeliveryEnvironment } from './environment';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoBackfillStore } from '../adapters/aws/dynamo-backfill-store';
import { DynamoConfigStore } from '../adapters/aws/dynamo-config-store';
import { DynamoLedgerLock } from '../adapters/aws/dynamo-ledger-lock';
import { DynamoLedger } from '../adapters/aws/dynamo-ledger';
import { DynamoLedgerMaintenance } from '../adapters/aws/dynamo-ledger-maintenance';
import { DynamoRunStore } from '../adapters/aws/dynamo-run-store';
import { DynamoScheduleCursorStore } from '../adapters/aws/dynamo-schedule-cursor-store';
import { EventBridgeSchedulerTrigger } from '../adapters/aws/eventbridge-scheduler-trigger';
import { HttpCoreBilling } from '../adapters/aws/http-core-billing';
import { PowertoolsRunMetrics } from '../adapters/aws/powertools-run-metrics';
import { SecretsManagerCredentials } from '../adapters/aws/secrets-manager-credentials';
import { SfnOrchestrator, SfnTaskCallbacks } from '../adapters/aws/sfn-orchestrator';
import { SqsWorkQueue } from '../adapters/aws/sqs-work-queue';
import { createDynamoClient, toDocumentClient } from '../adapters/aws/dynamo-toolkit';
import { DynamoAuditLog } from '../adapters/aws/dynamo-audit-log';
import { IamAuthorizer } from '../api/auth';
import { createApi, type ApiHandler } from '../api/router';
import { createJobRegistry } from '../jobs/job-catalogue';
import { systemClock } from '../domain/system-clock';
import { BackfillService } from '../services/backfill-service';
import { ExecutionStatusService } from '../services/execution-status-service';
import { JobStartService } from '../services/job-start-service';
import { LedgerService } from '../services/ledger-service';
import { ReconcileService } from '../services/reconcile-service';
import { DEFAULT_RUN_READ_CACHE } from '../services/run-read-cache';
import { RunService } from '../services/run-service';
import { ScheduleConfigService } from '../services/schedule-config-service';
import { ScheduleFiringService } from '../services/schedule-firing-service';
import { StepService } from '../services/steps/step-service';
import { WorkerService } from '../services/worker-service';
import { DEFAULT_STEP_SETTINGS, DEFAULT_WORKER_SETTINGS, RECONCILE_START_GRACE_MS } from './engine';
import { ENV } from './env-names';
import {
  ApiEnvironment,
  BeginRunEnvironment,
  ExecutionStatusEnvironment,
  JobStepEnvironment,
  loadEnvironment,
  ReconcileEnvironment,
  WorkerEnvironment,
  type BaseEnvironment,
  type SchedulerEnvironment,
} from './environment';
import { logger, metrics, tracer } from './observability';

/**
 * The AWS composition root, one function per Lambda: each reads its own environment schema and
 * builds only what its handler calls. Handlers call these once, at module scope (cold start).
 * Every AWS SDK client is traced: a subsegment per call when X-Ray is on.
 */
const clock = systemClock;
const runMetrics = new PowertoolsRunMetrics(metrics);

function tables(env: BaseEnvironment) {
  const document = toDocumentClient(tracer.captureAWSv3Client(createDynamoClient()));
  return {
    document,
    runs: new DynamoRunStore(document, env[ENV.runsTable], { outcomeRetentionDays: env[ENV.outcomeRetentionDays] }),
    config: new DynamoConfigStore(document, env[ENV.configTable]),
  };
}

/** The API, BeginRun and the reconciler start executions and arm EventBridge Scheduler triggers. */
function scheduler(env: SchedulerEnvironment, { document, runs, config }: ReturnType<typeof tables>) {
  const registry = createJobRegistry({ allowSynthetic: env[ENV.allowSynthetic] });
  const orchestrator = new SfnOrchestrator(tracer.captureAWSv3Client(new SFNClient({})), env[ENV.stateMachineArn]);
  const trigger = new EventBridgeSchedulerTrigger(tracer.captureAWSv3Client(new SchedulerClient({})), {
    groupName: env[ENV.scheduleGroup],
    stateMachineArn: env[ENV.stateMachineArn],
    roleArn: env[ENV.schedulerRoleArn],
    deadLetterQueueArn: env[ENV.schedulerDeadLetterQueueArn],
  });
  const cursors = new DynamoScheduleCursorStore(document, env[ENV.runsTable]);
  const scheduling = new ScheduleFiringService({ trigger, cursors, config, runs, registry, orchestrator, clock, logger });
  return { registry, orchestrator, scheduling };
}

/** Backfills start their dates through the given runs' idempotent trigger. */
function backfills(env: BaseEnvironment, { document, config }: ReturnType<typeof tables>, runs: RunService): BackfillService {
  return new BackfillService({
    store: new DynamoBackfillStore(document, env[ENV.runsTable]),
    config,
    runs,
    clock,
    logger,
  });
}

/** API Gateway: the routes of lambdas/api over DynamoDB, IAM principals mapped to clients. */
export function awsApi(): ApiHandler {
  const env = loadEnvironment(ApiEnvironment);
  const stores = tables(env);
  const { registry, orchestrator, scheduling } = scheduler(env, stores);
  // Pollers of a working run are answered from memory for a moment (RunReadCache), in this sandbox.
  const runs = new RunService({ runs: stores.runs, config: stores.config, registry, orchestrator, clock, logger, readCache: DEFAULT_RUN_READ_CACHE });
  return createApi({
    schedules: new ScheduleConfigService({ store: stores.config, registry, clock, scheduling }),
    runs,
    backfills: backfills(env, stores, runs),
    jobStarts: new JobStartService({ runs: stores.runs, clock, onRunChanged: (runId) => runs.forgetRun(runId) }),
    ledger: new LedgerService({ ledger: new DynamoLedger(stores.document, env[ENV.ledgerTable]), maintenance: new DynamoLedgerMaintenance(stores.document, env[ENV.ledgerTable]), clock }),
    notifications: new NotificationService({ subscriptions: notificationStore(env, stores.document), config: stores.config, sealer: webhookSecrets(env), urlPolicy: DEPLOYED_URL_POLICY, clock }),
    authorizer: new IamAuthorizer(stores.config),
    audit: new DynamoAuditLog(stores.document, env[ENV.auditTable]),
    clock,
    logger,
  });
}

/** BeginRun: claims runs (re-arming a fired schedule's trigger first) and answers the Map's settings. */
export function awsBeginRunSteps(): StepService {
  const env = loadEnvironment(BeginRunEnvironment);
  const stores = tables(env);
  const { registry, scheduling } = scheduler(env, stores);
  const settings = { maxConcurrency: env[ENV.mapMaxConcurrency], batchTimeoutSeconds: env[ENV.batchTimeoutSeconds] };
  return new StepService({ runs: stores.runs, config: stores.config, registry, clock, settings, scheduling, metrics: runMetrics });
}

/** BeginJob, CollectWorkItems, FinalizeJob, CompleteRun: the job's work items come from the ledger. */
export function awsJobSteps(): StepService {
  const env = loadEnvironment(JobStepEnvironment);
  const { document, runs, config } = tables(env);
  const registry = createJobRegistry({ allowSynthetic: env[ENV.allowSynthetic], billing: { ledger: new DynamoLedger(document, env[ENV.ledgerTable]), clock } });
  const ledgerLocks = new DynamoLedgerLock(document, env[ENV.runsTable]);
  return new StepService({ runs, config, registry, clock, settings: DEFAULT_STEP_SETTINGS, metrics: runMetrics, ledgerLocks });
}

/** The SQS worker: the only function that calls core billing, with the key from Secrets Manager. */
export function awsWorker(): WorkerService {
  const env = loadEnvironment(WorkerEnvironment);
  const { document, runs } = tables(env);
  const secrets = new SecretsProvider({ awsSdkV3Client: tracer.captureAWSv3Client(new SecretsManagerClient({})) });
  const coreBilling = new HttpCoreBilling({ endpoint: env[ENV.coreBillingUrl], credentials: new SecretsManagerCredentials(secrets, env[ENV.coreBillingSecretId]) });
  const registry = createJobRegistry({
    allowSynthetic: env[ENV.allowSynthetic],
    billing: { ledger: new DynamoLedger(document, env[ENV.ledgerTable]), coreBilling, clock },
  });
  const callbacks = new SfnTaskCallbacks(tracer.captureAWSv3Client(new SFNClient({})));
  const queue = new SqsWorkQueue(tracer.captureAWSv3Client(new SQSClient({})));
  return new WorkerService({ runs, registry, callbacks, queue, clock, logger, settings: DEFAULT_WORKER_SETTINGS, metrics: runMetrics });
}

/** The EventBridge rule target for the state machine's execution status changes. */
export function awsExecutionStatus(): ExecutionStatusService {
  const env = loadEnvironment(ExecutionStatusEnvironment);
  const stores = tables(env);
  const executionStatus = new ExecutionStatusService({ runs: stores.runs, clock, logger, metrics: runMetrics });
  // A run's end starts its backfill's next date: the only thing this function starts.
  const orchestrator = new SfnOrchestrator(tracer.captureAWSv3Client(new SFNClient({})), env[ENV.stateMachineArn]);
  const registry = createJobRegistry({ allowSynthetic: env[ENV.allowSynthetic] });
  const runs = new RunService({ runs: stores.runs, config: stores.config, registry, orchestrator, clock, logger });
  const pump = backfills(env, stores, runs);
  executionStatus.onRunEnded((run) => pump.runEnded(run));
  return executionStatus;
}

/** The reconciler: active runs against their executions, and every schedule's trigger. */
export function awsReconciler(): ReconcileService {
  const env = loadEnvironment(ReconcileEnvironment);
  const stores = tables(env);
  const { registry, orchestrator, scheduling } = scheduler(env, stores);
  const executionStatus = new ExecutionStatusService({ runs: stores.runs, clock, logger, metrics: runMetrics });
  const runs = new RunService({ runs: stores.runs, config: stores.config, registry, orchestrator, clock, logger });
  return new ReconcileService({
    runs: stores.runs,
    orchestrator,
    executionStatus,
    scheduling,
    backfills: backfills(env, stores, runs),
    clock,
    logger,
    startGraceMs: RECONCILE_START_GRACE_MS,
  });
}

/** Deployed, webhooks go to public https endpoints only (the SSRF policy), at subscription and before each attempt. */
const DEPLOYED_URL_POLICY = new DnsUrlPolicy({ allowLoopbackHttp: false });

function notificationStore(env: BaseEnvironment, document: ReturnType<typeof toDocumentClient>): DynamoNotificationStore {
  return new DynamoNotificationStore(document, { config: env[ENV.configTable], runs: env[ENV.runsTable] });
}

function webhookSecrets(env: { [ENV.webhookSecretPrefix]: string; [ENV.webhookSecretKeyArn]: string }): SecretsManagerSecretSealer {
  return new SecretsManagerSecretSealer(tracer.captureAWSv3Client(new SecretsManagerClient({})), {
    namePrefix: env[ENV.webhookSecretPrefix],
    kmsKeyId: env[ENV.webhookSecretKeyArn],
  });
}

/** The outbox dispatcher: the runs table's stream and the every-minute sweep. */
export function awsNotificationDispatcher(): NotificationDispatchService {
  const env = loadEnvironment(NotificationDispatchEnvironment);
  const { document, runs } = tables(env);
  const sqs = tracer.captureAWSv3Client(new SQSClient({}));
  return new NotificationDispatchService({
    outbox: new DynamoRunEventOutbox(document, env[ENV.runsTable]),
    runs,
    subscriptions: notificationStore(env, document),
    publisher: new SqsEventPublisher(sqs, env[ENV.eventBusFeedUrl]),
    deliveries: new SqsDeliveryQueue(sqs, env[ENV.deliveryQueueUrl]),
    clock,
    logger,
    metrics: new PowertoolsNotificationMetrics(metrics),
  });
}

/** The webhook delivery worker: signs, sends, logs each attempt and re-queues retries. */
export function awsWebhookDelivery(): WebhookDeliveryService {
  const env = loadEnvironment(WebhookDeliveryEnvironment);
  const { document } = tables(env);
  return new WebhookDeliveryService({
    subscriptions: notificationStore(env, document),
    outbox: new DynamoRunEventOutbox(document, env[ENV.runsTable]),
    queue: new SqsDeliveryQueue(tracer.captureAWSv3Client(new SQSClient({})), env[ENV.deliveryQueueUrl]),
    sender: new HttpWebhookSender(),
    sealer: webhookSecrets(env),
    urlPolicy: DEPLOYED_URL_POLICY,
    clock,
    logger,
    metrics: new PowertoolsNotificationMetrics(metrics),
  });
}
