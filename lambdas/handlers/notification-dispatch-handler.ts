import type { DynamoDBStreamEvent } from 'aws-lambda';
import { awsNotificationDispatcher } from '../composition/aws-context';
import { lambdaHandler } from '../composition/observability';
import type { RunEvent } from '../domain/run-events';

const dispatcher = awsNotificationDispatcher();

/**
 * Two triggers: the runs table's stream, filtered to inserts of outbox entries (dispatch those
 * events), and a schedule every minute (the sweep: deadlines, and any event the stream path
 * failed to dispatch). A stream batch that throws is retried by the event source mapping.
 */
export const handler = lambdaHandler('NotificationDispatch', () => ({}), async (event: Partial<DynamoDBStreamEvent>) => {
  if (!event.Records) return dispatcher.sweep();
  const events = event.Records.flatMap((record) => {
    const body = record.dynamodb?.NewImage?.body?.S;
    return body ? [JSON.parse(body) as RunEvent] : [];
  });
  await dispatcher.dispatch(events);
  return { dispatched: events.length };
});
