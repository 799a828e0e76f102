import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer, type HttpServerOptions, type LocalHttpServer } from '../../lambdas/adapters/local/http-server';

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A request exactly as written here (no client-side path normalisation, header case kept). */
function raw(
  server: LocalHttpServer,
  options: {
    method?: string;
    path: string;
    headers?: Record<string, string | number>;
    body?: string | Buffer;
    /** Written one by one; the request stays open unless `end` is set. */
    chunks?: Buffer[];
    end?: boolean;
  },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, method: options.method ?? 'GET', path: options.path, headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    // The server may close the connection before reading everything we send (413).
    req.on('error', (error) => (error as NodeJS.ErrnoException).code === 'EPIPE' || (error as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(error));
    for (const chunk of options.chunks ?? []) req.write(chunk);
    if (options.chunks && !options.end) return;
    req.end(options.body);
  });
}

/** Writes `text` on a bare connection and resolves with everything received until the server closes it. */
function exchange(server: LocalHttpServer, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1', () => socket.write(text));
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
  });
}

function bodyOf(answer: string): unknown {
  return JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
}

let dir: string;
let staticDir: string;
const servers: LocalHttpServer[] = [];
const events: APIGatewayProxyEvent[] = [];
const logged: unknown[] = [];

async function start(overrides: Partial<HttpServerOptions> = {}): Promise<LocalHttpServer> {
  const server = await startHttpServer({
    port: 0,
    staticDir,
    logError: (message, detail) => void logged.push({ message, detail }),
    api: async (event): Promise<APIGatewayProxyResult> => {
      events.push(event);
      if (event.path === '/v1/boom') throw new Error('secret detail at /srv/app.ts:42');
      if (event.path === '/v1/malformed') return {} as APIGatewayProxyResult;
      return {
        statusCode: 201,
        headers: { 'Content-Type': 'application/json', 'X-Request-Id': event.requestContext.requestId },
        multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'] },
        body: JSON.stringify({ ok: true }),
      };
    },
    ...overrides,
  });
  servers.push(server);
  return server;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'http-server-'));
  staticDir = join(dir, 'console');
  mkdirSync(join(staticDir, 'runs'), { recursive: true });
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Console</title>');
  writeFileSync(join(staticDir, 'app.js'), 'console.log(1);');
  writeFileSync(join(staticDir, 'style.css'), 'body{}');
  writeFileSync(join(staticDir, 'runs', 'index.html'), '<p>runs</p>');
  writeFileSync(join(dir, 'secret.txt'), 'outside the console');
  symlinkSync(join(dir, 'secret.txt'), join(staticDir, 'link.txt'));
});

afterEach(async () => {
  events.length = 0;
  logged.length = 0;
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('startHttpServer', () => {
  it('turns a request under /v1 into a REST API proxy event and writes the handler’s result', async () => {
    const server = await start();

    const response = await raw(server, {
      method: 'POST',
      path: '/v1/clients/acme%20co/runs?date=2026-11-25&tag=a&tag=b%20c',
      headers: { Authorization: 'Bearer t1', 'X-Trace': 'one', 'Content-Type': 'application/json' },
      body: '{"processingDate":"2026-11-25"}',
    });

    expect(response.status).toBe(201);
    expect(response.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(response.headers['content-type']).toBe('application/json');
    expect(JSON.parse(response.body)).toEqual({ ok: true });
    const event = events[0]!;
    expect(event).toMatchObject({
      httpMethod: 'POST',
      path: '/v1/clients/acme%20co/runs',
      resource: '/{proxy+}',
      pathParameters: null,
      stageVariables: null,
      queryStringParameters: { date: '2026-11-25', tag: 'b c' },
      multiValueQueryStringParameters: { date: ['2026-11-25'], tag: ['a', 'b c'] },
      body: '{"processingDate":"2026-11-25"}',
      isBase64Encoded: false,
      requestContext: { stage: 'local', httpMethod: 'POST', identity: { sourceIp: '127.0.0.1' } },
    });
    expect(event.headers).toMatchObject({ Authorization: 'Bearer t1', 'X-Trace': 'one' });
    expect(event.multiValueHeaders['X-Trace']).toEqual(['one']);
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers['x-request-id']).toBe(event.requestContext.requestId);
  });

  it('passes a request without body or query as null', async () => {
    const server = await start();

    await fetch(`${server.url}/v1/clients/acme`);

    expect(events[0]).toMatchObject({ httpMethod: 'GET', body: null, queryStringParameters: null, multiValueQueryStringParameters: null });
  });

  it('answers /health without credentials once ready, 503 before', async () => {
    let ready = false;
    const server = await start({ ready: () => ready });

    const before = await fetch(`${server.url}/health`);
    ready = true;
    const after = await fetch(`${server.url}/health`);

    expect(before.status).toBe(503);
    expect(await before.json()).toEqual({ error: { code: 'NOT_READY', message: expect.any(String), details: [] } });
    expect(after.status).toBe(200);
    expect(await after.json()).toEqual({ status: 'ok' });
    expect(events).toEqual([]);
  });

  it('answers 500 INTERNAL without details when the handler throws or answers something malformed', async () => {
    const server = await start();

    for (const path of ['/v1/boom', '/v1/malformed']) {
      const response = await fetch(`${server.url}${path}`);
      const text = await response.text();
      expect(response.status).toBe(500);
      expect(JSON.parse(text)).toEqual({ error: { code: 'INTERNAL', message: 'Internal server error', details: [] } });
      expect(text).not.toMatch(/secret|\.ts/);
    }
    expect(logged).toHaveLength(2);
    const stillUp = await fetch(`${server.url}/health`);
    expect(stillUp.status).toBe(200);
  });

  it('answers a 12 MB body with a 413 that Node’s fetch can read, and stays up', async () => {
    const server = await start();

    const response = await fetch(`${server.url}/v1/clients/acme/schedules`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: Buffer.alloc(12 * 1000 * 1000, 0x20),
    });

    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ error: { code: 'PAYLOAD_TOO_LARGE', message: expect.any(String), details: [] } });
    expect(events).toEqual([]);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it('answers 413 at once to a declared body beyond what it drains, without reading it', async () => {
    const server = await start();

    // Declares 64 MiB, sends 64 KiB and waits: the answer must come anyway.
    const response = await raw(server, {
      method: 'POST',
      path: '/v1/clients/acme/schedules',
      headers: { 'Content-Type': 'application/json', 'Content-Length': 64 * 1024 * 1024 },
      chunks: [Buffer.alloc(64 * 1024, 0x20)],
    });

    expect(response.status).toBe(413);
    expect(response.headers.connection).toBe('close');
    expect(JSON.parse(response.body)).toEqual({ error: { code: 'PAYLOAD_TOO_LARGE', message: expect.any(String), details: [] } });
    expect(events).toEqual([]);
  });

  it('answers 413 before the body to a client that expects 100-continue for a body over the limit', async () => {
    const server = await start({ maxBodyBytes: 1_000 });

    const response = await raw(server, {
      method: 'POST',
      path: '/v1/clients/acme/schedules',
      headers: { 'Content-Type': 'application/json', 'Content-Length': 5_000, Expect: '100-continue' },
      chunks: [],
    });

    expect(response.status).toBe(413);
    expect(events).toEqual([]);
  });

  it('reads a chunked body past the limit to its end before the 413, and cuts one beyond the drain cap', async () => {
    const server = await start({ maxBodyBytes: 1_000, maxDrainBytes: 10_000 });
    const post = (chunks: Buffer[], end: boolean) =>
      raw(server, { method: 'POST', path: '/v1/clients/acme/schedules', headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' }, chunks, end });

    const drained = await post([Buffer.alloc(800, 0x20), Buffer.alloc(800, 0x20)], true);
    // Never ended, and past the cap: the answer must come anyway.
    const cut = await post([Buffer.alloc(6_000, 0x20), Buffer.alloc(6_000, 0x20)], false);

    expect(drained.status).toBe(413);
    expect(drained.headers.connection).not.toBe('close');
    expect(cut.status).toBe(413);
    expect(cut.headers.connection).toBe('close');
    expect(events).toEqual([]);
  });

  it('passes query and header names such as __proto__ and toString on as plain names', async () => {
    const server = await start();

    for (const name of ['__proto__', 'toString', 'constructor', 'hasOwnProperty', 'valueOf']) {
      events.length = 0;
      const response = await raw(server, { path: `/v1/clients/acme?${name}=a&${name}=b`, headers: { [name]: 'h' } });

      expect(response.status, name).toBe(201);
      const event = events[0]!;
      expect(Object.getOwnPropertyDescriptor(event.queryStringParameters, name)?.value, name).toBe('b');
      expect(Object.getOwnPropertyDescriptor(event.multiValueQueryStringParameters, name)?.value, name).toEqual(['a', 'b']);
      expect(Object.getOwnPropertyDescriptor(event.headers, name)?.value, name).toBe('h');
      expect(Object.getOwnPropertyDescriptor(event.multiValueHeaders, name)?.value, name).toEqual(['h']);
    }
  });

  it('passes a body that is not valid UTF-8 as its bytes (base64), not with U+FFFD in it', async () => {
    const server = await start();
    const invalid = Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]);

    await raw(server, { method: 'POST', path: '/v1/x', headers: { 'Content-Type': 'application/json' }, body: invalid });
    await raw(server, { method: 'POST', path: '/v1/x', headers: { 'Content-Type': 'application/json' }, body: '{"n":"é"}' });

    expect(events[0]).toMatchObject({ isBase64Encoded: true, body: invalid.toString('base64') });
    expect(events[1]).toMatchObject({ isBase64Encoded: false, body: '{"n":"é"}' });
  });

  it('does not let a slowly sent request hold its connection: 408 for a slow body, closed for slow headers', async () => {
    const server = await start({ headersTimeoutMs: 200, requestTimeoutMs: 400 });

    // Each sends part of a request and waits: only the server's timeouts end the connection.
    const slowBody = await exchange(server, 'POST /v1/x HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":');
    const slowHeaders = await exchange(server, 'GET /v1/x HTTP/1.1\r\nHost: localhost\r\nX-Slow: ');

    for (const answer of [slowBody, slowHeaders]) {
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(bodyOf(answer)).toEqual({ error: { code: 'REQUEST_TIMEOUT', message: expect.any(String), details: [] } });
    }
    expect(events).toEqual([]);
  });

  it('serves the console’s files with their content types and security headers', async () => {
    const server = await start();

    const index = await fetch(`${server.url}/`);
    const script = await fetch(`${server.url}/app.js`);
    const style = await fetch(`${server.url}/style.css`);
    const nested = await fetch(`${server.url}/runs/`);

    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await index.text()).toContain('<title>Console</title>');
    expect(index.headers.get('x-content-type-options')).toBe('nosniff');
    expect(index.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(style.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await nested.text()).toBe('<p>runs</p>');
  });

  it('never serves a file outside the static directory', async () => {
    const server = await start();

    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/runs/../../secret.txt', '/link.txt', '/%00']) {
      const response = await raw(server, { path });
      expect([400, 404]).toContain(response.status);
      expect(response.body).not.toContain('outside the console');
    }
    const missing = await raw(server, { path: '/nope.html' });
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String), details: [] } });
    expect((await raw(server, { method: 'POST', path: '/index.html' })).status).toBe(405);
  });

  it('answers 404 outside /v1 and /health without a static directory', async () => {
    const server = await start({ staticDir: undefined });

    const response = await fetch(`${server.url}/`);

    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String), details: [] } });
  });

  it('answers a request Node cannot parse in the error model', async () => {
    const server = await start();

    const answer = await exchange(server, 'GET /v1/x HTTP/1.1\r\nHost: localhost\r\nBad Header: x\r\n\r\n');

    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(bodyOf(answer)).toEqual({ error: { code: 'BAD_REQUEST', message: expect.any(String), details: [] } });
    expect(events).toEqual([]);
  });

  it('close() resolves after open connections end, and stops listening', async () => {
    const server = await startHttpServer({ port: 0, api: async () => ({ statusCode: 200, body: '{}' }) });
    await fetch(`${server.url}/v1/x`);

    await server.close();

    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
  });
});
