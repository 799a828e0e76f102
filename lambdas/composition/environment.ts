import { z } from 'zod';
import { ENV } from './env-names';

/**
 * One environment schema per function, each the base plus what that function uses; the stack
 * sets exactly these (lib/). Validated once at cold start: a missing or invalid variable fails
 * the function's init with the variable's name.
 */
const arn = z.string().startsWith('arn:');

const BaseEnvironment = z.object({
  [ENV.stage]: z.string().min(1),
  [ENV.configTable]: z.string().min(1),
  [ENV.runsTable]: z.string().min(1),
  [ENV.outcomeRetentionDays]: z.coerce.number().int().positive(),
  [ENV.allowSynthetic]: z.enum(['true', 'false']).transform((value) => value === 'true'),
});

const ledger = { [ENV.ledgerTable]: z.string().min(1) };

/** What arms EventBridge Scheduler triggers and starts executions. */
const scheduler = {
  [ENV.stateMachineArn]: arn,
  [ENV.scheduleGroup]: z.string().min(1),
  [ENV.schedulerRoleArn]: arn,
  [ENV.schedulerDeadLetterQueueArn]: arn,
};

const SchedulerEnvironment = BaseEnvironment.extend(scheduler);

/** Webhook secrets in Secrets Manager under the stage's key (the API seals, the delivery function opens). */
const webhookSecrets = { [ENV.webhookSecretPrefix]: z.string().min(1), [ENV.webhookSecretKeyArn]: arn };
export const ApiEnvironment = SchedulerEnvironment.extend({ ...ledger, [ENV.auditTable]: z.string().min(1), ...webhookSecrets });
/** The outbox dispatcher: the queue that feeds the stage's bus, and the delivery queue. */
export const NotificationDispatchEnvironment = BaseEnvironment.extend({ [ENV.eventBusFeedUrl]: z.url(), [ENV.deliveryQueueUrl]: z.url() });
/** The webhook delivery worker: re-queues retries, opens secrets. */
export const WebhookDeliveryEnvironment = BaseEnvironment.extend({ [ENV.deliveryQueueUrl]: z.url(), ...webhookSecrets });
export const BeginRunEnvironment = SchedulerEnvironment.extend({
  [ENV.mapMaxConcurrency]: z.coerce.number().int().positive(),
  [ENV.batchTimeoutSeconds]: z.coerce.number().int().positive(),
});
/** BeginJob, CollectWorkItems, FinalizeJob and CompleteRun. */
export const JobStepEnvironment = BaseEnvironment.extend(ledger);
export const WorkerEnvironment = BaseEnvironment.extend({
  ...ledger,
  [ENV.coreBillingUrl]: z.url({ protocol: /^https?$/ }),
  [ENV.coreBillingSecretId]: z.string().min(1),
});
/** Starts a backfill's next run when a run ends. */
export const ExecutionStatusEnvironment = BaseEnvironment.extend({ [ENV.stateMachineArn]: arn });
export const ReconcileEnvironment = SchedulerEnvironment;

export type BaseEnvironment = z.infer<typeof BaseEnvironment>;
export type SchedulerEnvironment = z.infer<typeof SchedulerEnvironment>;

export class InvalidEnvironmentError extends Error {
  override readonly name = 'InvalidEnvironmentError';
}

/** Parses the function's environment, naming every variable that is missing or invalid. */
export function loadEnvironment<S extends z.ZodType>(schema: S, source: Record<string, string | undefined> = process.env): z.infer<S> {
  const result = schema.safeParse(source);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${source[String(issue.path[0])] === undefined ? 'not set' : issue.message}`);
  throw new InvalidEnvironmentError(`invalid function environment: ${problems.join('; ')}`);
}
