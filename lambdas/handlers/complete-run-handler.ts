import { awsJobSteps } from '../composition/aws-context';
import { lambdaHandler } from '../composition/observability';
import type { CompleteRunInput } from '../services/steps/step-io';

const steps = awsJobSteps();

/** Step Functions task CompleteRun: the run's last step. */
export const handler = lambdaHandler('CompleteRun', ({ runId, executionName }: CompleteRunInput) => ({ runId, executionName }), (event) => steps.completeRun(event));
