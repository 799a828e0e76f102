import { awsBeginRunSteps } from '../composition/aws-context';
import { lambdaHandler } from '../composition/observability';
import type { BeginRunInput } from '../services/steps/step-io';

const steps = awsBeginRunSteps();

/** Step Functions task BeginRun: claims or resumes the run (statemachines/schedule-run.asl.json). */
export const handler = lambdaHandler(
  'BeginRun',
  ({ input, executionName }: BeginRunInput) => ({ clientId: input.clientId, scheduleId: input.scheduleId, runId: input.runId ?? input.run?.runId, executionName }),
  (event) => steps.beginRun(event),
);
