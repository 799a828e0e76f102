import { beforeAll, describe, expect, it } from 'vitest';
import { IamAuthorizer, parseApiTokens, TokenAuthorizer } from '../../lambdas/api/auth';
import { API_ROUTES, leastRole, type OperationId } from '../../lambdas/api/route-table';
import { ROLES, type Role } from '../../lambdas/ports/config-store';
import { apiEvent } from './support/events';
import { ADMIN_TOKEN, createApiHarness, type ApiHarness, type RequestSpec } from './support/harness';
import { sampleRequests } from './support/route-samples';

/** API.md "Roles", written out route by route: the table the router must enforce. */
const LEAST_ROLE: Record<OperationId, Role> = {
  getCatalogue: 'viewer',
  getMe: 'viewer',
  putClient: 'admin',
  getClient: 'viewer',
  createSchedule: 'admin',
  listSchedules: 'viewer',
  getSchedule: 'viewer',
  replaceSchedule: 'admin',
  deleteSchedule: 'admin',
  previewSchedule: 'viewer',
  triggerRun: 'caller',
  getRunByDate: 'viewer',
  listRuns: 'viewer',
  getRun: 'viewer',
  listRunItems: 'viewer',
  reprocessRun: 'operator',
  resetRun: 'operator',
  startRunJob: 'operator',
  putRatePlan: 'operator',
  listRatePlans: 'viewer',
  getRatePlan: 'viewer',
  putAccount: 'operator',
  listAccounts: 'viewer',
  getAccount: 'viewer',
  importUsage: 'operator',
  listUsage: 'viewer',
  discardUsage: 'operator',
  createRerateRequest: 'operator',
  listRerateRequests: 'viewer',
  cancelRerateRequest: 'operator',
  listInvoices: 'viewer',
  createSubscription: 'admin',
  listSubscriptions: 'viewer',
  deleteSubscription: 'admin',
  listDeliveries: 'viewer',
  listAudit: 'viewer',
  listScheduleVersions: 'viewer',
  getScheduleVersion: 'viewer',
  listAllRuns: 'viewer',
  createBackfill: 'operator',
  getBackfill: 'viewer',
  putCalendar: 'admin',
  listCalendars: 'viewer',
  getCalendar: 'viewer',
  deleteCalendar: 'admin',
};

/** Routes whose sample may answer for itself past the role check: no run for that date, no plan or account a lesser role could not create, no suspended usage to discard. */
const OWN_ANSWER: Partial<Record<OperationId, number>> = { getRunByDate: 404, getRatePlan: 404, getAccount: 404, discardUsage: 404, getBackfill: 404, getCalendar: 404, deleteSubscription: 404, listDeliveries: 404 };

const SCHEDULE = { name: 'Month end', frequency: { type: 'MONTH_END', offsetDays: 0 }, executionTime: '03:00:00', timezone: 'UTC', jobs: [{ type: 'BILLING' }] };
const suffix = Math.random().toString(36).slice(2, 8);
/** One client per role, each with a token of that role only. */
const CLIENT_OF: Record<Role, string> = Object.fromEntries(ROLES.map((role) => [role, `roles-${role}-${suffix}`])) as Record<Role, string>;
const TOKEN_OF = (role: Role): string => `${role}-token-${suffix}`;
const API_TOKENS = ROLES.map((role) => `${TOKEN_OF(role)}:${CLIENT_OF[role]}:${role}`).join(',');

describe('roles', () => {
  let h: ApiHarness;

  beforeAll(async () => {
    h = await createApiHarness({ apiTokens: API_TOKENS });
  });

  it('lists every route of the table, and the table agrees with it', () => {
    expect(Object.keys(LEAST_ROLE).sort()).toEqual(API_ROUTES.map((route) => route.operationId).sort());
    for (const route of API_ROUTES) expect(leastRole(route), route.operationId).toBe(LEAST_ROLE[route.operationId as OperationId]);
  });

  describe.each(ROLES)('a token with the %s role', (role) => {
    it('may call each route its role includes and gets 403 FORBIDDEN_ACTION naming the role needed on every other, changing nothing', async () => {
      const clientId = CLIENT_OF[role];
      await h.send({ method: 'PUT', path: `/v1/clients/${clientId}`, body: { name: `Client of a ${role}`, timezone: 'UTC' } });
      const created = await h.send({ method: 'POST', path: `/v1/clients/${clientId}/schedules`, body: SCHEDULE });
      h.runs.calls.length = 0;

      for (const [operationId, request] of Object.entries(sampleRequests(clientId, created.body.scheduleId, created.body.version)) as Array<[OperationId, RequestSpec]>) {
        const needed = LEAST_ROLE[operationId];
        const before = { client: await h.store.getClient(clientId), schedules: await h.store.listSchedules(clientId), runCalls: h.runs.calls.length };

        const response = await h.send({ ...request, token: TOKEN_OF(role) });

        if (ROLES.indexOf(role) >= ROLES.indexOf(needed)) {
          // Past the role check the route answers for itself: a date without a run is its own 404.
          expect(response.status, `${role} ${operationId}: ${response.raw}`).not.toBe(403);
          expect(response.status, `${role} ${operationId}: ${response.raw}`).toBeLessThan((OWN_ANSWER[operationId] ?? 299) + 1);
        } else {
          expect(response.status, `${role} ${operationId}`).toBe(403);
          expect(response.body.error.code).toBe('FORBIDDEN_ACTION');
          expect(response.body.error.message).toContain(`needs the ${needed} role`);
          expect(response.body.error.message).toContain(`are ${role} for client ${clientId}`);
          expect({ client: await h.store.getClient(clientId), schedules: await h.store.listSchedules(clientId), runCalls: h.runs.calls.length }).toEqual(before);
        }
      }
    });
  });

  it('keeps the client check first: a token of another client gets FORBIDDEN, whatever its role', async () => {
    const response = await h.send({ method: 'GET', path: `/v1/clients/${CLIENT_OF.viewer}`, token: TOKEN_OF('admin') });

    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('FORBIDDEN');
  });

  it('checks the role before the body: a viewer’s invalid reprocess is 403, not 400', async () => {
    const { reprocessRun } = sampleRequests(CLIENT_OF.viewer);

    const response = await h.send({ ...reprocessRun, body: { scope: 'NONSENSE' }, token: TOKEN_OF('viewer') });

    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('FORBIDDEN_ACTION');
  });

  describe('GET /v1/me', () => {
    it('names the actor and each client with its role; the admin token is admin for every client', async () => {
      const admin = await h.send({ method: 'GET', path: '/v1/me' });
      const operator = await h.send({ method: 'GET', path: '/v1/me', token: TOKEN_OF('operator') });

      expect(admin.body).toEqual({ actor: 'admin-token', clients: [{ clientId: '*', role: 'admin' }] });
      expect(operator.body).toEqual({ actor: `api-token:${CLIENT_OF.operator}`, clients: [{ clientId: CLIENT_OF.operator, role: 'operator' }] });
    });

    it('shows a token listed for several clients with each client’s own role', async () => {
      const multi = await createApiHarness({ apiTokens: 'ops:acme:operator,ops:beta:viewer' });

      const response = await multi.send({ method: 'GET', path: '/v1/me', token: 'ops' });
      const reset = await multi.send({ ...sampleRequests('beta').resetRun, token: 'ops' });

      expect(response.body.clients).toEqual([
        { clientId: 'acme', role: 'operator' },
        { clientId: 'beta', role: 'viewer' },
      ]);
      expect(reset.body.error.code).toBe('FORBIDDEN_ACTION');
    });

    it('answers 401 without credentials', async () => {
      expect((await h.send({ method: 'GET', path: '/v1/me', token: null })).status).toBe(401);
    });
  });

  describe('API_TOKENS', () => {
    it('reads token:clientId:role, the role admin when left out', () => {
      expect(parseApiTokens('t1:acme:viewer, t2:acme ,t1:beta:operator,t3:acme:caller')).toEqual(
        new Map([
          ['t1', new Map([['acme', 'viewer'], ['beta', 'operator']])],
          ['t2', new Map([['acme', 'admin']])],
          ['t3', new Map([['acme', 'caller']])],
        ]),
      );
    });

    it('refuses an unknown role, naming the entry but not its token', () => {
      expect(() => parseApiTokens('t1:acme:viewer,s3cret:acme:superuser')).toThrow('API_TOKENS: "…:acme:superuser" has an unknown role "superuser": use one of viewer, caller, operator, admin');
      expect(() => parseApiTokens('s3cret:acme:Operator')).toThrow(/unknown role "Operator"/);
      expect(() => parseApiTokens('s3cret:acme:superuser')).not.toThrow(/s3cret/);
    });

    it('refuses an empty role, a fourth field and one token with two roles for a client', () => {
      expect(() => parseApiTokens('s3cret:acme:')).toThrow(/unknown role ""/);
      expect(() => parseApiTokens('s3cret:acme:viewer:extra')).toThrow('API_TOKENS: "…:acme:viewer:extra" is not a token:clientId or token:clientId:role entry');
      expect(() => parseApiTokens('s3cret:acme:viewer,s3cret:acme:admin')).toThrow('API_TOKENS: "…:acme:admin" gives the token a second role for acme (also viewer)');
      expect(() => parseApiTokens('s3cret:acme:viewer,s3cret:acme:viewer')).not.toThrow();
    });

    it('gives the local authorizer each token’s grants', async () => {
      const authorizer = new TokenAuthorizer(ADMIN_TOKEN, parseApiTokens('t1:acme:caller'));
      const caller = await authorizer.authorize(apiEvent({ method: 'GET', path: '/v1/me', headers: { authorization: 'Bearer t1' } }));

      expect(caller).toEqual({ principal: 'api-token:acme', grants: new Map([['acme', 'caller']]) });
    });
  });

  describe('the deployed principal mapping (Config table, DynamoDB Local)', () => {
    const CORE_BILLING = 'arn:aws:iam::123456789012:role/core-billing';
    const CORE_SESSION = 'arn:aws:sts::123456789012:assumed-role/core-billing/batch-7';
    const READ_ONLY = 'arn:aws:iam::123456789012:role/console-read-only';
    const LEGACY = 'arn:aws:iam::123456789012:role/mapped-before-roles';
    let iam: ApiHarness;
    let clientId: string;

    beforeAll(async () => {
      iam = await createApiHarness({ authorizer: (store) => new IamAuthorizer(store) });
      clientId = iam.newClientId();
      await iam.schedules.putClient(clientId, { name: 'Acme', timezone: 'UTC' });
      await iam.store.putPrincipalClients(CORE_BILLING, [clientId], 'caller');
      await iam.store.putPrincipalClients(READ_ONLY, ['*'], 'viewer');
      await iam.store.putPrincipalClients(CORE_SESSION, [clientId], 'viewer');
      // A mapping written before roles existed: no role attribute at all.
      await iam.store.putPrincipalClients(LEGACY, [clientId]);
    });

    const as = (userArn: string, operationId: OperationId) => iam.send({ ...sampleRequests(clientId)[operationId], token: null, userArn });

    it('stores the role with the mapping, and reads a mapping without one as admin', async () => {
      expect(await iam.store.getPrincipal(CORE_BILLING)).toEqual({ clientIds: [clientId], role: 'caller' });
      expect(await iam.store.getPrincipal(READ_ONLY)).toEqual({ clientIds: ['*'], role: 'viewer' });
      expect(await iam.store.getPrincipal(LEGACY)).toEqual({ clientIds: [clientId], role: 'admin' });
    });

    it('lets core billing’s caller role trigger and read runs, and refuses it reset and schedule changes', async () => {
      expect((await as(CORE_BILLING, 'triggerRun')).status).toBe(202);
      expect((await as(CORE_BILLING, 'getRun')).status).toBe(200);
      expect((await as(CORE_BILLING, 'resetRun')).body.error.code).toBe('FORBIDDEN_ACTION');
      expect((await as(CORE_BILLING, 'replaceSchedule')).body.error.code).toBe('FORBIDDEN_ACTION');
    });

    it('gives a role session the higher of its own and its role’s mapping', async () => {
      expect((await as(CORE_SESSION, 'triggerRun')).status).toBeLessThan(300);
      expect((await iam.send({ method: 'GET', path: '/v1/me', token: null, userArn: CORE_SESSION })).body.clients).toEqual([{ clientId, role: 'caller' }]);
    });

    it('lets a `*` viewer read every client and change none', async () => {
      expect((await as(READ_ONLY, 'getClient')).status).toBe(200);
      expect((await as(READ_ONLY, 'previewSchedule')).status).toBe(200);
      expect((await as(READ_ONLY, 'triggerRun')).body.error.code).toBe('FORBIDDEN_ACTION');
      expect((await iam.send({ method: 'GET', path: '/v1/me', token: null, userArn: READ_ONLY })).body).toEqual({ actor: READ_ONLY, clients: [{ clientId: '*', role: 'viewer' }] });
    });

    it('keeps a mapping from before roles working with every right it had', async () => {
      expect((await as(LEGACY, 'putClient')).status).toBe(200);
      expect((await as(LEGACY, 'deleteSchedule')).status).toBe(409);
    });

    it('answers GET /v1/me for a principal with no mapping: no clients', async () => {
      const response = await iam.send({ method: 'GET', path: '/v1/me', token: null, userArn: 'arn:aws:iam::123456789012:user/stranger' });

      expect(response.body).toEqual({ actor: 'arn:aws:iam::123456789012:user/stranger', clients: [] });
    });
  });
});
