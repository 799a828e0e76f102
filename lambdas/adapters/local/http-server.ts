import { randomUUID } from 'node:crypto';
import { realpath, readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

/**
 * The local runtime's API Gateway: a node:http server that turns each request under /v1 into the
 * REST API (v1) Lambda proxy event the deployed handler receives and writes back its result.
 * Like API Gateway it preserves header case and the path's percent-encoding, decodes the query
 * string, passes the body as a UTF-8 string, and answers with the handler's status, headers and
 * body. It adds what API Gateway does in front of the Lambda: a cap on the body it reads (beyond
 * it, 413 without reading the rest; the API enforces its own, smaller, documented limit), and a
 * 500 INTERNAL without details when the handler throws or answers something malformed.
 * Besides /v1: GET /health (no credentials) and, optionally, the operator console's static files.
 */

export type ApiHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

export interface HttpServerOptions {
  /** 0 picks a free port. */
  port: number;
  /** @default '127.0.0.1' */
  host?: string;
  api: ApiHandler;
  /** /health answers 200 once this holds, 503 before. @default always ready */
  ready?: () => boolean;
  /** Static files served outside /v1 and /health (`/` is index.html). @default none: 404 */
  staticDir?: string;
  /** The most request body bytes read. @default 1 MiB */
  maxBodyBytes?: number;
  /** How long close() waits for requests in flight before it cuts their connections. @default 5000 */
  closeTimeoutMs?: number;
  /** Where failures are logged; details go here, never into a response. @default console.error */
  logError?: (message: string, detail: unknown) => void;
}

export interface LocalHttpServer {
  /** e.g. http://127.0.0.1:3000 */
  readonly url: string;
  readonly port: number;
  /** Stops accepting connections; resolves once every connection has ended. */
  close(): Promise<void>;
}

const MIB = 1024 * 1024;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
};

/** Sent with every response the server itself writes (health, errors, console files). */
const SECURITY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  // The console is same-origin scripts and fetches only; inline styles are allowed for its markup.
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
};

class PayloadTooLarge extends Error {}

export async function startHttpServer(options: HttpServerOptions): Promise<LocalHttpServer> {
  const host = options.host ?? '127.0.0.1';
  const maxBodyBytes = options.maxBodyBytes ?? MIB;
  const staticRoot = options.staticDir ? await realpath(resolve(options.staticDir)) : undefined;
  const logError = options.logError ?? ((message: string, detail: unknown) => console.error(message, detail));

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      logError('Local HTTP server: request failed', error);
      if (!res.headersSent) sendError(res, 500, 'INTERNAL', 'Internal server error');
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = req.url ?? '';
    const queryStart = target.indexOf('?');
    const path = queryStart === -1 ? target : target.slice(0, queryStart);
    if (!path.startsWith('/')) return sendError(res, 400, 'BAD_REQUEST', 'The request target must be an absolute path');
    if (path === '/health') return health(req, res);
    if (path === '/v1' || path.startsWith('/v1/')) return proxy(req, res, path, queryStart === -1 ? '' : target.slice(queryStart + 1));
    if (staticRoot) return serveStatic(req, res, staticRoot, path);
    return sendError(res, 404, 'NOT_FOUND', 'No such route');
  }

  function health(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, 'METHOD_NOT_ALLOWED', 'Use GET', { Allow: 'GET, HEAD' });
    if (!(options.ready?.() ?? true)) return sendError(res, 503, 'NOT_READY', 'The runtime is starting');
    sendJson(res, 200, { status: 'ok' });
  }

  async function proxy(req: IncomingMessage, res: ServerResponse, path: string, query: string): Promise<void> {
    let body: Buffer;
    try {
      body = await readBody(req, maxBodyBytes);
    } catch (error) {
      if (!(error instanceof PayloadTooLarge)) throw error;
      // The rest of the body stays unread: close the connection rather than drain it.
      return sendError(res, 413, 'PAYLOAD_TOO_LARGE', `The request body exceeds ${maxBodyBytes} bytes`, { Connection: 'close' });
    }
    let result: APIGatewayProxyResult;
    try {
      result = await options.api(proxyEvent(req, path, query, body));
    } catch (error) {
      logError('Local HTTP server: the API handler threw', error);
      return sendError(res, 500, 'INTERNAL', 'Internal server error');
    }
    if (!isProxyResult(result)) {
      logError('Local HTTP server: malformed proxy result', result);
      return sendError(res, 500, 'INTERNAL', 'Internal server error');
    }
    writeResult(res, result);
  }

  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(options.port, host, () => {
      server.off('error', rejectListen);
      resolveListen();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolveClose) => {
        const force = setTimeout(() => server.closeAllConnections(), options.closeTimeoutMs ?? 5_000);
        server.close(() => {
          clearTimeout(force);
          resolveClose();
        });
        server.closeIdleConnections();
      }),
  };
}

/** Reads the body up to `limit` bytes; stops reading (and rejects) as soon as it is known to be larger. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) return Promise.reject(new PayloadTooLarge());
  return new Promise((resolveBody, rejectBody) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.pause();
        rejectBody(new PayloadTooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolveBody(Buffer.concat(chunks)));
    req.once('error', rejectBody);
  });
}

function proxyEvent(req: IncomingMessage, path: string, query: string, body: Buffer): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const value = req.rawHeaders[i + 1]!;
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  const queryStringParameters: Record<string, string> = {};
  const multiValueQueryStringParameters: Record<string, string[]> = {};
  for (const [name, value] of new URLSearchParams(query)) {
    queryStringParameters[name] = value;
    (multiValueQueryStringParameters[name] ??= []).push(value);
  }
  const hasQuery = Object.keys(queryStringParameters).length > 0;
  const now = new Date();
  const method = req.method ?? 'GET';
  return {
    resource: '/{proxy+}',
    path,
    httpMethod: method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? queryStringParameters : null,
    multiValueQueryStringParameters: hasQuery ? multiValueQueryStringParameters : null,
    pathParameters: null,
    stageVariables: null,
    body: body.length > 0 ? body.toString('utf8') : null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      protocol: `HTTP/${req.httpVersion}`,
      httpMethod: method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        user: null,
        userAgent: req.headers['user-agent'] ?? null,
        userArn: null,
      },
      path: `/local${path}`,
      stage: 'local',
      requestId: randomUUID(),
      requestTime: requestTime(now),
      requestTimeEpoch: now.getTime(),
      resourceId: 'local',
      resourcePath: '/{proxy+}',
    },
  };
}

/** API Gateway's `requestTime`, e.g. 25/Nov/2026:18:24:05 +0000. */
function requestTime(date: Date): string {
  const [, day, month, year, time] = date.toUTCString().split(' ');
  return `${day}/${month}/${year}:${time} +0000`;
}

function isProxyResult(value: unknown): value is APIGatewayProxyResult {
  if (typeof value !== 'object' || value === null) return false;
  const { statusCode, body } = value as Partial<APIGatewayProxyResult>;
  return Number.isInteger(statusCode) && statusCode! >= 100 && statusCode! <= 599 && (body === undefined || typeof body === 'string');
}

function writeResult(res: ServerResponse, result: APIGatewayProxyResult): void {
  const headers: Record<string, string | string[]> = {};
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) headers[name.toLowerCase()] = values.map(String);
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name.toLowerCase()] = String(value);
  // API Gateway's default when the integration sets none.
  headers['content-type'] ??= 'application/json';
  const body = Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8');
  headers['content-length'] = String(body.length);
  res.writeHead(result.statusCode, headers);
  res.end(body);
}

async function serveStatic(req: IncomingMessage, res: ServerResponse, root: string, path: string): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, 'METHOD_NOT_ALLOWED', 'Use GET', { Allow: 'GET, HEAD' });
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return sendError(res, 400, 'BAD_REQUEST', 'Malformed path');
  }
  if (decoded.includes('\0')) return sendError(res, 400, 'BAD_REQUEST', 'Malformed path');
  const file = await resolveStaticFile(root, decoded.endsWith('/') ? `${decoded}index.html` : decoded);
  if (!file) return sendError(res, 404, 'NOT_FOUND', 'No such file');
  const content = await readFile(file);
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': String(content.length),
    'Cache-Control': 'no-cache',
  });
  res.end(req.method === 'HEAD' ? undefined : content);
}

/** The file under `root` for a decoded URL path, or undefined: never a file outside it, symlinks included. */
async function resolveStaticFile(root: string, urlPath: string): Promise<string | undefined> {
  const candidate = resolve(join(root, urlPath));
  if (!isInside(root, candidate)) return undefined;
  try {
    let real = await realpath(candidate);
    if ((await stat(real)).isDirectory()) real = await realpath(join(real, 'index.html'));
    if (!isInside(root, real) || !(await stat(real)).isFile()) return undefined;
    return real;
  } catch {
    return undefined;
  }
}

function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

function sendJson(res: ServerResponse, status: number, payload: unknown, extraHeaders: Record<string, string> = {}): void {
  const body = Buffer.from(JSON.stringify(payload));
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    ...extraHeaders,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(body.length),
    'Cache-Control': 'no-store',
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/** The API's error model: `{ "error": { "code", "message" } }`. */
function sendError(res: ServerResponse, status: number, code: string, message: string, extraHeaders: Record<string, string> = {}): void {
  sendJson(res, status, { error: { code, message } }, extraHeaders);
}
