import { TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RunJob } from '../../domain/model';
import type { RunTransition } from '../../ports/run-store';
import { jobItem, transitionUpdate } from './dynamo-run-items';
import { writeIfConditionsHold } from './dynamo-toolkit';

/**
 * An operator's start of a MANUAL job (RunRecords.startManualJob): the job with its manualStart
 * and the run's transition in one transaction. The job's condition (still PENDING, no start yet)
 * is what makes two starts at the same moment end with one winner; false for the other.
 */
export function writeManualStart(send: DynamoDBDocumentClient['send'], tableName: string, runId: string, job: RunJob, transition: RunTransition): Promise<boolean> {
  return writeIfConditionsHold(() =>
    send(
      new TransactWriteCommand({
        TransactItems: [
          { Update: transitionUpdate(tableName, runId, transition) },
          {
            Put: {
              TableName: tableName,
              Item: jobItem(runId, job),
              ConditionExpression: 'attribute_exists(pk) AND #status = :pending AND attribute_not_exists(manualStart)',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':pending': 'PENDING' },
            },
          },
        ],
      }),
    ),
  );
}
