import { awsJobSteps } from '../composition/aws-context';
import { lambdaHandler } from '../composition/observability';
import type { JobStepInput } from '../services/steps/step-io';

const steps = awsJobSteps();

/** Step Functions task CollectWorkItems: persists the job's batches once and returns those with work left. */
export const handler = lambdaHandler('CollectWorkItems', ({ runId, seq, executionName }: JobStepInput) => ({ runId, seq, executionName }), (event) =>
  steps.collectWorkItems(event),
);
