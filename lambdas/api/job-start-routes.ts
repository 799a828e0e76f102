import { route, COMMON_ERRORS, error } from './route-kit';
import { JobItemsPathSchema, RunSchema } from './schemas';

/** Starting a MANUAL job of a waiting run (API.md, Business-day calendars, dependencies, backfill). */
export const JOB_START_ROUTES = {
  startRunJob: route({
    method: 'POST',
    path: '/v1/clients/{clientId}/runs/{runId}/jobs/{seq}/start',
    operationId: 'startRunJob',
    summary: 'Start a MANUAL job the run waits at',
    role: 'operator',
    description:
      'A job whose start is MANUAL holds its run (RUNNING, waitingReason MANUAL_JOB) until an operator starts it here. The start is recorded with the caller; the run goes on at its next check (within a minute during its first hour of waiting, then within five).',
    tag: 'Runs',
    params: JobItemsPathSchema,
    responses: {
      202: { description: 'The run, with the job’s manualStart recorded.', schema: RunSchema },
      404: error('No such run or job.'),
      409: error('The run is not waiting at this job (code NOT_WAITING_AT_JOB): it is not RUNNING, waits for something else, or the job was already started.'),
      ...COMMON_ERRORS,
    },
  }),
} as const;
