import { AuditPageSchema, AuditQuerySchema, ScheduleVersionListSchema, ScheduleVersionSchema, VersionListQuerySchema, VersionPathSchema } from './audit-schemas';
import { COMMON_ERRORS, error, route } from './route-kit';
import { ClientPathSchema, SchedulePathSchema } from './schemas';

/** The audit trail and schedule versions (shared/API.md, "Audit trail and schedule versions"). */
export const AUDIT_ROUTES = {
  listAudit: route({
    method: 'GET',
    path: '/v1/clients/{clientId}/audit',
    operationId: 'listAudit',
    summary: 'List the changes made to a client through the API, newest first',
    description:
      'Every successful change (clients, schedules, calendars, subscriptions, ledger writes, triggers, reprocess, reset, backfill, job starts) with its actor (the principal, never a token), action, target, time and what changed (secrets removed). Append-only: no route changes or removes a record.',
    tag: 'Access',
    params: ClientPathSchema,
    query: AuditQuerySchema,
    responses: {
      200: { description: 'A page of the audit trail.', schema: AuditPageSchema },
      ...COMMON_ERRORS,
    },
  }),
  listScheduleVersions: route({
    method: 'GET',
    path: '/v1/clients/{clientId}/schedules/{scheduleId}/versions',
    operationId: 'listScheduleVersions',
    summary: 'List the versions a schedule was saved at, newest first',
    description: 'Every save (create, replace, the daily schedule at onboarding) keeps its version. Versions outlive a deleted schedule.',
    tag: 'Schedules',
    params: SchedulePathSchema,
    query: VersionListQuerySchema,
    responses: {
      200: { description: 'A page of versions.', schema: ScheduleVersionListSchema },
      404: error('No such schedule, and no version of one by that id.'),
      ...COMMON_ERRORS,
    },
  }),
  getScheduleVersion: route({
    method: 'GET',
    path: '/v1/clients/{clientId}/schedules/{scheduleId}/versions/{version}',
    operationId: 'getScheduleVersion',
    summary: 'Read a schedule as it was saved at a version',
    tag: 'Schedules',
    params: VersionPathSchema,
    responses: {
      200: { description: 'The schedule as saved, with savedAt and savedBy.', schema: ScheduleVersionSchema },
      404: error('No such version.'),
      ...COMMON_ERRORS,
    },
  }),
} as const;
