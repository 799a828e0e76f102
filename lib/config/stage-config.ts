import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';

/** Powertools log levels the functions accept in POWERTOOLS_LOG_LEVEL. */
export type FunctionLogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/**
 * Everything that differs between two deployments of the product. One stack is synthesized per
 * stage (`cdk synth -c stage=<name>`); nothing else in lib/ branches on the stage name.
 */
export interface StageConfig {
  /** Stage name: part of the stack name, resource names and the functions' STAGE variable. */
  readonly stageName: string;
  /**
   * Whether stateful resources (tables, encryption keys, log groups) outlive the stack. The one
   * switch behind removal policies and DynamoDB deletion protection: production keeps its data
   * when the stack is deleted, a development stage leaves nothing behind.
   */
  readonly retainData: boolean;
  /** Whether the SYNTHETIC diagnostic job may run. Never in production: it fabricates work items. */
  readonly allowSynthetic: boolean;
  /** Distributed Map MaxConcurrency: batches of one job in flight at once (BeginRun hands it to the ASL). */
  readonly mapMaxConcurrency: number;
  /** Upper bound on concurrent worker invocations (SQS event source MaximumConcurrency, 2..1000). */
  readonly workerMaxConcurrency: number;
  /**
   * How long a Map child waits without a heartbeat or callback from its worker before Step
   * Functions sends the batch again (the ASL's HeartbeatSecondsPath; the worker heartbeats at
   * pick-up and at each checkpoint). Must exceed the work queue's visibility timeout.
   */
  readonly batchTimeout: Duration;
  /** Days DynamoDB keeps a batch of work-item outcomes before TTL removes it. */
  readonly outcomeRetentionDays: number;
  /** Retention of every log group of the stage (functions, state machine, API access logs). */
  readonly logRetention: RetentionDays;
  /** POWERTOOLS_LOG_LEVEL of every function. */
  readonly logLevel: FunctionLogLevel;
  /** API Gateway stage throttling: steady-state requests per second and burst. */
  readonly apiThrottle: { readonly rateLimit: number; readonly burstLimit: number };
  /**
   * Core billing, which SYNC_TRANSACTIONS sends rated transactions to: its API's base URL, and
   * optionally an existing Secrets Manager secret with its API key (otherwise the stack creates
   * `job-schedule-manager/<stage>/core-billing` for an operator to fill). The key itself is never
   * in this repository.
   */
  readonly coreBilling: { readonly endpoint: string; readonly secretName?: string };
  /** Address subscribed to the alarm topic; without one the topic has no subscription. */
  readonly alarmEmail?: string;
}

/** The stages this repository deploys. Add one here, not with conditionals in constructs. */
export const STAGES = {
  dev: {
    stageName: 'dev',
    retainData: false,
    allowSynthetic: true,
    mapMaxConcurrency: 10,
    workerMaxConcurrency: 5,
    batchTimeout: Duration.minutes(40),
    outcomeRetentionDays: 30,
    logRetention: RetentionDays.TWO_WEEKS,
    logLevel: 'DEBUG',
    apiThrottle: { rateLimit: 20, burstLimit: 40 },
    coreBilling: { endpoint: 'https://core-billing.dev.example.com/api/v1' },
  },
  prod: {
    stageName: 'prod',
    retainData: true,
    allowSynthetic: false,
    mapMaxConcurrency: 40,
    workerMaxConcurrency: 20,
    batchTimeout: Duration.minutes(40),
    outcomeRetentionDays: 400,
    logRetention: RetentionDays.ONE_YEAR,
    logLevel: 'INFO',
    apiThrottle: { rateLimit: 100, burstLimit: 200 },
    coreBilling: { endpoint: 'https://core-billing.example.com/api/v1' },
  },
} as const satisfies Record<string, StageConfig>;

export type StageName = keyof typeof STAGES;

export class UnknownStageError extends Error {
  constructor(stage: string) {
    super(`Unknown stage "${stage}": expected one of ${Object.keys(STAGES).join(', ')} (cdk synth -c stage=<name>)`);
    this.name = 'UnknownStageError';
  }
}

function isStageName(name: string): name is StageName {
  return Object.hasOwn(STAGES, name);
}

/**
 * The configuration of a stage, with an optional alarm address from outside the repository
 * (`-c alarmEmail=...`), so that an address never has to be committed.
 */
export function stageConfig(stage: string, overrides: { alarmEmail?: string } = {}): StageConfig {
  if (!isStageName(stage)) throw new UnknownStageError(stage);
  const base: StageConfig = STAGES[stage];
  return overrides.alarmEmail ? { ...base, alarmEmail: overrides.alarmEmail } : base;
}

/** Removal policy and deletion protection of a stateful resource, both from `retainData`. */
export interface DataLifecycle {
  readonly removalPolicy: RemovalPolicy;
  readonly deletionProtection: boolean;
}

export function dataLifecycle(config: Pick<StageConfig, 'retainData'>): DataLifecycle {
  return config.retainData
    ? { removalPolicy: RemovalPolicy.RETAIN, deletionProtection: true }
    : { removalPolicy: RemovalPolicy.DESTROY, deletionProtection: false };
}
