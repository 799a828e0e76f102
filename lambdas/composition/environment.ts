import { z } from 'zod';

/**
 * Environment of the deployed Lambdas, validated once at cold start. The CDK stack sets exactly
 * these variables (lib/); a missing one fails the cold start with a clear message.
 */
export const ENV = {
  stage: 'STAGE',
  configTable: 'CONFIG_TABLE_NAME',
  runsTable: 'RUNS_TABLE_NAME',
  /** The billing ledger the job catalogue works on. */
  ledgerTable: 'LEDGER_TABLE_NAME',
  /** Core billing's base URL and the secret with its API key (the worker only: SYNC_TRANSACTIONS). */
  coreBillingUrl: 'CORE_BILLING_URL',
  /** The secret's ARN or name. */
  coreBillingSecretId: 'CORE_BILLING_SECRET_ID',
  stateMachineArn: 'STATE_MACHINE_ARN',
  /** Days a batch of item outcomes is kept before DynamoDB TTL removes it. */
  outcomeRetentionDays: 'OUTCOME_RETENTION_DAYS',
  /** Whether the SYNTHETIC diagnostic job may run (never in production stages). */
  allowSynthetic: 'ALLOW_SYNTHETIC',
  /** EventBridge Scheduler: the stage's schedule group, the role its schedules run as, their dead-letter queue (functions that arm triggers). */
  scheduleGroup: 'SCHEDULE_GROUP_NAME',
  schedulerRoleArn: 'SCHEDULER_ROLE_ARN',
  schedulerDeadLetterQueueArn: 'SCHEDULER_DLQ_ARN',
} as const;

export const AwsEnvironmentSchema = z.object({
  [ENV.stage]: z.string().min(1),
  [ENV.configTable]: z.string().min(1),
  [ENV.runsTable]: z.string().min(1),
  [ENV.ledgerTable]: z.string().min(1),
  [ENV.coreBillingUrl]: z.url({ protocol: /^https?$/ }).optional(),
  [ENV.coreBillingSecretId]: z.string().min(1).optional(),
  [ENV.stateMachineArn]: z.string().startsWith('arn:').optional(),
  [ENV.outcomeRetentionDays]: z.coerce.number().int().positive().default(400),
  [ENV.allowSynthetic]: z.enum(['true', 'false']).default('false'),
  [ENV.scheduleGroup]: z.string().min(1).optional(),
  [ENV.schedulerRoleArn]: z.string().startsWith('arn:').optional(),
  [ENV.schedulerDeadLetterQueueArn]: z.string().startsWith('arn:').optional(),
});
export type AwsEnvironment = z.infer<typeof AwsEnvironmentSchema>;
