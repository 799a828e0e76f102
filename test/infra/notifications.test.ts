import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/composition/env-names';
import { resourceByPrefix, resourcesOfType, stage } from './support/synth';

/** lib/constructs/notifications.ts in the dev stage (cdk-nag runs in the synthesis). */
describe('notifications (stack)', () => {
  const { template, json } = stage('dev');

  it('has the stage’s own event bus, fed by a pipe that puts each event with its type as the detail-type', () => {
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'job-schedule-manager-dev' });
    const [, pipe] = resourceByPrefix(json, 'AWS::Pipes::Pipe', 'NotificationsBusPipe');
    expect(pipe.Properties?.TargetParameters).toMatchObject({
      InputTemplate: '<$.body>',
      EventBridgeEventBusParameters: { DetailType: '$.body.type', Source: 'job-schedule-manager' },
    });
  });

  it('delivers webhooks from an encrypted queue with a dead-letter queue, partial batch responses, and an alarm on the DLQ', () => {
    const [queueId, queue] = resourceByPrefix(json, 'AWS::SQS::Queue', 'NotificationsDeliveryQueue');
    const [dlqId] = resourceByPrefix(json, 'AWS::SQS::Queue', 'NotificationsDeliveryDeadLetterQueue');
    expect(queue.Properties).toMatchObject({ SqsManagedSseEnabled: true, RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 5 } });
    const [deliveryFnId] = resourceByPrefix(json, 'AWS::Lambda::Function', 'NotificationsDeliveryFunction');
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionName: { Ref: deliveryFnId },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }],
    });
  });

  it('dispatches from the runs table’s stream, filtered to outbox inserts, and sweeps every minute', () => {
    const [dispatchFnId] = resourceByPrefix(json, 'AWS::Lambda::Function', 'NotificationsDispatchFunction');
    const [runsTableId, runsTable] = resourceByPrefix(json, 'AWS::DynamoDB::Table', 'StorageRuns');
    expect(runsTable.Properties?.StreamSpecification).toEqual({ StreamViewType: 'NEW_IMAGE' });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [runsTableId, 'StreamArn'] },
      FunctionName: { Ref: dispatchFnId },
      FilterCriteria: { Filters: [{ Pattern: Match.stringLikeRegexp('OUTBOX#') }] },
      BisectBatchOnFunctionError: true,
    });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)', Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [dispatchFnId, 'Arn'] } })] });
  });

  it('alarms on a missed occurrence and on a delivery that gave up', () => {
    // With the service dimension Powertools writes: without it the alarm would read an empty metric.
    const emitted = { Namespace: 'JobScheduleManager', Dimensions: [{ Name: 'service', Value: 'job-schedule-manager' }] };
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'RunsMissed', ...emitted });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'WebhookDeliveriesGaveUp', ...emitted });
  });

  it('lets only the delivery function read webhook secrets, and the API only create and delete them, under the stage’s prefix', () => {
    const policies = resourcesOfType(json, 'AWS::IAM::Policy').map(([id, policy]) => ({ id, text: JSON.stringify(policy.Properties) }));
    const readers = policies.filter((policy) => policy.text.includes('secretsmanager:GetSecretValue') && policy.text.includes('webhooks/'));
    const writers = policies.filter((policy) => policy.text.includes('secretsmanager:CreateSecret'));
    expect(readers.map((policy) => policy.id)).toEqual([expect.stringMatching(/^NotificationsDeliveryFunction/)]);
    expect(writers.map((policy) => policy.id)).toEqual([expect.stringMatching(/^Api/)]);
    expect(writers[0]?.text).toContain('secret:job-schedule-manager/dev/webhooks/*');
    const [, api] = resourceByPrefix(json, 'AWS::Lambda::Function', 'ApiApiFunction');
    expect(Object.keys((api.Properties?.Environment as { Variables: Record<string, unknown> }).Variables)).toEqual(expect.arrayContaining([ENV.webhookSecretPrefix, ENV.webhookSecretKeyArn]));
  });
});
