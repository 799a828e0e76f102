import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../../lambdas/composition/env-names';
import type { AppFunction } from '../app-function';
import { acknowledgeWildcardResource, nagResourceName } from '../nag';
import type { StateMachineArns } from './orchestration';

export interface SchedulingProps {
  /** Stage name: part of the schedule group's name. */
  readonly stageName: string;
  /** The schedule-run state machine every fire starts. */
  readonly stateMachine: StateMachineArns;
}

/**
 * EventBridge Scheduler for the job schedules: a group per stage, the role its triggers run as
 * (start the schedule-run state machine, nothing else) and the dead-letter queue of failed fires.
 * The triggers are not CloudFormation resources: the functions create, re-arm and delete them at
 * run time (lambdas/adapters/aws/eventbridge-scheduler-trigger.ts).
 */
export class Scheduling extends Construct {
  readonly group: ScheduleGroup;
  /** The role EventBridge Scheduler assumes to start an execution. */
  readonly schedulerRole: Role;
  readonly deadLetterQueue: Queue;
  /** The schedules of the group: what the arming functions may create, update, read and delete. */
  readonly schedulesArn: string;
  private readonly stateMachineArn: string;

  constructor(scope: Construct, id: string, props: SchedulingProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.stateMachineArn = props.stateMachine.stateMachine;

    this.group = new ScheduleGroup(this, 'Group', {
      scheduleGroupName: `job-schedule-manager-${props.stageName}`,
      // The triggers are derived state: the reconciler re-arms every schedule from the Config
      // table. Deleting the group with the stack removes triggers that would start a deleted
      // state machine; nothing is lost.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.schedulesArn = stack.formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${this.group.scheduleGroupName}/*` });

    // SQS-managed encryption, like the other queues: a dead-letter event carries the fire's input
    // (client and schedule ids, a time), no billing data, and needs no key grant for the role.
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue of the EventBridge Scheduler triggers; the scheduler, not a redrive policy, sends to it.',
    });

    this.schedulerRole = new Role(this, 'SchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
      description: `EventBridge Scheduler (${props.stageName}): starts schedule runs`,
    });
    this.schedulerRole.addToPrincipalPolicy(
      new PolicyStatement({ sid: 'StartScheduleRuns', actions: ['states:StartExecution'], resources: [props.stateMachine.stateMachine] }),
    );
    // AWS: the execution role delivers the dead-letter events of its schedules.
    this.schedulerRole.addToPrincipalPolicy(new PolicyStatement({ sid: 'DeadLetterFailedFires', actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }));
  }

  /**
   * Lets a function arm and disarm triggers: create, update, read and delete schedules of this
   * group only, pass the scheduler role (and no other) to EventBridge Scheduler, and the
   * environment the trigger adapter reads.
   */
  grantArming(fn: AppFunction): void {
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'ArmScheduleTriggers',
        actions: ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule', 'scheduler:GetSchedule'],
        resources: [this.schedulesArn],
      }),
    );
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'PassSchedulerRole',
        actions: ['iam:PassRole'],
        resources: [this.schedulerRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    );
    acknowledgeWildcardResource(
      fn.role,
      nagResourceName(this, this.schedulesArn),
      'Trigger names derive from client and schedule ids at run time; the wildcard covers only the schedules of this stage’s schedule group.',
    );
    fn.function.addEnvironment(ENV.scheduleGroup, this.group.scheduleGroupName);
    fn.function.addEnvironment(ENV.schedulerRoleArn, this.schedulerRole.roleArn);
    fn.function.addEnvironment(ENV.schedulerDeadLetterQueueArn, this.deadLetterQueue.queueArn);
    fn.function.addEnvironment(ENV.stateMachineArn, this.stateMachineArn);
  }
}
