import { CfnOutput, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ENV } from '../lambdas/composition/env-names';
import { SERVICE_NAME, type SharedFunctionSettings } from './app-function';
import { dataLifecycle, type StageConfig } from './config/stage-config';
import { Api } from './constructs/api';
import { CoreBillingConnection } from './constructs/core-billing';
import { Console } from './constructs/console';
import { Monitoring } from './constructs/monitoring';
import { Notifications } from './constructs/notifications';
import { Orchestration } from './constructs/orchestration';
import { Scheduling } from './constructs/scheduling';
import { Storage } from './constructs/storage';

export interface JobScheduleManagerStackProps extends StackProps {
  readonly config: StageConfig;
}

/** The stack name of a stage: one stack per stage in an account. */
export function stackNameFor(stageName: string): string {
  return `JobScheduleManager-${stageName}`;
}

/**
 * One deployable environment of the product, composed like the architecture diagram:
 * storage (system of record), orchestration (state machine, queue, worker, status rule),
 * the HTTP API, scheduling, monitoring and the operator console.
 */
export class JobScheduleManagerStack extends Stack {
  readonly storage: Storage;
  readonly orchestration: Orchestration;
  readonly api: Api;
  readonly scheduling: Scheduling;
  readonly monitoring: Monitoring;
  readonly notifications: Notifications;
  readonly console: Console;

  constructor(scope: Construct, id: string, props: JobScheduleManagerStackProps) {
    super(scope, id, props);
    const { config } = props;
    const lifecycle = dataLifecycle(config);
    Tags.of(this).add('Project', SERVICE_NAME);
    Tags.of(this).add('Stage', config.stageName);

    this.storage = new Storage(this, 'Storage', { stageName: config.stageName, lifecycle });

    const functionSettings: SharedFunctionSettings = {
      environment: {
        [ENV.stage]: config.stageName,
        [ENV.configTable]: this.storage.configTable.tableName,
        [ENV.runsTable]: this.storage.runsTable.tableName,
        [ENV.ledgerTable]: this.storage.ledgerTable.tableName,
        [ENV.allowSynthetic]: String(config.allowSynthetic),
        [ENV.outcomeRetentionDays]: String(config.outcomeRetentionDays),
        [ENV.logLevel]: config.logLevel,
      },
      logRetention: config.logRetention,
      logRemovalPolicy: lifecycle.removalPolicy,
    };

    this.orchestration = new Orchestration(this, 'Orchestration', {
      config,
      storage: this.storage,
      functionSettings,
      coreBilling: new CoreBillingConnection(this, 'CoreBilling', {
        stageName: config.stageName,
        endpoint: config.coreBilling.endpoint,
        ...(config.coreBilling.secretName ? { secretName: config.coreBilling.secretName } : {}),
        lifecycle,
      }),
      stateMachineName: `${id}-ScheduleRun`,
    });

    this.api = new Api(this, 'Api', {
      config,
      storage: this.storage,
      functionSettings,
      stateMachine: this.orchestration.arns,
    });

    // Each enabled schedule's one-time trigger: armed by the API on every edit, re-armed by
    // BeginRun after every fire and by the reconciler when it finds a chain broken.
    this.scheduling = new Scheduling(this, 'Scheduling', { stageName: config.stageName, stateMachine: this.orchestration.arns });
    for (const fn of [this.api.handler, this.orchestration.beginRunFunction, this.orchestration.reconcileFunction]) this.scheduling.grantArming(fn);

    this.monitoring = new Monitoring(this, 'Monitoring', {
      stageName: config.stageName,
      lifecycle,
      ...(config.alarmEmail ? { alarmEmail: config.alarmEmail } : {}),
      deadLetterQueues: {
        WorkDeadLetterQueue: this.orchestration.workDeadLetterQueue,
        StatusEventDeadLetterQueue: this.orchestration.statusDeadLetterQueue,
        SchedulerDeadLetterQueue: this.scheduling.deadLetterQueue,
      },
      stateMachine: this.orchestration.stateMachine,
      functions: {
        ...Object.fromEntries(this.orchestration.functions.map((fn) => [fn.node.id.replace(/Function$/, ''), fn])),
        Api: this.api.handler,
      },
      apiStage: this.api.restApi.deploymentStage,
      apiFunction: this.api.handler,
    });

    // Run events and webhooks: the outbox on the runs table's stream, the stage's bus, signed deliveries.
    this.notifications = new Notifications(this, 'Notifications', {
      stageName: config.stageName,
      lifecycle,
      storage: this.storage,
      functionSettings,
      api: this.api.handler,
      alarmTopic: this.monitoring.topic,
    });

    // The operator console: static files behind CloudFront, the API under /v1/* on the same
    // origin, Cognito sign-in whose roles may only invoke the API.
    this.console = new Console(this, 'Console', {
      stageName: config.stageName,
      restApi: this.api.restApi,
      lifecycle,
      logRetention: config.logRetention,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.restApi.url, description: 'Base URL of the HTTP API; routes start with v1/' });
    new CfnOutput(this, 'StateMachineArn', { value: this.orchestration.stateMachine.stateMachineArn });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn });
  }
}
