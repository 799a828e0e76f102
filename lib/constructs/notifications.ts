import { Duration, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { EventBus, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { CfnPipe } from 'aws-cdk-lib/aws-pipes';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Validations } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { NOTIFICATION_METRICS } from '../../lambdas/adapters/aws/powertools-notification-metrics';
import { ENV } from '../../lambdas/composition/env-names';
import { AppFunction, METRICS_NAMESPACE, SERVICE_NAME, type SharedFunctionSettings } from '../app-function';
import { acknowledgeWildcardResource } from '../nag';
import type { DataLifecycle } from '../config/stage-config';
import type { Storage } from './storage';

/** Longer than the delivery function's timeout (one 10 s attempt plus its reads and writes). */
const DELIVERY_VISIBILITY_TIMEOUT = Duration.seconds(120);
/** A delivery that throws (not a refused webhook: that is logged and re-queued) is tried this often. */
const DELIVERY_MAX_RECEIVE_COUNT = 5;
/** Where run events come from on the bus. */
export const EVENT_SOURCE = 'job-schedule-manager';

export interface NotificationsProps {
  readonly stageName: string;
  readonly lifecycle: DataLifecycle;
  readonly storage: Storage;
  readonly functionSettings: SharedFunctionSettings;
  /** The API function: it creates and deletes subscriptions' secrets. */
  readonly api: AppFunction;
  /** The stage's alarm topic (monitoring). */
  readonly alarmTopic: ITopic;
}

/**
 * Run events and webhooks (docs/notifications.md): the runs table's stream (outbox inserts only)
 * and a one-minute sweep drive the dispatcher; it feeds the stage's bus through a queue and a pipe,
 * and queues webhook deliveries for the delivery function. Webhook secrets are Secrets Manager
 * secrets under a key of their own. Alarms: either dead-letter queue holding a message, a missed
 * occurrence, a delivery that gave up.
 */
export class Notifications extends Construct {
  readonly bus: EventBus;
  readonly deliveryQueue: Queue;
  readonly deliveryDeadLetterQueue: Queue;
  readonly busFeedDeadLetterQueue: Queue;
  readonly dispatcher: AppFunction;
  readonly delivery: AppFunction;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: NotificationsProps) {
    super(scope, id);
    const { stageName, storage, functionSettings } = props;
    const { account, region, partition } = Stack.of(this);

    this.bus = new EventBus(this, 'Bus', { eventBusName: `job-schedule-manager-${stageName}` });

    const secretsKey = new Key(this, 'WebhookSecretsKey', {
      description: `Job Schedule Manager (${stageName}): webhook signing secrets`,
      enableKeyRotation: true,
      removalPolicy: props.lifecycle.removalPolicy,
    });
    const secretPrefix = `job-schedule-manager/${stageName}/webhooks/`;
    const secretArns = `arn:${partition}:secretsmanager:${region}:${account}:secret:${secretPrefix}*`;
    const secretEnvironment = { [ENV.webhookSecretPrefix]: secretPrefix, [ENV.webhookSecretKeyArn]: secretsKey.keyArn };

    this.deliveryDeadLetterQueue = this.queue('DeliveryDeadLetterQueue', { retentionPeriod: Duration.days(14) });
    this.deliveryQueue = this.queue('DeliveryQueue', {
      visibilityTimeout: DELIVERY_VISIBILITY_TIMEOUT,
      deadLetterQueue: { queue: this.deliveryDeadLetterQueue, maxReceiveCount: DELIVERY_MAX_RECEIVE_COUNT },
    });
    this.busFeedDeadLetterQueue = this.queue('BusFeedDeadLetterQueue', { retentionPeriod: Duration.days(14) });
    const busFeed = this.queue('BusFeedQueue', { deadLetterQueue: { queue: this.busFeedDeadLetterQueue, maxReceiveCount: 5 } });

    this.dispatcher = new AppFunction(this, 'DispatchFunction', {
      ...functionSettings,
      handlerFile: 'notification-dispatch-handler',
      description: 'Dispatches run events from the outbox: the bus feed and one webhook delivery per subscription; sweeps deadlines every minute',
      timeout: Duration.seconds(60),
      environment: { ...functionSettings.environment, [ENV.eventBusFeedUrl]: busFeed.queueUrl, [ENV.deliveryQueueUrl]: this.deliveryQueue.queueUrl },
    });
    storage.grantRunWork(this.dispatcher);
    busFeed.grantSendMessages(this.dispatcher);
    this.deliveryQueue.grantSendMessages(this.dispatcher);
    const dispatchFailures = this.queue('DispatchFailureQueue', { retentionPeriod: Duration.days(14) });
    Validations.of(dispatchFailures).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the on-failure destination of the outbox stream mapping (it receives the failed batch’s position, not work); the sweep re-dispatches those events.',
    });
    // The mapping is built here rather than by DynamoEventSource, whose grant puts ListStreams on
    // "*" into the role's default policy: the stream's own actions go there, ListStreams apart.
    const outboxStream = this.dispatcher.function.addEventSourceMapping('OutboxStream', {
      eventSourceArn: storage.runsTable.tableStreamArn!,
      startingPosition: StartingPosition.LATEST,
      // Only outbox entries: a run's every other write never invokes the dispatcher.
      filters: [FilterCriteria.filter({ eventName: FilterRule.isEqual('INSERT'), dynamodb: { Keys: { pk: { S: FilterRule.beginsWith('OUTBOX#') } } } })],
      batchSize: 25,
      retryAttempts: 5,
      bisectBatchOnError: true,
      // A batch that still fails is left in the outbox: the sweep dispatches it.
      onFailure: new SqsDlq(dispatchFailures),
    });
    storage.runsTable.streamGrants.actions(this.dispatcher, 'dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator');
    storage.dataKey.grantDecrypt(this.dispatcher);
    const listStreams = this.dispatcher.grantOnAnyResource(
      'ListStreamsPolicy',
      ['dynamodb:ListStreams'],
      'The outbox stream mapping (Lambda reading the runs table stream) needs dynamodb:ListStreams, which has no resource-level permissions: AWS requires Resource "*".',
    );
    // Lambda checks the role's stream permissions when it creates the mapping.
    outboxStream.node.addDependency(listStreams);
    new Rule(this, 'SweepSchedule', {
      description: 'Deadlines past due turn late (RUN_LATE); outbox events the stream did not dispatch go out',
      schedule: Schedule.rate(Duration.minutes(1)),
      targets: [new LambdaFunction(this.dispatcher.function, { retryAttempts: 2 })],
    });

    this.delivery = new AppFunction(this, 'DeliveryFunction', {
      ...functionSettings,
      handlerFile: 'webhook-delivery-handler',
      description: 'Signs and POSTs one webhook attempt, logs it, and queues the retry with its backoff',
      timeout: Duration.seconds(30),
      environment: { ...functionSettings.environment, [ENV.deliveryQueueUrl]: this.deliveryQueue.queueUrl, ...secretEnvironment },
    });
    storage.grantRunWork(this.delivery);
    this.deliveryQueue.grantSendMessages(this.delivery);
    this.delivery.function.addEventSource(new SqsEventSource(this.deliveryQueue, { batchSize: 10, reportBatchItemFailures: true, maxConcurrency: 10 }));
    this.delivery.function.addToRolePolicy(new PolicyStatement({ sid: 'ReadWebhookSecrets', actions: ['secretsmanager:GetSecretValue'], resources: [secretArns] }));
    secretsKey.grantDecrypt(this.delivery);
    const secretWildcard = `arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${secretPrefix}*`;
    acknowledgeWildcardResource(this.delivery, secretWildcard, 'One secret per subscription, created at run time under this stage’s webhook prefix: the wildcard is that prefix (plus the random suffix Secrets Manager adds to every ARN), nothing else.');

    props.api.function.addToRolePolicy(
      new PolicyStatement({ sid: 'KeepWebhookSecrets', actions: ['secretsmanager:CreateSecret', 'secretsmanager:DeleteSecret'], resources: [secretArns] }),
    );
    secretsKey.grantEncryptDecrypt(props.api);
    acknowledgeWildcardResource(props.api, secretWildcard, 'Subscriptions create and delete their secret at run time, named under this stage’s webhook prefix: the wildcard is that prefix only.');
    for (const [name, value] of Object.entries(secretEnvironment)) props.api.function.addEnvironment(name, value);

    // The pipe puts each queued event's JSON body on the bus, its type as the detail-type.
    const pipeRole = new Role(this, 'BusPipeRole', { assumedBy: new ServicePrincipal('pipes.amazonaws.com') });
    busFeed.grantConsumeMessages(pipeRole);
    this.bus.grantPutEventsTo(pipeRole);
    new CfnPipe(this, 'BusPipe', {
      roleArn: pipeRole.roleArn,
      source: busFeed.queueArn,
      sourceParameters: { sqsQueueParameters: { batchSize: 10 } },
      target: this.bus.eventBusArn,
      targetParameters: {
        inputTemplate: '<$.body>',
        eventBridgeEventBusParameters: { detailType: '$.body.type', source: EVENT_SOURCE },
      },
    });

    const action = new SnsAction(props.alarmTopic);
    const alarmWhenAny = (alarmId: string, description: string, metric: Metric): void => {
      const alarm = new Alarm(this, alarmId, {
        alarmDescription: description,
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(action);
      this.alarms.push(alarm);
    };
    const visible = (queue: Queue) => queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' });
    alarmWhenAny('DeliveryDeadLetterQueueNotEmpty', 'Webhook deliveries that failed to run five times are waiting in the dead-letter queue', visible(this.deliveryDeadLetterQueue));
    alarmWhenAny('BusFeedDeadLetterQueueNotEmpty', 'Run events the pipe could not put on the bus are waiting in the dead-letter queue', visible(this.busFeedDeadLetterQueue));
    alarmWhenAny('DispatchFailuresNotEmpty', 'Outbox stream batches the dispatcher failed; the sweep retries them', visible(dispatchFailures));
    // Powertools puts every metric under the `service` dimension: an alarm without it sees no data.
    const count = (metricName: string) =>
      new Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: SERVICE_NAME }, statistic: 'Sum', period: Duration.minutes(5) });
    alarmWhenAny('RunMissed', 'A scheduled occurrence was missed (nothing ran when it was due; it is SKIPPED with skipReason MISSED)', count(NOTIFICATION_METRICS.runsMissed));
    alarmWhenAny('WebhookGaveUp', 'A webhook delivery gave up after an hour of retries', count(NOTIFICATION_METRICS.deliveriesGaveUp));
    // Like every other function's (monitoring.ts): an error here is an event or a delivery held back.
    alarmWhenAny('DispatchErrors', 'Dispatch function errors', this.dispatcher.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }));
    alarmWhenAny('DeliveryErrors', 'Delivery function errors', this.delivery.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }));
  }

  private queue(id: string, props: ConstructorParameters<typeof Queue>[2] = {}): Queue {
    return new Queue(this, id, { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true, ...props });
  }
}
