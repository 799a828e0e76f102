import type { BackfillService } from '../services/backfill-service';
import type { BACKFILL_ROUTES } from './backfill-routes';
import { json, type ApiResult } from './http';
import type { RouteRequest } from './route-kit';

export type BackfillHandlers = { [K in keyof typeof BACKFILL_ROUTES]: (request: RouteRequest<(typeof BACKFILL_ROUTES)[K]>) => Promise<ApiResult> };

/** The backfill routes' handlers: one BackfillService call each. */
export function backfillHandlers(backfills: BackfillService): BackfillHandlers {
  return {
    createBackfill: async ({ params, body }) => {
      const { backfill, created } = await backfills.create(params.clientId, params.scheduleId, body);
      return json(created ? 202 : 200, backfill);
    },
    getBackfill: async ({ params }) => json(200, await backfills.get(params.clientId, params.scheduleId, params.backfillId)),
  };
}
