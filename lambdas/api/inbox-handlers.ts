import type { RunOperations } from '../services/run-operations';
import { json, type ApiResult } from './http';
import type { INBOX_ROUTES } from './inbox-routes';
import type { RouteRequest } from './route-kit';

export type InboxHandlers = { [K in keyof typeof INBOX_ROUTES]: (request: RouteRequest<(typeof INBOX_ROUTES)[K]>) => Promise<ApiResult> };

/** GET /v1/runs: the caller's grants are the scope, so a client-scoped token sees its clients only. */
export function inboxHandlers(runs: RunOperations): InboxHandlers {
  return {
    listAllRuns: async ({ caller, query }) => {
      const scope = caller.grants.has('*') ? 'EVERY_CLIENT' : { clientIds: [...caller.grants.keys()] };
      const { from, to, limit, status, nextToken } = query;
      return json(200, await runs.listRunRange(scope, { from, to, limit, ...(status ? { status } : {}), ...(nextToken ? { nextToken } : {}) }));
    },
  };
}
