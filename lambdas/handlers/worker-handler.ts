import type { SQSEvent, SQSBatchResponse } from 'aws-lambda';
import { awsContext, loggedHandler } from '../composition/aws-context';

/**
 * SQS worker: one message is one batch of work items sent by a Map child with a task token.
 * Partial batch responses: a message whose batch could not be finished goes back to the queue.
 */
export const handler = loggedHandler('Worker', (event: SQSEvent): Promise<SQSBatchResponse> => awsContext().worker.handleSqsEvent(event));
