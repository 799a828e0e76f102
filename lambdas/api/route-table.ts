import type { Role } from '../ports/config-store';
import { CALENDAR_ROUTES } from './calendar-routes';
import { JOB_START_ROUTES } from './job-start-routes';
import { BACKFILL_ROUTES } from './backfill-routes';
import { LEDGER_ROUTES } from './ledger-routes';
import { NOTIFICATION_ROUTES } from './notification-routes';
import { AUDIT_ROUTES } from './audit-routes';
import { INBOX_ROUTES } from './inbox-routes';
import { BODY_ERRORS, COMMON_ERRORS, error, route, type ApiRoute } from './route-kit';
import {
  CatalogueSchema,
  ClientBodySchema,
  ClientPathSchema,
  ClientSchema,
  IfMatchHeaderSchema,
  ItemListQuerySchema,
  ItemPageSchema,
  JobItemsPathSchema,
  MeSchema,
  NoPathSchema,
  PreviewBodySchema,
  PreviewSchema,
  ReprocessBodySchema,
  RunDatePathSchema,
  RunListQuerySchema,
  RunListSchema,
  RunPathSchema,
  RunSchema,
  ScheduleBodySchema,
  ScheduleListSchema,
  SchedulePathSchema,
  ScheduleSchema,
  TriggerBodySchema,
} from './schemas';

const ETAG = { ETag: 'The schedule’s version, as an entity tag ("3"): send it back in If-Match.' };

export type { ApiRoute, HttpMethod, RouteResponse } from './route-kit';

/**
 * Every route of the HTTP API (shared/API.md), once. The router binds a handler to each entry,
 * docs/openapi.json is generated from them, and the CDK api construct may build its API Gateway
 * resources from them.
 */
export const ROUTES = {
  getCatalogue: route({
    method: 'GET',
    path: '/v1/catalogue',
    operationId: 'getCatalogue',
    summary: 'Read the words for schedules and runs, and the job types this deployment runs',
    description: 'Job types, frequency types, weekdays, overlap policies, waiting and skip reasons, each with its label. For any signed-in caller: no client is involved.',
    tag: 'Schedules',
    params: NoPathSchema,
    responses: {
      200: { description: 'The catalogue.', schema: CatalogueSchema },
      ...COMMON_ERRORS,
    },
  }),
  getMe: route({
    method: 'GET',
    path: '/v1/me',
    operationId: 'getMe',
    summary: 'Who the credentials are: the actor, and each client they may act for with its role',
    description: 'A console asks once after sign-in, to offer only what the role may do.',
    tag: 'Access',
    params: NoPathSchema,
    responses: {
      200: { description: 'The caller.', schema: MeSchema },
      ...COMMON_ERRORS,
    },
  }),
  putClient: route({
    method: 'PUT',
    path: '/v1/clients/{clientId}',
    operationId: 'putClient',
    summary: 'Onboard a client, or update its name and time zone',
    description: 'The first PUT onboards the client and creates its mandatory daily schedule (USAGE_RATING → SYNC_TRANSACTIONS → BILLING).',
    tag: 'Clients',
    params: ClientPathSchema,
    body: ClientBodySchema,
    responses: {
      200: { description: 'The client, updated.', schema: ClientSchema },
      201: { description: 'The client, onboarded with its mandatory daily schedule.', schema: ClientSchema },
      ...COMMON_ERRORS,
      ...BODY_ERRORS,
    },
  }),
  getClient: route({
    method: 'GET',
    path: '/v1/clients/{clientId}',
    operationId: 'getClient',
    summary: 'Read a client',
    tag: 'Clients',
    params: ClientPathSchema,
    responses: {
      200: { description: 'The client.', schema: ClientSchema },
      404: error('No such client.'),
      ...COMMON_ERRORS,
    },
  }),
  createSchedule: route({
    method: 'POST',
    path: '/v1/clients/{clientId}/schedules',
    operationId: 'createSchedule',
    summary: 'Create a schedule',
    tag: 'Schedules',
    params: ClientPathSchema,
    body: ScheduleBodySchema,
    responses: {
      201: { description: 'The schedule, at version 1.', schema: ScheduleSchema, headers: { ...ETAG, Location: 'The schedule’s URL.' } },
      404: error('No such client.'),
      409: error('A schedule with this name (case-insensitive) exists (code NAME_TAKEN).'),
      ...COMMON_ERRORS,
      ...BODY_ERRORS,
    },
  }),
  listSchedules: route({
    method: 'GET',
    path: '/v1/clients/{clientId}/schedules',
    operationId: 'listSchedules',
    summary: 'List the client’s schedules',
    tag: 'Schedules',
    params: ClientPathSchema,
    responses: {
      200: { description: 'Every schedule of the client.', schema: ScheduleListSchema },
      404: error('No such client.'),
      ...COMMON_ERRORS,
    },
  }),
  getSchedule: route({
    method: 'GET',
    path: '/v1/clients/{clientId}/schedules/{scheduleId}',
    operationId: 'getSchedule',
    summary: 'Read a schedule with its next occurrences',
    description: '`daily` is an alias for the client’s mandatory daily schedule.',
    tag: 'Schedules',
    params: SchedulePathSchema,
    responses: {
      200: { description: 'The schedule.', schema: ScheduleSchema, headers: ETAG },
      404: error('No such client or schedule.'),
      ...COMMON_ERRORS,
    },
  }),
  replaceSchedule: route({
    method: 'PUT',
    path: '/v1/clients/{clientId}/schedules/{scheduleId}',
    operationId: 'replaceSchedule',
    summary: 'Replace a schedule’s configuration',
    description:
      'Optimistic concurrency: If-Match carries the version the change is based on. The mandatory daily schedule keeps its DAILY frequency and its BILLING job.',
    tag: 'Schedules',
    params: SchedulePathSchema,
    headers: IfMatchHeaderSchema,
    body: ScheduleBodySchema,
    responses: {
      200: { description: 'The schedule, at the next version.', schema: ScheduleSchema, headers: ETAG },
      404: error('No such client or schedule.'),
      409: error('The name is taken (NAME_TAKEN), or the change would break the mandatory daily schedule (MANDATORY_SCHEDULE).'),
      412: error('If-Match is not the current version (code STALE_VERSION): read the schedule again.'),
      428: error('If-Match is missing (code PRECONDITION_REQUIRED).'),
      ...COMMON_ERRORS,
      ...BODY_ERRORS,
    },
  }),
  deleteSchedule: route({
    method: 'DELETE',
    path: '/v1/clients/{clientId}/schedules/{scheduleId}',
    operationId: 'deleteSchedule',
    summary: 'Delete a schedule',
    tag: 'Schedules',
    params: SchedulePathSchema,
    responses: {
      204: { description: 'Deleted; past runs keep their configuration snapshot.' },
      404: error('No such client or schedule.'),
      409: error('The mandatory daily schedule cannot be deleted (code MANDATORY_SCHEDULE), nor one that other schedules depend on (code SCHEDULE_DEPENDED_ON, naming them).'),
      ...COMMON_ERRORS,
    },
  }),
  previewSchedule: route({
    method: 'POST',
    path: '/v1/clients/{clientId}/schedule-preview',
    operationId: 'previewSchedule',
    summary: 'Preview the occurrences of a calendar without saving anything',
    audit: false,
    role: 'viewer',
    description: 'The next `count` occurrences strictly after `from`, computed by the same code that fires schedules.',
    tag: 'Schedules',
    params: ClientPathSchema,
    body: PreviewBodySchema,
    responses: {
      200: { description: 'The occurrences.', schema: PreviewSchema },
      ...COMMON_ERRORS,
      ...BODY_ERRORS,
    },
  }),
  triggerRun: route({
    method: 'POST',
    path: '/v1/clients/{clientId}/schedules/{scheduleId}/runs',
    operationId: 'triggerRun',
    summary: 'Run a schedule for a processing date (idempotent)',
    role: 'caller',
    description: 'A system (core billing) triggers with trigger API, the default; a person (the console) with MANUAL.',
    tag: 'Runs',
    params: SchedulePathSchema,
    body: TriggerBodySchema,
    responses: {
      200: { description: 'The schedule already has a run for this date that is not RESET: that run.', schema: RunSchema },
      202: { description: 'The new run; it reads PENDING or RUNNING until it ends.', schema: RunSchema },
      404: error('No such client or schedule.'),
      409: error('The run cannot be started in the current state.'),
      ...COMMON_ERRORS,
      ...BODY_ERRORS,
    },
  }),
  getRunByDate: route({
    method: 'GET',
    path: '/v1/clients/{clientId}/schedules/{scheduleId}/runs/{processingDate}',
    operationId: 'getRunByDate',
    summary: 'Read the current run of a schedule for a processing date',
    tag: 'Runs',
    params: RunDatePathSchema,
    responses: {
      200: { description: 'The run.', schema: RunSchema },
      404: error('No run for that date.'),
      ...COMMON_ERRORS,
    },
  }),
  listRuns: route({
    method: 'GET',
    path: '/v1/clients/{clientId}/runs',
    operationId: 'listRuns',
    summary: 'List the client’s runs of a processing date, or of a date range (paged, newest first)',
    description: '`date=` lists every run of that date; `from`/`to` (at most 366 days) a page of the range, newest processing date first.',
    tag: 'Runs',
    params: ClientPathSchema,
    query: RunListQuerySchema,
    responses: {
      200: { description: 'The runs.', schema: RunListSchema },
      ...COMMON_ERRORS,
    },
  }),
  getRun: route({
    method: 'GET',
    path: '/v1/clients/{clientId}/runs/{runId}',
    operationId: 'getRun',
    summary: 'Read a run (poll until COMPLETED, FAILED or SKIPPED)',
    tag: 'Runs',
    params: RunPathSchema,
    responses: {
      200: { description: 'The run.', schema: RunSchema },
      404: error('No such run.'),
      ...COMMON_ERRORS,
    },
  }),
  listRunItems: route({
    method: 'GET',
    path: '/v1/clients/{clientId}/runs/{runId}/jobs/{seq}/items',
    operationId: 'listRunItems',
    summary: 'List the work items of a job of a run, a page at a time',
    tag: 'Runs',
    params: JobItemsPathSchema,
    query: ItemListQuerySchema,
    responses: {
      200: { description: 'A page of items.', schema: ItemPageSchema },
      404: error('No such run or job.'),
      ...COMMON_ERRORS,
    },
  }),
  reprocessRun: route({
    method: 'POST',
    path: '/v1/clients/{clientId}/runs/{runId}/reprocess',
    operationId: 'reprocessRun',
    summary: 'Reprocess a run: every failed job, or one job and the rest of the sequence',
    role: 'operator',
    tag: 'Runs',
    params: RunPathSchema,
    body: ReprocessBodySchema,
    responses: {
      202: { description: 'The run, PENDING again.', schema: RunSchema },
      404: error('No such run or job.'),
      409: error('The run is RUNNING, or not FAILED or COMPLETED.'),
      ...COMMON_ERRORS,
      ...BODY_ERRORS,
    },
  }),
  resetRun: route({
    method: 'POST',
    path: '/v1/clients/{clientId}/runs/{runId}/reset',
    operationId: 'resetRun',
    summary: 'Reset a run: stop it and free its date for a new attempt',
    role: 'operator',
    tag: 'Runs',
    params: RunPathSchema,
    responses: {
      200: { description: 'The run, RESET.', schema: RunSchema },
      404: error('No such run.'),
      409: error('The run is already RESET.'),
      ...COMMON_ERRORS,
      ...BODY_ERRORS,
    },
  }),
  ...LEDGER_ROUTES,
  ...BACKFILL_ROUTES,
  ...JOB_START_ROUTES,
  ...NOTIFICATION_ROUTES,
  ...AUDIT_ROUTES,
  ...INBOX_ROUTES,
  ...CALENDAR_ROUTES,
} as const;

export type OperationId = keyof typeof ROUTES;

/**
 * The least role that may call a route (API.md, Roles): its own `role`, else by method and path,
 * so a route added later is covered without a line here: every GET is a viewer's, every change
 * under `/ledger` an operator's, any other change (clients, schedules, calendars,
 * subscriptions) an admin's.
 */
export function leastRole(route: Pick<ApiRoute, 'method' | 'path' | 'role'>): Role {
  if (route.role) return route.role;
  if (route.method === 'GET') return 'viewer';
  return /^\/v1\/clients\/\{clientId\}\/ledger(\/|$)/.test(route.path) ? 'operator' : 'admin';
}

/** One entry per route of shared/API.md. */
export const API_ROUTES: readonly ApiRoute[] = Object.values(ROUTES);
