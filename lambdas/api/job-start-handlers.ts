import type { JobStartOperations } from '../services/run-operations';
import { json, type ApiResult } from './http';
import type { JOB_START_ROUTES } from './job-start-routes';
import type { RouteRequest } from './route-kit';

export type JobStartHandlers = { [K in keyof typeof JOB_START_ROUTES]: (request: RouteRequest<(typeof JOB_START_ROUTES)[K]>) => Promise<ApiResult> };

/** The job start route's handler: one JobStartOperations call, the run as a 202. */
export function jobStartHandlers(jobStarts: JobStartOperations): JobStartHandlers {
  return {
    startRunJob: async ({ params, caller }) => json(202, await jobStarts.startJob(params.clientId, params.runId, params.seq, caller.principal)),
  };
}
