/**
 * The names of the functions' environment variables: the stack (lib/) sets them and the
 * schemas in environment.ts read them, so neither side spells one by hand.
 */
export const ENV = {
  stage: 'STAGE',
  configTable: 'CONFIG_TABLE_NAME',
  runsTable: 'RUNS_TABLE_NAME',
  /** The billing ledger the job catalogue works on. */
  ledgerTable: 'LEDGER_TABLE_NAME',
  /** The audit trail: the API function's only (append and list). */
  auditTable: 'AUDIT_TABLE_NAME',
  /** Days a batch of item outcomes is kept before DynamoDB TTL removes it. */
  outcomeRetentionDays: 'OUTCOME_RETENTION_DAYS',
  /** Whether the SYNTHETIC diagnostic job may run (never in production stages). */
  allowSynthetic: 'ALLOW_SYNTHETIC',
  /** Core billing's base URL and the secret (ARN or name) with its API key: the worker's only. */
  coreBillingUrl: 'CORE_BILLING_URL',
  coreBillingSecretId: 'CORE_BILLING_SECRET_ID',
  stateMachineArn: 'STATE_MACHINE_ARN',
  /** EventBridge Scheduler: the stage's schedule group, the role its schedules run as, their dead-letter queue. */
  scheduleGroup: 'SCHEDULE_GROUP_NAME',
  schedulerRoleArn: 'SCHEDULER_ROLE_ARN',
  schedulerDeadLetterQueueArn: 'SCHEDULER_DLQ_ARN',
  /** BeginRun's answer to the Map state: children in flight, and how long a child waits for its worker. */
  mapMaxConcurrency: 'MAP_MAX_CONCURRENCY',
  batchTimeoutSeconds: 'BATCH_TIMEOUT_SECONDS',
  /** Read by Powertools itself (Logger, Metrics, Tracer). */
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  logLevel: 'POWERTOOLS_LOG_LEVEL',
  /** Webhook secrets: the Secrets Manager name prefix (`<prefix><clientId>/<subscriptionId>`) and the stage's KMS key they are encrypted with. */
  webhookSecretPrefix: 'WEBHOOK_SECRET_PREFIX',
  webhookSecretKeyArn: 'WEBHOOK_SECRET_KEY_ARN',
  /** The webhook delivery queue, and the queue a pipe carries to the stage's event bus. */
  deliveryQueueUrl: 'DELIVERY_QUEUE_URL',
  eventBusFeedUrl: 'EVENT_BUS_FEED_URL',
} as const;
