import type { AuditLog } from '../ports/audit-log';
import type { ScheduleConfigService } from '../services/schedule-config-service';
import type { AUDIT_ROUTES } from './audit-routes';
import { json, type ApiResult } from './http';
import type { RouteRequest } from './route-kit';

export type AuditHandlers = { [K in keyof typeof AUDIT_ROUTES]: (request: RouteRequest<(typeof AUDIT_ROUTES)[K]>) => Promise<ApiResult> };

const page = (query: { limit: number; nextToken?: string | undefined }) => ({ limit: query.limit, ...(query.nextToken ? { nextToken: query.nextToken } : {}) });

/** The audit trail's and the schedule versions' handlers: one call each, its result as the body. */
export function auditHandlers(audit: AuditLog, schedules: ScheduleConfigService): AuditHandlers {
  return {
    listAudit: async ({ params, query }) =>
      json(200, await audit.list(params.clientId, { ...page(query), ...(query.from ? { from: query.from } : {}), ...(query.to ? { to: query.to } : {}) })),
    listScheduleVersions: async ({ params, query }) => json(200, await schedules.listVersions(params.clientId, params.scheduleId, page(query))),
    getScheduleVersion: async ({ params }) => {
      const { schedule, savedAt, savedBy } = await schedules.getVersion(params.clientId, params.scheduleId, params.version);
      return json(200, { ...schedule, savedAt, savedBy });
    },
  };
}
