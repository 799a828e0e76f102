import type { LedgerService } from '../services/ledger-service';
import { etag, json, optionalIfMatchVersion, type ApiResult } from './http';
import type { LEDGER_ROUTES } from './ledger-routes';
import type { RouteRequest } from './route-kit';

export type LedgerHandlers = { [K in keyof typeof LEDGER_ROUTES]: (request: RouteRequest<(typeof LEDGER_ROUTES)[K]>) => Promise<ApiResult> };

/** The ledger routes' handlers: one LedgerService call each, its result as a status and body. */
export function ledgerHandlers(ledger: LedgerService): LedgerHandlers {
  const page = (query: { limit: number; nextToken?: string | undefined }) => ({ limit: query.limit, ...(query.nextToken ? { nextToken: query.nextToken } : {}) });
  return {
    putRatePlan: async ({ params, body, event }) => {
      const { plan, created } = await ledger.putRatePlan(params.clientId, params.ratePlanId, body, optionalIfMatchVersion(event));
      return json(created ? 201 : 200, plan, { etag: etag(plan.version) });
    },
    listRatePlans: async ({ params, query }) => json(200, await ledger.listRatePlans(params.clientId, page(query))),
    getRatePlan: async ({ params }) => {
      const plan = await ledger.getRatePlan(params.clientId, params.ratePlanId);
      return json(200, plan, { etag: etag(plan.version) });
    },
    putAccount: async ({ params, body }) => {
      const { account, created } = await ledger.putAccount(params.clientId, params.accountId, body);
      return json(created ? 201 : 200, account);
    },
    listAccounts: async ({ params, query }) => json(200, await ledger.listAccounts(params.clientId, page(query))),
    getAccount: async ({ params }) => json(200, await ledger.getAccount(params.clientId, params.accountId)),
    importUsage: async ({ params, body }) => json(200, await ledger.importUsage(params.clientId, body.records)),
    listUsage: async ({ params, query }) =>
      json(200, await ledger.listUsage(params.clientId, { state: query.state, ...(query.accountId ? { accountId: query.accountId } : {}) }, page(query))),
    discardUsage: async ({ params, body, caller }) => json(200, await ledger.discardUsage(params.clientId, body.keys, body.reason, caller.principal)),
    createRerateRequest: async ({ params, body }) => json(201, await ledger.createRerateRequest(params.clientId, body)),
    listRerateRequests: async ({ params, query }) => json(200, await ledger.listRerateRequests(params.clientId, query.status, page(query))),
    cancelRerateRequest: async ({ params }) => {
      await ledger.cancelRerateRequest(params.clientId, params.accountId, params.requestId);
      return { status: 204 };
    },
    listInvoices: async ({ params, query }) =>
      json(200, await ledger.listInvoices(params.clientId, { ...(query.accountId ? { accountId: query.accountId } : {}), ...(query.periodId ? { periodId: query.periodId } : {}) }, page(query))),
  };
}
