import { awsJobSteps } from '../composition/aws-context';
import { lambdaHandler } from '../composition/observability';
import type { BeginJobInput } from '../services/steps/step-io';

const steps = awsJobSteps();

/** Step Functions task BeginJob: starts the next job, or asks to wait out an exception window. */
export const handler = lambdaHandler('BeginJob', ({ runId, executionName }: BeginJobInput) => ({ runId, executionName }), (event) => steps.beginJob(event));
