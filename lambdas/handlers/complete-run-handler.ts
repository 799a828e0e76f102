import { awsContext, loggedHandler } from '../composition/aws-context';
import type { CompleteRunInput } from '../services/step-service';

/** Step Functions task CompleteRun: the run's last step. */
export const handler = loggedHandler('CompleteRun', (event: CompleteRunInput) => awsContext().steps.completeRun(event));
