import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { IamAuthorizer, parseApiTokens, TokenAuthorizer } from '../../lambdas/api/auth';
import { MAX_BODY_BYTES } from '../../lambdas/api/http';
import { TransientStoreError } from '../../lambdas/domain/errors';
import { API_ROUTES, type OperationId } from '../../lambdas/api/route-table';
import { apiEvent } from './support/events';
import { KNOWN_RUN_ID } from './support/fake-runs';
import { ADMIN_TOKEN, createApiHarness, NOW, type ApiHarness } from './support/harness';
import { sampleRequests } from './support/route-samples';

const SCHEDULE = { name: 'Nightly', frequency: { type: 'DAILY' }, executionTime: '03:00:00', timezone: 'UTC', jobs: [{ type: 'BILLING' }] };

describe('error model and authorization', () => {
  let h: ApiHarness;

  beforeAll(async () => {
    h = await createApiHarness();
  });

  describe('401 UNAUTHORIZED', () => {
    it('answers 401 on every route without credentials, with a wrong token or another scheme', async () => {
      const clientId = await h.onboard();
      const requests = Object.values(sampleRequests(clientId));
      expect(requests).toHaveLength(API_ROUTES.length);

      for (const request of requests) {
        for (const credentials of [{ token: null }, { token: 'not-a-token' }, { token: null, headers: { Authorization: `Basic ${ADMIN_TOKEN}` } }]) {
          const response = await h.send({ ...request, ...credentials, headers: { ...request.headers, ...credentials.headers } });
          expect(response.status, `${request.method} ${request.path}`).toBe(401);
          expect(response.body.error.code).toBe('UNAUTHORIZED');
        }
      }
      expect(h.runs.calls).toEqual([]);
    });
  });

  describe('403 FORBIDDEN', () => {
    it('answers 403 on every client route when the token belongs to another client, and does nothing', async () => {
      h.runs.calls.length = 0;
      await h.send({ method: 'PUT', path: '/v1/clients/beta', body: { name: 'Beta', timezone: 'UTC' } });
      const before = await h.store.listSchedules('beta');

      const clientRoutes = Object.values(sampleRequests('beta')).filter((request) => request.path.startsWith('/v1/clients/'));
      for (const request of clientRoutes) {
        const response = await h.send({ ...request, token: 'acme-token' });
        expect(response.status, `${request.method} ${request.path}`).toBe(403);
        expect(response.body.error.code).toBe('FORBIDDEN');
      }

      expect(h.runs.calls).toEqual([]);
      expect(await h.store.listSchedules('beta')).toEqual(before);
      expect(await h.store.getClient('beta')).toMatchObject({ name: 'Beta' });
    });

    it('lets a client token act for its own client', async () => {
      const created = await h.send({ method: 'PUT', path: '/v1/clients/acme', body: { name: 'Acme', timezone: 'UTC' }, token: 'acme-token' });

      expect([200, 201]).toContain(created.status);
      expect((await h.send({ method: 'GET', path: '/v1/clients/acme/schedules/daily', token: 'acme-token' })).status).toBe(200);
    });
  });

  describe('routing', () => {
    it('answers 404 NOT_FOUND for a path no route has', async () => {
      for (const path of ['/', '/v1', '/v2/clients/acme', '/v1/clients/acme/invoices', '/v1/clients/acme/schedules/daily/runs/2026-11-25/extra']) {
        const response = await h.send({ method: 'GET', path });
        expect(response.status, path).toBe(404);
        expect(response.body.error.code).toBe('NOT_FOUND');
      }
    });

    it('answers 405 METHOD_NOT_ALLOWED with Allow for a method the path does not take', async () => {
      const patch = await h.send({ method: 'PATCH', path: '/v1/clients/acme', body: { name: 'x' } });
      const deleteRuns = await h.send({ method: 'DELETE', path: '/v1/clients/acme/runs' });

      expect(patch.status).toBe(405);
      expect(patch.body.error.code).toBe('METHOD_NOT_ALLOWED');
      expect(patch.headers.allow).toBe('PUT, GET');
      expect(deleteRuns.status).toBe(405);
      expect(deleteRuns.headers.allow).toBe('GET');
    });

    it('matches a trailing slash, and the route behind a custom domain base path for proxy and template resources', async () => {
      const clientId = await h.onboard();
      const trailing = await h.send({ method: 'GET', path: `/v1/clients/${clientId}/` });
      const event = (resource: string, pathParameters: Record<string, string>) => ({
        ...apiEvent({ method: 'GET', path: `/billing/v1/clients/${clientId}/schedules/daily`, headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } }),
        resource,
        pathParameters,
      });

      const proxy = await h.api(event('/v1/{proxy+}', { proxy: `clients/${clientId}/schedules/daily` }));
      const template = await h.api(event('/v1/clients/{clientId}/schedules/{scheduleId}', { clientId, scheduleId: 'daily' }));
      const local = await h.api({ ...event('/{proxy+}', {}), path: `/v1/clients/${clientId}/schedules/daily`, pathParameters: null });

      expect(trailing.status).toBe(200);
      expect([proxy.statusCode, template.statusCode, local.statusCode]).toEqual([200, 200, 200]);
    });
  });

  describe('request bodies', () => {
    it('answers 400 MALFORMED_JSON for a body that is not JSON', async () => {
      const clientId = await h.onboard();

      const response = await h.send({ method: 'POST', path: `/v1/clients/${clientId}/schedules`, body: '{"name": "x",', headers: { 'Content-Type': 'application/json' } });

      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('MALFORMED_JSON');
      expect(await h.store.listSchedules(clientId)).toHaveLength(1);
    });

    it('answers 400 VALIDATION_FAILED when a route that needs a body gets none', async () => {
      const clientId = await h.onboard();

      const response = await h.send({ method: 'POST', path: `/v1/clients/${clientId}/schedules` });

      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('VALIDATION_FAILED');
    });

    it('answers 413 PAYLOAD_TOO_LARGE above 256 KiB, also for a base64-encoded body', async () => {
      const clientId = await h.onboard();
      const big = { ...SCHEDULE, description: 'x'.repeat(MAX_BODY_BYTES) };

      const plain = await h.send({ method: 'POST', path: `/v1/clients/${clientId}/schedules`, body: big });
      const encoded = await h.send({ method: 'POST', path: `/v1/clients/${clientId}/schedules`, body: big, base64: true });

      expect(plain.status).toBe(413);
      expect(plain.body.error.code).toBe('PAYLOAD_TOO_LARGE');
      expect(encoded.status).toBe(413);
      expect(await h.store.listSchedules(clientId)).toHaveLength(1);
    });

    it('answers 415 UNSUPPORTED_MEDIA_TYPE for a body that is not declared JSON', async () => {
      const clientId = await h.onboard();

      for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
        const response = await h.send({ method: 'POST', path: `/v1/clients/${clientId}/schedules`, body: JSON.stringify(SCHEDULE), headers: { 'content-type': contentType } });
        expect(response.status, contentType).toBe(415);
        expect(response.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      }
      expect(await h.store.listSchedules(clientId)).toHaveLength(1);
    });

    it('answers 415 for a body without Content-Type and for a charset other than UTF-8', async () => {
      const clientId = await h.onboard();
      const post = (headers: Record<string, string>) =>
        h.send({ method: 'POST', path: `/v1/clients/${clientId}/schedules`, body: JSON.stringify(SCHEDULE), headers });

      const refused = [
        await post({}),
        await post({ 'Content-Type': 'application/json; charset=utf-16' }),
        await post({ 'Content-Type': 'application/json; charset=ISO-8859-1' }),
      ];

      for (const response of refused) {
        expect(response.status).toBe(415);
        expect(response.body.error).toEqual({ code: 'UNSUPPORTED_MEDIA_TYPE', message: expect.any(String), details: [] });
      }
      expect(await h.store.listSchedules(clientId)).toHaveLength(1);
    });

    it('answers 400 for a body that is not valid UTF-8, and stores nothing in its place', async () => {
      const clientId = await h.onboard();
      const json = Buffer.from(JSON.stringify({ ...SCHEDULE, name: 'Nightly XX' }), 'utf8');
      const at = json.indexOf('XX');
      json[at] = 0xff;
      json[at + 1] = 0xfe;

      const response = await h.send({
        method: 'POST',
        path: `/v1/clients/${clientId}/schedules`,
        body: json,
        headers: { 'Content-Type': 'application/json' },
      });

      expect(response.status).toBe(400);
      expect(response.body.error).toEqual({ code: 'MALFORMED_JSON', message: 'the body is not valid UTF-8', details: [] });
      expect(await h.store.listSchedules(clientId)).toHaveLength(1);
    });

    it('accepts JSON in UTF-8 however the charset is written, a +json media type, and a base64-encoded body', async () => {
      const clientId = await h.onboard();
      const post = (name: string, options: { headers?: Record<string, string>; base64?: boolean }) =>
        h.send({ method: 'POST', path: `/v1/clients/${clientId}/schedules`, body: JSON.stringify({ ...SCHEDULE, name }), ...options });

      expect((await post('a', { headers: { 'Content-Type': 'application/json; charset=utf-8' } })).status).toBe(201);
      expect((await post('b', { headers: { 'Content-Type': 'application/vnd.api+json' } })).status).toBe(201);
      expect((await post('c', { headers: { 'Content-Type': 'application/json;charset="UTF-8"' } })).status).toBe(201);
      expect((await post('d', { headers: { 'Content-Type': 'application/json' }, base64: true })).status).toBe(201);
      expect((await post('é', { headers: { 'Content-Type': 'application/json' } })).body.name).toBe('é');
    });
  });

  describe('names that are members of Object.prototype', () => {
    const NAMES = ['__proto__', 'toString', 'constructor', 'hasOwnProperty', 'valueOf'];

    it('treats them as any other query or header name, with and without credentials, in the event API Gateway delivers', async () => {
      const clientId = await h.onboard();

      for (const name of NAMES) {
        for (const token of [null, ADMIN_TOKEN]) {
          const event = apiEvent({
            method: 'GET',
            path: `/v1/clients/${clientId}/runs?date=2026-11-25&${name}=x`,
            headers: { [name]: 'y', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
          });
          // The Lambda runtime hands over JSON.parse of API Gateway's event: `__proto__` arrives as an own key.
          const result = await h.api(JSON.parse(JSON.stringify(event)));

          expect(result.statusCode, `${name}, ${token ? 'admin' : 'no'} credentials`).toBe(token ? 200 : 401);
        }
      }
    });
  });

  describe('errors from the services', () => {
    it('answers 500 INTERNAL with no stack or message of the failure, and logs it', async () => {
      h.logged.length = 0;
      h.runs.failNext = new TypeError('cannot read properties of undefined (reading "secretArn")');

      const response = await h.send({ method: 'GET', path: `/v1/clients/acme/runs/${KNOWN_RUN_ID}` });

      expect(response.status).toBe(500);
      expect(response.body).toEqual({ error: { code: 'INTERNAL', message: 'internal error', details: [] } });
      expect(response.raw).not.toMatch(/secretArn|TypeError|at /);
      expect(h.logged).toHaveLength(1);
      expect(JSON.stringify(h.logged[0])).toMatch(/secretArn/);
    });

    // Chaos finding (test/chaos/data-path-faults.test.ts, DynamoDB throttling): a throttled store answered 500 INTERNAL.
    it('answers 429 THROTTLED with Retry-After, not 500, when a store is throttled (TransientStoreError), and logs nothing', async () => {
      h.logged.length = 0;
      h.runs.failNext = new TransientStoreError('DynamoDB is busy: ProvisionedThroughputExceededException');

      const response = await h.send({ method: 'GET', path: `/v1/clients/acme/runs/${KNOWN_RUN_ID}` });

      expect(response.status).toBe(429);
      expect(response.headers['retry-after']).toBe('1');
      expect(response.body).toEqual({ error: { code: 'THROTTLED', message: 'the service is busy; send the request again shortly', details: [] } });
      expect(response.raw).not.toMatch(/DynamoDB|Provisioned/);
      expect(h.logged).toHaveLength(0);
    });

    it('answers 500, not 400, for a schema failure below the router (e.g. a stored item that no longer parses)', async () => {
      h.runs.failNext = new z.ZodError([{ code: 'custom', path: ['config', 'jobs'], message: 'stored run is corrupt', input: null }]);

      const response = await h.send({ method: 'GET', path: `/v1/clients/acme/runs/${KNOWN_RUN_ID}` });

      expect(response.status).toBe(500);
      expect(response.body.error.code).toBe('INTERNAL');
    });
  });

  describe('TokenAuthorizer', () => {
    it('parses API_TOKENS into token → clients (as admin without a role), a token may serve several clients', () => {
      const tokens = parseApiTokens(' t1:acme, t2:beta ,t1:gamma,');

      expect(tokens).toEqual(
        new Map([
          ['t1', new Map([['acme', 'admin'], ['gamma', 'admin']])],
          ['t2', new Map([['beta', 'admin']])],
        ]),
      );
      expect(parseApiTokens(undefined).size).toBe(0);
    });

    it('refuses a malformed API_TOKENS entry without echoing the token, and an empty admin token', () => {
      expect(() => parseApiTokens('secret-token')).toThrow(/not a token:clientId or token:clientId:role entry/);
      expect(() => parseApiTokens('secret:Not Valid')).toThrow(/API_TOKENS/);
      expect(() => parseApiTokens('secret:Not Valid')).not.toThrow(/secret/);
      expect(() => new TokenAuthorizer('')).toThrow();
    });

    it('knows the admin token and the client tokens; nothing else', async () => {
      const authorizer = new TokenAuthorizer('admin-secret', parseApiTokens('t1:acme'));
      const withToken = (value: string) => apiEvent({ method: 'GET', path: '/v1/clients/acme', headers: { authorization: value } });

      expect(await authorizer.authorize(withToken('Bearer admin-secret'))).toEqual({ principal: 'admin-token', grants: new Map([['*', 'admin']]) });
      expect(await authorizer.authorize(withToken('bearer t1'))).toEqual({ principal: 'api-token:acme', grants: new Map([['acme', 'admin']]) });
      expect(await authorizer.authorize(withToken('Bearer admin-secre'))).toBeUndefined();
      expect(await authorizer.authorize(withToken('Bearer'))).toBeUndefined();
      expect(await authorizer.authorize(apiEvent({ method: 'GET', path: '/v1/clients/acme' }))).toBeUndefined();
    });
  });

  describe('IamAuthorizer', () => {
    const ROLE = 'arn:aws:iam::123456789012:role/core-billing';
    const SESSION = 'arn:aws:sts::123456789012:assumed-role/core-billing/batch-42';
    const OPERATOR = 'arn:aws:iam::123456789012:user/operator';
    let now = NOW.getTime();
    let iam: ApiHarness;

    beforeAll(async () => {
      iam = await createApiHarness({ authorizer: (store) => new IamAuthorizer(store, { cacheTtlMs: 60_000, clock: { now: () => new Date(now) } }) });
      await iam.store.putPrincipalClients(ROLE, ['acme']);
      await iam.store.putPrincipalClients(OPERATOR, ['*']);
      await iam.schedules.putClient('acme', { name: 'Acme', timezone: 'UTC' });
      await iam.schedules.putClient('beta', { name: 'Beta', timezone: 'UTC' });
    });

    const call = (clientId: string, userArn?: string) => iam.send({ method: 'GET', path: `/v1/clients/${clientId}`, token: null, ...(userArn ? { userArn } : {}) });

    it('maps a role session to the role’s clients, 403 for other clients', async () => {
      expect((await call('acme', SESSION)).status).toBe(200);
      expect((await call('beta', SESSION)).status).toBe(403);
      expect((await call('acme', ROLE)).status).toBe(200);
    });

    it('lets a principal granted `*` act for every client', async () => {
      expect((await call('acme', OPERATOR)).status).toBe(200);
      expect((await call('beta', OPERATOR)).status).toBe(200);
    });

    it('answers 403 for a principal with no clients and 401 without an identity', async () => {
      expect((await call('acme', 'arn:aws:iam::123456789012:user/stranger')).status).toBe(403);
      expect((await call('acme')).status).toBe(401);
    });

    it('sees a changed grant once its cache entry expires', async () => {
      const arn = 'arn:aws:iam::123456789012:role/late-grant';
      expect((await call('beta', arn)).status).toBe(403);
      await iam.store.putPrincipalClients(arn, ['beta']);

      expect((await call('beta', arn)).status).toBe(403);
      now += 60_001;
      expect((await call('beta', arn)).status).toBe(200);
    });
  });

  it('documents a response for every status these sweeps can produce', () => {
    const operations = Object.keys(sampleRequests('x')) as OperationId[];
    for (const route of API_ROUTES) {
      expect(operations).toContain(route.operationId);
      for (const status of [400, 401, 403, 429, 500]) expect(route.responses[status], `${route.operationId} ${status}`).toBeDefined();
    }
  });
});
