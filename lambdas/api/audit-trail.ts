import type { AuditRecord } from '../ports/audit-log';
import type { Caller } from './auth';
import type { ApiResult } from './http';
import type { ApiRoute, RouteAudit } from './route-kit';

/** Body fields that never reach the audit trail, at any depth: secrets and credentials. */
const SECRET_FIELD = /secret|token|password|api-?key|authorization|credential/i;

/** Where a change without a client in its path is recorded. */
export const NO_CLIENT = '*';

export interface AuditedRequest {
  params: Record<string, unknown>;
  body: unknown;
  caller: Pick<Caller, 'principal'>;
}

/**
 * The audit record of a successful request, or undefined for a route that changes nothing (a GET,
 * or `audit: false`). Every other route is recorded without a line of its own: the action is its
 * operationId and the target comes from its path (and, for a create, from the created resource),
 * so a route added later is covered as soon as it is in the table.
 */
export function auditRecordFor(route: ApiRoute, request: AuditedRequest, result: ApiResult, at: string): AuditRecord | undefined {
  if (route.method === 'GET' || route.audit === false) return undefined;
  const audit: RouteAudit = route.audit ?? {};
  const response = isObject(result.body) ? result.body : {};
  const details: Record<string, unknown> = {};
  const body = withoutSecrets(request.body, new Set(audit.omit ?? []));
  if (body !== undefined) details.body = body;
  if (typeof response.version === 'number') details.version = response.version;
  if (typeof response.status === 'string') details.status = response.status;
  return {
    clientId: typeof request.params.clientId === 'string' ? request.params.clientId : NO_CLIENT,
    at,
    actor: request.caller.principal,
    action: audit.action ?? route.operationId,
    target: targetOf(route, audit, request.params, response),
    details,
  };
}

/**
 * The target: the resource a POST to a collection created (`…/runs` answers `runId`), else the
 * resource the path names by its parameters (`/rate-plans/{ratePlanId}` → ratePlan), else the
 * first segment after the client (`/ledger/usage` → ledger), else the client itself.
 */
function targetOf(route: ApiRoute, audit: RouteAudit, params: Record<string, unknown>, response: Record<string, unknown>): AuditRecord['target'] {
  const isParam = (segment: string): boolean => /^\{\w+\}$/.test(segment);
  const segments = route.path.split('/').filter(Boolean);
  const own = segments.slice(segments.indexOf('{clientId}') + 1);
  const firstParam = own.findIndex(isParam);
  const named = firstParam > 0 ? own[firstParam - 1] : own[0] !== undefined && !isParam(own[0]) ? own[0] : 'client';
  const pathType = audit.targetType ?? camel(singular(named ?? 'client'));
  const pathId = own.filter(isParam).map((segment) => String(params[segment.slice(1, -1)])).join('/') || String(params.clientId ?? NO_CLIENT);

  if (audit.targetIdField !== undefined) return { type: pathType, id: String(response[audit.targetIdField] ?? pathId) };
  const last = own.at(-1);
  const created = last !== undefined && !isParam(last) ? camel(singular(last)) : undefined;
  const createdId = created === undefined ? undefined : response[`${created}Id`];
  if (created !== undefined && typeof createdId === 'string') return { type: audit.targetType ?? created, id: createdId };
  return { type: pathType, id: pathId };
}

function singular(word: string): string {
  return word.endsWith('s') && !word.endsWith('ss') ? word.slice(0, -1) : word;
}

function camel(word: string): string {
  return word.replace(/-(\w)/g, (_, letter: string) => letter.toUpperCase());
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A copy without secret fields at any depth; undefined stays undefined. */
function withoutSecrets(value: unknown, omit: ReadonlySet<string>): unknown {
  if (Array.isArray(value)) return value.map((entry) => withoutSecrets(entry, omit));
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !SECRET_FIELD.test(key) && !omit.has(key))
      .map(([key, entry]) => [key, withoutSecrets(entry, omit)]),
  );
}
