import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { z } from 'zod';
import type { Role } from '../ports/config-store';
import type { Caller } from './auth';
import { ErrorBodySchema } from './schemas';

/** How a route of the table (route-table.ts, ledger-routes.ts) is declared. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RouteResponse {
  description: string;
  /** The JSON body; absent for 204. */
  schema?: z.ZodType;
  /** Response headers worth documenting (name → description). */
  headers?: Record<string, string>;
}

export interface ApiRoute {
  method: HttpMethod;
  /** The path template, parameters in braces: `/v1/clients/{clientId}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: 'Access' | 'Clients' | 'Schedules' | 'Runs' | 'Ledger';
  /**
   * The least role that may call the route (each role includes the ones before it).
   * @default by leastRole's rule: viewer for a GET, operator under /ledger, admin otherwise
   */
  role?: Role;
  /** The path parameters, one property per `{name}` of `path`. */
  params: z.ZodObject;
  query?: z.ZodObject;
  /** Request headers the route requires. */
  headers?: z.ZodObject;
  body?: z.ZodType;
  responses: Record<number, RouteResponse>;
  /**
   * How a successful change through this route is recorded in the audit trail (the router does
   * it for every route that is not a GET); `false` only for a route that changes nothing.
   * @default action = operationId, target = from the path (see audit-trail.ts)
   */
  audit?: RouteAudit | false;
}

/** The audit trail's view of a change route: what its records name. */
export interface RouteAudit {
  /** @default the route's operationId */
  action?: string;
  /** @default what the path names (`/schedules/{scheduleId}` → `schedule`), or the created resource */
  targetType?: string;
  /** A field of the response body that holds the target's id (what a POST created). @default the path's parameters */
  targetIdField?: string;
  /** Body fields never recorded (secrets), besides the ones audit-trail.ts always drops. */
  omit?: readonly string[];
}

export const error = (description: string): RouteResponse => ({ description, schema: ErrorBodySchema });

/** What any route may answer besides its own outcomes. */
export const COMMON_ERRORS = {
  400: error('Malformed or invalid input: details name each invalid field.'),
  401: error('No or bad credentials.'),
  403: error('The credentials may not act for this client (code FORBIDDEN), or their role may not call this route (code FORBIDDEN_ACTION).'),
  429: error('Too many requests: retry later.'),
  500: error('Unexpected failure (code INTERNAL).'),
} as const;

/** What any route with a JSON body may answer besides. */
export const BODY_ERRORS = {
  413: error('The body is larger than 256 KiB.'),
  415: error('The body is not declared as JSON in UTF-8 (Content-Type: application/json, no other charset).'),
} as const;

export function route<const R extends ApiRoute>(definition: R): R {
  return definition;
}


/** A request after the router has authorised and validated it against its route's schemas. */
export interface RouteRequest<R extends ApiRoute> {
  params: z.output<R['params']>;
  query: R extends { query: infer Q extends z.ZodType } ? z.output<Q> : Record<string, never>;
  body: R extends { body: infer B extends z.ZodType } ? z.output<B> : undefined;
  event: APIGatewayProxyEvent;
  caller: Caller;
}
