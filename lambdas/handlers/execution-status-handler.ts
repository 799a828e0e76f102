import type { EventBridgeEvent } from 'aws-lambda';
import { awsExecutionStatus } from '../composition/aws-context';
import { lambdaHandler } from '../composition/observability';
import type { ExecutionStatusDetail } from '../services/execution-status-service';

const executionStatus = awsExecutionStatus();

type ExecutionStatusEvent = EventBridgeEvent<'Step Functions Execution Status Change', ExecutionStatusDetail>;

/**
 * EventBridge rule target for "Step Functions Execution Status Change": keeps the run's status
 * true when an execution fails, times out, is aborted or is redriven from the console.
 */
export const handler = lambdaHandler('ExecutionStatus', (event: ExecutionStatusEvent) => ({ executionName: event.detail.name }), (event) =>
  executionStatus.handle(event.detail),
);
