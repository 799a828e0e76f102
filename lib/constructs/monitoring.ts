import { Duration, Stack } from 'aws-cdk-lib';
import type { Stage as ApiStage } from 'aws-cdk-lib/aws-apigateway';
import { Alarm, ComparisonOperator, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { FilterPattern, MetricFilter } from 'aws-cdk-lib/aws-logs';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { AppFunction } from '../app-function';
import type { DataLifecycle } from '../config/stage-config';
import { AUDIT_WRITE_FAILED } from '../../lambdas/api/router';

export interface MonitoringProps {
  readonly stageName: string;
  readonly lifecycle: DataLifecycle;
  /** Address subscribed to the alarm topic. @default - no subscription */
  readonly alarmEmail?: string;
  /** Dead-letter queues that must stay empty: any message in one is work nobody finished. */
  readonly deadLetterQueues: Readonly<Record<string, IQueue>>;
  readonly stateMachine: IStateMachine;
  /** Functions whose errors page someone, by a readable name. */
  readonly functions: Readonly<Record<string, AppFunction>>;
  readonly apiStage: ApiStage;
  /** The API function, whose log names every change whose audit record could not be written. */
  readonly apiFunction: AppFunction;
}

/**
 * Alarms for everything that needs a person: a dead-lettered message, a failed, timed-out or
 * aborted run execution, a Lambda error, an API 5xx. All go to one encrypted SNS topic.
 */
export class Monitoring extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];
  private readonly action: SnsAction;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);

    // CloudWatch cannot publish to a topic under the AWS-managed SNS key (its key policy is not
    // ours to extend), so the topic has its own key that grants CloudWatch exactly that.
    const key = new Key(this, 'AlarmTopicKey', {
      description: `Job Schedule Manager (${props.stageName}): alarm topic`,
      enableKeyRotation: true,
      removalPolicy: props.lifecycle.removalPolicy,
    });
    // Only alarms of this account: without aws:SourceAccount, any account's CloudWatch could use the key (confused deputy).
    const cloudWatch = new ServicePrincipal('cloudwatch.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } } });
    key.grant(cloudWatch, 'kms:Decrypt', 'kms:GenerateDataKey*');

    this.topic = new Topic(this, 'AlarmTopic', {
      displayName: `Job Schedule Manager ${props.stageName} alarms`,
      masterKey: key,
      enforceSSL: true,
    });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    this.action = new SnsAction(this.topic);

    for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
      this.alarmWhenAny(`${name}NotEmpty`, `${name}: messages are waiting in a dead-letter queue`, queue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }));
    }

    const stateMachineMetrics = {
      ExecutionsFailed: props.stateMachine.metricFailed(),
      ExecutionsTimedOut: props.stateMachine.metricTimedOut(),
      ExecutionsAborted: props.stateMachine.metricAborted(),
    };
    for (const [name, metric] of Object.entries(stateMachineMetrics)) {
      this.alarmWhenAny(`ScheduleRun${name}`, `Schedule run ${name}: a run needs a person`, metric.with({ period: Duration.minutes(5), statistic: 'Sum' }));
    }

    for (const [name, fn] of Object.entries(props.functions)) {
      this.alarmWhenAny(`${name}Errors`, `${name} function errors`, fn.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }));
    }

    this.alarmWhenAny('Api5xx', 'HTTP API answered with 5xx', props.apiStage.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }));

    // The change was answered but not recorded (docs/audit-and-inbox.md): the log line holds the
    // whole record, so a person can replay it into the audit table.
    const auditWriteFailures = new MetricFilter(this, 'AuditWriteFailedFilter', {
      logGroup: props.apiFunction.logGroup,
      filterPattern: FilterPattern.stringValue('$.message', '=', AUDIT_WRITE_FAILED),
      metricNamespace: 'JobScheduleManager',
      metricName: 'AuditRecordsNotWritten',
      metricValue: '1',
    });
    this.alarmWhenAny('AuditWriteFailed', 'A change was made but its audit record was not written (its record is in the API log)', auditWriteFailures.metric({ period: Duration.minutes(5), statistic: 'Sum' }));
  }

  private alarmWhenAny(id: string, description: string, metric: IMetric): void {
    const alarm = new Alarm(this, id, {
      alarmDescription: description,
      metric,
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.alarms.push(alarm);
  }
}
