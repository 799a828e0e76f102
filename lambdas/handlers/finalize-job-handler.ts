import { awsJobSteps } from '../composition/aws-context';
import { lambdaHandler } from '../composition/observability';
import type { FinalizeJobInput } from '../services/steps/step-io';

const steps = awsJobSteps();

/** Step Functions task FinalizeJob: recomputes the job's statistics from stored outcomes. */
export const handler = lambdaHandler('FinalizeJob', ({ runId, seq, executionName }: FinalizeJobInput) => ({ runId, seq, executionName }), (event) =>
  steps.finalizeJob(event),
);
