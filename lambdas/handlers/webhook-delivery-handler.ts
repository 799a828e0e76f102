import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { awsWebhookDelivery } from '../composition/aws-context';
import { lambdaHandler } from '../composition/observability';
import type { DeliveryMessage } from '../ports/notifications';

const delivery = awsWebhookDelivery();

/**
 * One message is one attempt of one event's delivery to one subscription. A message whose
 * attempt threw (not a refused or silent receiver: that is recorded and re-queued with its delay)
 * goes back to the queue; after five receives, to the dead-letter queue, which is alarmed.
 */
export const handler = lambdaHandler('WebhookDelivery', () => ({}), (event: SQSEvent): Promise<SQSBatchResponse> =>
  processPartialResponse(event, async (record: SQSRecord) => {
    await delivery.deliver(JSON.parse(record.body) as DeliveryMessage);
  }, new BatchProcessor(EventType.SQS), { throwOnFullBatchFailure: false }),
);
