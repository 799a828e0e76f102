import { SendMessageBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { RunEvent } from '../../domain/run-events';
import type { DeliveryMessage, DeliveryQueue, EventPublisher } from '../../ports/notifications';

/** SQS's longest message delay: a retry further out is re-queued again by its delivery. */
const MAX_DELAY_SECONDS = 900;
const SEND_BATCH = 10;

/** The webhook delivery queue: a retry is the same message again, with its backoff as the delay. */
export class SqsDeliveryQueue implements DeliveryQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(message: DeliveryMessage, delaySeconds: number): Promise<void> {
    await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(message), DelaySeconds: Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.round(delaySeconds))) }));
  }
}

/**
 * Puts run events on the stage's EventBridge bus through its feed queue: an EventBridge Pipe
 * (lib/constructs/notifications.ts) reads the queue and puts each message's JSON body on the bus
 * with detail-type = the event's type. The SDK's EventBridge client is not a dependency of this
 * project, and the pipe also retries and dead-letters what the bus refuses.
 */
export class SqsEventPublisher implements EventPublisher {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async publish(events: RunEvent[]): Promise<void> {
    for (let start = 0; start < events.length; start += SEND_BATCH) {
      const chunk = events.slice(start, start + SEND_BATCH);
      const result = await this.sqs.send(
        new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: chunk.map((event, i) => ({ Id: String(i), MessageBody: JSON.stringify(event) })) }),
      );
      if ((result.Failed ?? []).length > 0) throw new Error(`the bus feed refused ${result.Failed?.length} events: ${result.Failed?.map((f) => f.Code).join(', ')}`);
    }
  }
}
