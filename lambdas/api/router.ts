import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { z } from 'zod';
import { resolveScheduleId } from '../domain/run';
import type { BackfillService } from '../services/backfill-service';
import type { LedgerService } from '../services/ledger-service';
import type { NotificationService } from '../services/notification-service';
import type { AuditLog, AuditRecord } from '../ports/audit-log';
import type { Clock } from '../ports/clock';
import { systemClock } from '../domain/system-clock';
import type { JobStartOperations, RunOperations } from '../services/run-operations';
import type { ScheduleConfigService } from '../services/schedule-config-service';
import { mayActFor, roleFor, roleIncludes, type Authorizer } from './auth';
import { backfillHandlers } from './backfill-handlers';
import { jobStartHandlers } from './job-start-handlers';
import { calendarHandlers } from './calendar-handlers';
import { ledgerHandlers } from './ledger-handlers';
import { notificationHandlers } from './notification-handlers';
import { auditHandlers } from './audit-handlers';
import { auditRecordFor } from './audit-trail';
import { inboxHandlers } from './inbox-handlers';
import { errorResult, etag, HttpError, ifMatchVersion, json, jsonBody, knownErrorResult, queryOf, toProxyResult, validationFailure, type ApiResult } from './http';
import type { RouteRequest } from './route-kit';
import { API_ROUTES, leastRole, type ApiRoute, type OperationId, type ROUTES } from './route-table';

/** The log message of a change whose audit record could not be written (docs/audit-and-inbox.md). */
export const AUDIT_WRITE_FAILED = 'audit record not written';

/** What the API logs: the Powertools Logger fits, and so does `console`. */
export interface ApiLogger {
  error(message: string, ...extra: unknown[]): void;
}

export interface ApiDependencies {
  schedules: ScheduleConfigService;
  runs: RunOperations;
  ledger: LedgerService;
  /** Webhook subscriptions and their delivery logs. */
  notifications: NotificationService;
  backfills: BackfillService;
  jobStarts: JobStartOperations;
  authorizer: Authorizer;
  /** Where the router records every successful change (audit-trail.ts). */
  audit: AuditLog;
  /** The time an audit record carries: the runtime's or harness's clock. @default systemClock */
  clock?: Clock;
  /** @default console */
  logger?: ApiLogger;
}

export type ApiHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

export type { RouteRequest } from './route-kit';

type RouteHandlers = { [K in OperationId]: (request: RouteRequest<(typeof ROUTES)[K]>) => Promise<ApiResult> };

/**
 * One handler per route: map the validated request to one service call and its result to a
 * status and body. Everything else (auth, validation, errors) is the router's.
 */
function routeHandlers({ schedules, runs, ledger, backfills, jobStarts, audit, notifications }: ApiDependencies): RouteHandlers {
  const scheduleResult = (status: number, schedule: { version: number }): ApiResult => json(status, schedule, { etag: etag(schedule.version) });
  return {
    getMe: async ({ caller }) =>
      json(200, {
        actor: caller.principal,
        clients: [...caller.grants].map(([clientId, role]) => ({ clientId, role })).sort((a, b) => a.clientId.localeCompare(b.clientId)),
      }),
    putClient: async ({ params, body, caller }) => {
      const { client, created } = await schedules.putClient(params.clientId, body, caller.principal);
      return json(created ? 201 : 200, client);
    },
    getClient: async ({ params }) => json(200, await schedules.getClient(params.clientId)),
    createSchedule: async ({ params, body, caller }) => {
      const schedule = await schedules.createSchedule(params.clientId, body, caller.principal);
      return json(201, schedule, { etag: etag(schedule.version), location: `/v1/clients/${params.clientId}/schedules/${schedule.scheduleId}` });
    },
    listSchedules: async ({ params }) => json(200, { items: await schedules.listSchedules(params.clientId) }),
    getSchedule: async ({ params }) => scheduleResult(200, await schedules.getSchedule(params.clientId, params.scheduleId)),
    replaceSchedule: async ({ params, body, event, caller }) => {
      const expectedVersion = ifMatchVersion(event);
      return scheduleResult(200, await schedules.replaceSchedule(params.clientId, params.scheduleId, body, expectedVersion, caller.principal));
    },
    deleteSchedule: async ({ params }) => {
      await schedules.deleteSchedule(params.clientId, params.scheduleId);
      return { status: 204 };
    },
    previewSchedule: async ({ params, body }) => json(200, { occurrences: await schedules.preview(params.clientId, body) }),
    triggerRun: async ({ params, body }) => {
      const { run, created } = await runs.trigger(params.clientId, resolveScheduleId(params.scheduleId), body);
      return json(created ? 202 : 200, run);
    },
    getRunByDate: async ({ params }) =>
      json(200, await runs.getRunByDate(params.clientId, resolveScheduleId(params.scheduleId), params.processingDate)),
    listRuns: async ({ params, query }) => {
      const { date, from, to, status, limit, nextToken } = query;
      const scheduleId = query.scheduleId === undefined ? undefined : resolveScheduleId(query.scheduleId);
      if (date !== undefined) return json(200, { items: await runs.listRuns(params.clientId, { date, scheduleId, status }) });
      // The schema lets a list without date through only with both from and to.
      const range = { from: from as string, to: to as string, limit, ...(scheduleId ? { scheduleId } : {}), ...(status ? { status } : {}), ...(nextToken ? { nextToken } : {}) };
      return json(200, await runs.listRunRange({ clientIds: [params.clientId] }, range));
    },
    getRun: async ({ params }) => json(200, await runs.getRun(params.clientId, params.runId)),
    listRunItems: async ({ params, query }) => json(200, await runs.listItems(params.clientId, params.runId, params.seq, query)),
    reprocessRun: async ({ params, body }) => json(202, await runs.reprocess(params.clientId, params.runId, body)),
    resetRun: async ({ params }) => json(200, await runs.reset(params.clientId, params.runId)),
    getCatalogue: async () => json(200, schedules.catalogue()),
    ...ledgerHandlers(ledger),
    ...notificationHandlers(notifications),
    ...auditHandlers(audit, schedules),
    ...inboxHandlers(runs),
    ...calendarHandlers(schedules.calendars),
    ...backfillHandlers(backfills),
    ...jobStartHandlers(jobStarts),
  };
}

interface BoundRoute {
  route: ApiRoute;
  pattern: RegExp;
  names: string[];
  handle: (request: RouteRequest<ApiRoute>) => Promise<ApiResult>;
}

function bind(route: ApiRoute, handle: BoundRoute['handle']): BoundRoute {
  const names: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      const name = /^\{(\w+)\}$/.exec(segment)?.[1];
      if (!name) return segment.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
      names.push(name);
      return '([^/]+)';
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}$`), names, handle };
}

/**
 * The request path the routes are matched against. Where API Gateway matched a resource (a route
 * template or a `{proxy+}`), the path is rebuilt from the resource and its path parameters, so a
 * custom domain's base path (which API Gateway leaves in `event.path`) does not hide the route.
 */
function requestPath(event: APIGatewayProxyEvent): string {
  const parameters = event.pathParameters ?? {};
  let complete = Boolean(event.resource);
  const rebuilt = (event.resource ?? '').replace(/\{(\w+)\+?\}/g, (_, name: string) => {
    const value = parameters[name];
    if (value === undefined) complete = false;
    return value ?? '';
  });
  const path = complete ? rebuilt : event.path;
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

function decodeSegment(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function validated<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input);
  if (!result.success) throw validationFailure(result.error);
  return result.data;
}

/**
 * The HTTP API as one function over API Gateway REST (v1) proxy events: the Lambda handler and
 * the local runtime's HTTP server both call it, so both answer with the same routes, statuses
 * and error model (shared/API.md).
 */
export function createApi(deps: ApiDependencies): ApiHandler {
  const logger = deps.logger ?? console;
  const clock = deps.clock ?? systemClock;
  const handlers = routeHandlers(deps);
  const routes = API_ROUTES.map((route) => bind(route, handlers[route.operationId as OperationId] as BoundRoute['handle']));

  async function dispatch(event: APIGatewayProxyEvent): Promise<ApiResult> {
    const path = requestPath(event);
    const matching = routes.filter((candidate) => candidate.pattern.test(path));
    if (matching.length === 0) throw new HttpError(404, 'NOT_FOUND', `no route for ${path}`);
    const method = event.httpMethod.toUpperCase();
    const bound = matching.find((candidate) => candidate.route.method === method);
    if (!bound) {
      const allow = matching.map((candidate) => candidate.route.method).join(', ');
      throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}; use ${allow}`, [], { allow });
    }
    const values = bound.pattern.exec(path)?.slice(1) ?? [];
    const rawParams = Object.fromEntries(bound.names.map((name, index) => [name, decodeSegment(values[index] ?? '')]));

    const caller = await deps.authorizer.authorize(event);
    if (!caller) throw new HttpError(401, 'UNAUTHORIZED', 'missing or invalid credentials');
    const clientId = rawParams.clientId;
    if (clientId !== undefined && !mayActFor(caller, clientId)) {
      throw new HttpError(403, 'FORBIDDEN', `these credentials may not act for client ${clientId}`);
    }
    // Without a client in the path (GET /v1/me) the caller's highest role counts, and a caller
    // with no grant is a viewer: such a route shows only what the credentials themselves may see.
    const needed = leastRole(bound.route);
    const held = roleFor(caller, clientId) ?? 'viewer';
    if (!roleIncludes(held, needed)) {
      const scope = clientId === undefined ? '' : ` for client ${clientId}`;
      throw new HttpError(403, 'FORBIDDEN_ACTION', `${method} ${bound.route.path} needs the ${needed} role; these credentials are ${held}${scope}`);
    }

    const params = validated(bound.route.params, rawParams);
    const query = bound.route.query ? validated(bound.route.query, queryOf(event)) : {};
    const rawBody = method === 'POST' || method === 'PUT' ? jsonBody(event) : undefined;
    if (bound.route.body && rawBody === undefined) {
      throw new HttpError(400, 'VALIDATION_FAILED', 'this route needs a JSON body', [{ path: '', message: 'required' }]);
    }
    const body = bound.route.body ? validated(bound.route.body, rawBody) : undefined;
    const result = await bound.handle({ params, query, body, event, caller } as RouteRequest<ApiRoute>);
    await recordChange(auditRecordFor(bound.route, { params, body, caller }, result, clock.now().toISOString()));
    return result;
  }

  /**
   * After the change succeeded: the caller gets its answer even when the record cannot be
   * written (answering 500 would invite a retry of a change that happened), and the record goes
   * to the error log whole, under one message an alarm can match.
   */
  async function recordChange(record: AuditRecord | undefined): Promise<void> {
    if (!record) return;
    try {
      await deps.audit.append(record);
    } catch (error) {
      logger.error(AUDIT_WRITE_FAILED, { record, error: error instanceof Error ? { name: error.name, message: error.message } : String(error) });
    }
  }

  return async (event) => {
    try {
      return toProxyResult(await dispatch(event));
    } catch (error) {
      const known = knownErrorResult(error);
      if (known) return toProxyResult(known);
      logger.error('unhandled error in API request', {
        method: event.httpMethod,
        path: event.path,
        requestId: event.requestContext?.requestId,
        error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error),
      });
      return toProxyResult(errorResult(500, 'INTERNAL', 'internal error'));
    }
  };
}
