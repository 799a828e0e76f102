import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { z } from 'zod';
import { ConflictError, DomainError, NotFoundError, PreconditionRequiredError, StaleVersionError, SupersededExecutionError, TransientStoreError, ValidationError, type ErrorDetail } from '../domain/errors';

/** Bodies above this are refused before parsing: no configuration or request needs more. */
export const MAX_BODY_BYTES = 256 * 1024;

/** Headers on every response: JSON that no browser sniffs into something else, and no cache keeps. */
const BASE_HEADERS = {
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
} as const;

/** An error that is about HTTP itself (no credentials, no route, not JSON), with its status and code. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export interface ApiResult {
  status: number;
  /** Serialised as JSON; absent for 204. */
  body?: unknown;
  headers?: Record<string, string>;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): ApiResult {
  return { status, body, headers };
}

export function toProxyResult(result: ApiResult): APIGatewayProxyResult {
  if (result.body === undefined) {
    return { statusCode: result.status, headers: { ...BASE_HEADERS, ...result.headers }, body: '' };
  }
  return {
    statusCode: result.status,
    headers: { 'content-type': 'application/json', ...BASE_HEADERS, ...result.headers },
    body: JSON.stringify(result.body),
  };
}

export function errorResult(status: number, code: string, message: string, details: ErrorDetail[] = [], headers: Record<string, string> = {}): ApiResult {
  return json(status, { error: { code, message, details } }, headers);
}

/**
 * Maps what a handler threw to the error model of shared/API.md. Undefined for anything
 * unexpected, including a ZodError from below the router (a stored item that no longer parses is
 * not the caller's fault): the caller answers 500 INTERNAL and logs it.
 */
export function knownErrorResult(error: unknown): ApiResult | undefined {
  if (error instanceof HttpError) return errorResult(error.status, error.code, error.message, error.details, error.headers);
  if (error instanceof TransientStoreError) {
    // A throttled or briefly unavailable store is not an unexpected failure: the caller sends the
    // request again shortly, as after API Gateway's own 429 (the trigger is idempotent for that).
    return errorResult(429, 'THROTTLED', 'the service is busy; send the request again shortly', [], { 'retry-after': '1' });
  }
  if (error instanceof DomainError) {
    const status = domainStatus(error);
    if (status !== undefined) return errorResult(status, error.code, error.message, error.details);
  }
  return undefined;
}

function domainStatus(error: DomainError): number | undefined {
  if (error instanceof ValidationError) return 400;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof ConflictError || error instanceof SupersededExecutionError) return 409;
  if (error instanceof StaleVersionError) return 412;
  if (error instanceof PreconditionRequiredError) return 428;
  return undefined;
}

/** A request that its route's schema refuses: 400 VALIDATION_FAILED with one detail per problem. */
export function validationFailure(error: z.ZodError): HttpError {
  // An unknown field is reported at its own path, so a client sees which field to drop.
  const details = error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: [...issue.path, key].map(String).join('.'), message: 'unknown field' }))
      : [{ path: issue.path.map(String).join('.'), message: issue.message }],
  );
  const summary = details.map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)).join('; ');
  return new HttpError(400, 'VALIDATION_FAILED', `invalid request: ${summary}`, details);
}

/** Case-insensitive header lookup over both header maps of a REST proxy event. */
export function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  for (const [key, values] of Object.entries(event.multiValueHeaders ?? {})) {
    if (key.toLowerCase() === wanted && values && values.length > 0) return values[values.length - 1];
  }
  return undefined;
}

/**
 * The query string as single values (the last one wins, as in API Gateway's single-value map).
 * No prototype: a parameter named `__proto__` or `toString` is a name like any other.
 */
export function queryOf(event: APIGatewayProxyEvent): Record<string, string> {
  const query = Object.create(null) as Record<string, string>;
  for (const [key, values] of Object.entries(event.multiValueQueryStringParameters ?? {})) {
    const last = values?.[values.length - 1];
    if (last !== undefined) query[key] = last;
  }
  for (const [key, value] of Object.entries(event.queryStringParameters ?? {})) {
    if (value !== undefined) query[key] = value;
  }
  return query;
}

/** Why a body with this Content-Type is not read (415), or undefined for JSON in UTF-8 (RFC 8259). */
function unsupportedMediaType(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return 'a body needs Content-Type: application/json';
  const [type = '', ...parameters] = contentType.split(';');
  const mediaType = type.trim().toLowerCase();
  if (mediaType !== 'application/json' && !/^application\/[a-z0-9.!#$&^_-]+\+json$/.test(mediaType)) {
    return `the body must be JSON (Content-Type: application/json), not ${contentType}`;
  }
  for (const parameter of parameters) {
    const [name = '', value = ''] = parameter.split('=', 2).map((part) => part.trim().toLowerCase());
    if (name === 'charset' && !['utf-8', 'utf8'].includes(value.replace(/^"(.*)"$/, '$1'))) {
      return `the body must be JSON in UTF-8, not charset=${value}`;
    }
  }
  return undefined;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The request body as parsed JSON; undefined when there is none. Checks size first (413), then
 * the media type (415: JSON in UTF-8, declared), then the encoding and the syntax (400).
 */
export function jsonBody(event: APIGatewayProxyEvent): unknown {
  if (event.body === null || event.body === undefined || event.body === '') return undefined;
  const bytes = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (bytes.byteLength > MAX_BODY_BYTES) {
    throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `the body has ${bytes.byteLength} bytes; at most ${MAX_BODY_BYTES} are accepted`);
  }
  const unsupported = unsupportedMediaType(header(event, 'content-type'));
  if (unsupported) throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', unsupported);
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw new HttpError(400, 'MALFORMED_JSON', 'the body is not valid UTF-8');
  }
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpError(400, 'MALFORMED_JSON', `the body is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * The version in `If-Match`: a bare number (`3`) or an entity tag as our ETag header sends it
 * (`"3"`, `W/"3"`). Missing: 428; not a version: 400.
 */
export function ifMatchVersion(event: APIGatewayProxyEvent): number {
  const version = optionalIfMatchVersion(event);
  if (version === undefined) {
    throw new HttpError(428, 'PRECONDITION_REQUIRED', 'send If-Match with the version of the schedule you read (its ETag)', [
      { path: 'If-Match', message: 'required' },
    ]);
  }
  return version;
}

/** The version in `If-Match` as ifMatchVersion reads it, or undefined when there is none. */
export function optionalIfMatchVersion(event: APIGatewayProxyEvent): number | undefined {
  const value = header(event, 'if-match');
  if (value === undefined || value.trim() === '') return undefined;
  const match = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(value);
  const version = match ? Number(match[1]) : NaN;
  if (!Number.isInteger(version) || version < 1) {
    throw new HttpError(400, 'VALIDATION_FAILED', `If-Match must carry a version such as "3", not ${value}`, [
      { path: 'If-Match', message: 'a positive integer version' },
    ]);
  }
  return version;
}

export function etag(version: number): string {
  return `"${version}"`;
}
