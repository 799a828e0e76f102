import type { EventBridgeEvent } from 'aws-lambda';
import { awsContext, loggedHandler } from '../composition/aws-context';
import type { ExecutionStatusDetail } from '../services/execution-status-service';

/**
 * EventBridge rule target for "Step Functions Execution Status Change": keeps the run's status
 * true when an execution fails, times out, is aborted or is redriven from the console.
 */
export const handler = loggedHandler('ExecutionStatus', (event: EventBridgeEvent<'Step Functions Execution Status Change', ExecutionStatusDetail>) =>
  awsContext().executionStatus.handle(event.detail),
);
