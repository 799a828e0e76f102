import { awsContext, loggedHandler } from '../composition/aws-context';
import type { BeginRunInput } from '../services/step-service';

/** Step Functions task BeginRun: claims or resumes the run (statemachines/schedule-run.asl.json). */
export const handler = loggedHandler('BeginRun', (event: BeginRunInput) => awsContext().steps.beginRun(event));
