import { awsContext, loggedHandler } from '../composition/aws-context';
import type { FinalizeJobInput } from '../services/step-service';

/** Step Functions task FinalizeJob: recomputes the job's statistics from stored outcomes. */
export const handler = loggedHandler('FinalizeJob', (event: FinalizeJobInput) => awsContext().steps.finalizeJob(event));
