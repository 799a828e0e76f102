import { COMMON_ERRORS, route } from './route-kit';
import { AllRunsQuerySchema, NoPathSchema, RunListSchema } from './schemas';

/** The failure inbox over clients (shared/API.md, "Failures across dates and clients"). */
export const INBOX_ROUTES = {
  listAllRuns: route({
    method: 'GET',
    path: '/v1/runs',
    operationId: 'listAllRuns',
    summary: 'List the runs of every client the caller may act for over a date range, newest first',
    description:
      'One inbox for operators of many clients: from and to (at most 366 days) are processing dates; the admin sees every client. Newest processing date first, then by client; paged with limit and nextToken.',
    tag: 'Runs',
    params: NoPathSchema,
    query: AllRunsQuerySchema,
    responses: {
      200: { description: 'A page of runs.', schema: RunListSchema },
      ...COMMON_ERRORS,
    },
  }),
} as const;
