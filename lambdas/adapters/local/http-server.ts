import { randomUUID } from 'node:crypto';
import { realpath, readFile, stat } from 'node:fs/promises';
import { isUtf8 } from 'node:buffer';
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

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
  /** The most request body bytes read (then 413); the API enforces its own, smaller limit. @default 1 MiB */
  maxBodyBytes?: number;
  /**
   * How many bytes of a too-large body are still read and thrown away before the 413, so that a
   * client that writes its whole body before it reads (Node's fetch) gets the answer instead of
   * EPIPE. A longer body is cut off. @default 16 MiB
   */
  maxDrainBytes?: number;
  /** The time a client has to send the request's headers. @default 10000 */
  headersTimeoutMs?: number;
  /** The time a client has to send the whole request, body included (then 408). @default 30000 */
  requestTimeoutMs?: number;
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

type BodyRead = { tooLarge: false; body: Buffer } | { tooLarge: true; drained: boolean };

/** Maps keyed by names a client chose: without a prototype, `__proto__` or `toString` is just a name. */
function dictionary<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/**
 * The local runtime's API Gateway: each request under /v1 becomes the REST API (v1) Lambda proxy
 * event the deployed handler receives, with what API Gateway adds in front of it (body cap,
 * timeouts, a bare 500 INTERNAL for a handler that throws or answers something malformed).
 * Besides /v1: GET /health (no credentials) and, optionally, the console's static files.
 */
export async function startHttpServer(options: HttpServerOptions): Promise<LocalHttpServer> {
  const host = options.host ?? '127.0.0.1';
  const maxBodyBytes = options.maxBodyBytes ?? MIB;
  const maxDrainBytes = options.maxDrainBytes ?? 16 * MIB;
  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  const staticRoot = options.staticDir ? await realpath(resolve(options.staticDir)) : undefined;
  const logError = options.logError ?? ((message: string, detail: unknown) => console.error(message, detail));

  // Node's defaults let a slowly sent request hold its connection for 300 s.
  const server = createServer(
    {
      headersTimeout,
      requestTimeout: options.requestTimeoutMs ?? 30_000,
      connectionsCheckingInterval: Math.min(1_000, headersTimeout),
    },
    (req, res) => serve(req, res),
  );
  // A client that asks before sending a body too large for us learns it without sending it.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (Number(req.headers['content-length'] ?? 0) > maxBodyBytes) return tooLarge(res, false);
    res.writeContinue();
    serve(req, res);
  });

  // What Node's parser refuses or times out is answered in the error model too, not as a bare status.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    const answering = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
    if (!socket.writable || answering?.headersSent) return void socket.destroy();
    const [status, code, message] =
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'REQUEST_TIMEOUT', 'The request was not received in time']
        : error.code === 'HPE_HEADER_OVERFLOW'
          ? [431, 'HEADERS_TOO_LARGE', 'The request headers are too large']
          : [400, 'BAD_REQUEST', 'Malformed HTTP request'];
    const body = JSON.stringify({ error: { code, message, details: [] } });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });

  function serve(req: IncomingMessage, res: ServerResponse): void {
    handle(req, res).catch((error: unknown) => {
      logError('Local HTTP server: request failed', error);
      if (!res.headersSent) sendError(res, 500, 'INTERNAL', 'Internal server error');
      else res.destroy();
    });
  }

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
    const read = await readBody(req, maxBodyBytes, maxBodyBytes + maxDrainBytes);
    if (read.tooLarge) return tooLarge(res, read.drained);
    let result: APIGatewayProxyResult;
    try {
      result = await options.api(proxyEvent(req, path, query, read.body));
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

  /** 413; a connection with body bytes still unread cannot carry another request, so it closes. */
  function tooLarge(res: ServerResponse, drained: boolean): void {
    sendError(res, 413, 'PAYLOAD_TOO_LARGE', `The request body exceeds ${maxBodyBytes} bytes`, drained ? {} : { Connection: 'close' });
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

/**
 * Reads the body up to `limit` bytes. A longer body is read on and thrown away up to `drainLimit`
 * bytes in all (drained: the client can read the answer); past that, reading stops at once.
 */
function readBody(req: IncomingMessage, limit: number, drainLimit: number): Promise<BodyRead> {
  if (Number(req.headers['content-length'] ?? 0) > drainLimit) return Promise.resolve({ tooLarge: true, drained: false });
  return new Promise((resolveBody, rejectBody) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > drainLimit) {
        req.off('data', onData);
        req.pause();
        resolveBody({ tooLarge: true, drained: false });
      } else if (size > limit) {
        chunks.length = 0;
      } else {
        chunks.push(chunk);
      }
    };
    req.on('data', onData);
    req.once('end', () => resolveBody(size > limit ? { tooLarge: true, drained: true } : { tooLarge: false, body: Buffer.concat(chunks) }));
    req.once('error', rejectBody);
  });
}

/** As API Gateway: header case and the path's percent-encoding kept, the query string decoded. */
function proxyEvent(req: IncomingMessage, path: string, query: string, body: Buffer): APIGatewayProxyEvent {
  const headers = dictionary<string>();
  const multiValueHeaders = dictionary<string[]>();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const value = req.rawHeaders[i + 1]!;
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  const queryStringParameters = dictionary<string>();
  const multiValueQueryStringParameters = dictionary<string[]>();
  for (const [name, value] of new URLSearchParams(query)) {
    queryStringParameters[name] = value;
    (multiValueQueryStringParameters[name] ??= []).push(value);
  }
  const hasQuery = Object.keys(queryStringParameters).length > 0;
  // Invalid UTF-8 goes on as the bytes sent, for the API to refuse, not as U+FFFD.
  const binary = body.length > 0 && !isUtf8(body);
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
    body: body.length === 0 ? null : body.toString(binary ? 'base64' : 'utf8'),
    isBase64Encoded: binary,
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
  const headers = dictionary<string | string[]>();
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

/** The API's error model: `{ "error": { "code", "message", "details" } }`. */
function sendError(res: ServerResponse, status: number, code: string, message: string, extraHeaders: Record<string, string> = {}): void {
  sendJson(res, status, { error: { code, message, details: [] } }, extraHeaders);
}
