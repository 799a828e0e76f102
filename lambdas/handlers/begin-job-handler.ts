import { awsContext, loggedHandler } from '../composition/aws-context';
import type { BeginJobInput } from '../services/step-service';

/** Step Functions task BeginJob: starts the next job, or asks to wait out an exception window. */
export const handler = loggedHandler('BeginJob', (event: BeginJobInput) => awsContext().steps.beginJob(event));
