import { awsContext, loggedHandler } from '../composition/aws-context';
import type { JobStepInput } from '../services/step-service';

/** Step Functions task CollectWorkItems: persists the job's batches once and returns those with work left. */
export const handler = loggedHandler('CollectWorkItems', (event: JobStepInput) => awsContext().steps.collectWorkItems(event));
