import { ChangeMessageVisibilityCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { WorkQueue } from '../../ports/work-queue';

/** The work queue's ChangeMessageVisibility, for the message a worker was just handed. */
export class SqsWorkQueue implements WorkQueue {
  constructor(private readonly sqs: SQSClient) {}

  async changeMessageVisibility(queueArn: string, receiptHandle: string, seconds: number): Promise<void> {
    await this.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrlOf(queueArn), ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }));
  }
}

/**
 * An SQS record names its queue by ARN; the API wants the URL:
 * arn:aws:sqs:eu-west-1:123456789012:name → https://sqs.eu-west-1.amazonaws.com/123456789012/name
 */
export function queueUrlOf(queueArn: string): string {
  const [arn, partition, service, region, account, name] = queueArn.split(':');
  if (arn !== 'arn' || service !== 'sqs' || !region || !account || !name) throw new Error(`Not an SQS queue ARN: ${queueArn}`);
  const domain = partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://sqs.${region}.${domain}/${account}/${name}`;
}
