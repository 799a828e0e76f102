import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent } from 'aws-lambda';

export interface EventSpec {
  method: string;
  /** The request path with its query string, e.g. `/v1/clients/acme/runs?date=2026-11-25`. */
  path: string;
  /**
   * A value is sent as JSON (with Content-Type: application/json unless headers say otherwise); a
   * string as is; a Buffer as its bytes, base64-encoded as API Gateway passes a binary body.
   */
  body?: unknown;
  headers?: Record<string, string>;
  /** IAM identity as API Gateway fills it in after SigV4 authorization. */
  userArn?: string;
  base64?: boolean;
}

/**
 * An API Gateway REST API (v1) proxy event as a `/{proxy+}` resource on stage `dev` delivers it:
 * both header maps, both query maps (null when empty), the proxy path parameter, and a request
 * context with an IAM identity.
 */
export function apiEvent(spec: EventSpec): APIGatewayProxyEvent {
  const url = new URL(spec.path, 'https://api.example.com');
  const path = decodeURIComponent(url.pathname);
  const binary = Buffer.isBuffer(spec.body);
  const headers: Record<string, string> = {
    Host: 'abc123.execute-api.eu-west-1.amazonaws.com',
    'User-Agent': 'core-billing/1.0',
    'X-Forwarded-Proto': 'https',
    ...(spec.body !== undefined && typeof spec.body !== 'string' && !binary ? { 'Content-Type': 'application/json' } : {}),
    ...spec.headers,
  };
  const text = spec.body === undefined || binary ? null : typeof spec.body === 'string' ? spec.body : JSON.stringify(spec.body);
  // Keyed by names a test may choose, `__proto__` included: maps without a prototype.
  const query = new Map<string, string[]>();
  for (const [key, value] of url.searchParams) query.set(key, [...(query.get(key) ?? []), value]);
  const hasQuery = query.size > 0;
  return {
    resource: '/{proxy+}',
    path,
    httpMethod: spec.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: hasQuery ? Object.fromEntries([...query].map(([k, v]) => [k, v[v.length - 1] as string])) : null,
    multiValueQueryStringParameters: hasQuery ? Object.fromEntries(query) : null,
    pathParameters: { proxy: path.slice(1) },
    stageVariables: null,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      authorizer: undefined,
      protocol: 'HTTP/1.1',
      httpMethod: spec.method,
      identity: {
        accessKey: spec.userArn ? 'ASIAEXAMPLE' : null,
        accountId: spec.userArn ? '123456789012' : null,
        apiKey: null,
        apiKeyId: null,
        caller: spec.userArn ? 'AROAEXAMPLE:session' : null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '203.0.113.10',
        user: spec.userArn ? 'AROAEXAMPLE:session' : null,
        userAgent: 'core-billing/1.0',
        userArn: spec.userArn ?? null,
      },
      path: `/dev${path}`,
      stage: 'dev',
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: 'proxy1',
      resourcePath: '/{proxy+}',
    },
    body: binary ? (spec.body as Buffer).toString('base64') : text === null ? null : spec.base64 ? Buffer.from(text, 'utf8').toString('base64') : text,
    isBase64Encoded: binary || (spec.base64 ?? false),
  };
}
