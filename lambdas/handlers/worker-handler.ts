import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { awsWorker } from '../composition/aws-context';
import { lambdaHandler, type RunKeys } from '../composition/observability';
import { BatchMessageSchema } from '../services/worker-service';

const worker = awsWorker();

const BatchKeysSchema = BatchMessageSchema.pick({ runId: true, seq: true, batchNo: true, executionName: true });

/**
 * The deployed queue delivers one message at a time (batchSize 1): its batch's keys go on every
 * log line. A message that is not a batch has none; the worker reports it.
 */
function batchKeys(event: SQSEvent): RunKeys {
  const [record] = event.Records;
  if (!record || event.Records.length > 1) return {};
  try {
    return BatchKeysSchema.safeParse(JSON.parse(record.body)).data ?? {};
  } catch {
    return {};
  }
}

/**
 * SQS worker: one message is one batch of work items sent by a Map child with a task token.
 * Partial batch responses: a message whose batch could not be finished goes back to the queue.
 */
export const handler = lambdaHandler('Worker', batchKeys, (event): Promise<SQSBatchResponse> => worker.handleSqsEvent(event));
