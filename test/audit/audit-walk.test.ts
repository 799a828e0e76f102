import { describe, expect, it } from 'vitest';
import { auditRecordFor } from '../../lambdas/api/audit-trail';
import { API_ROUTES, ROUTES } from '../../lambdas/api/route-table';

/** Values for any path parameter a route may have. */
const PARAM_VALUES: Record<string, unknown> = new Proxy({ clientId: 'acme', scheduleId: 'sch_abc', runId: 'run_abc', seq: 2 }, {
  get: (target: Record<string, unknown>, name: string) => target[name] ?? `${name}-value`,
});

function paramsOf(path: string): Record<string, unknown> {
  return Object.fromEntries([...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => [name as string, PARAM_VALUES[name as string]]));
}

const caller = { principal: 'api-token:acme' };

describe('the audit trail covers every change route', () => {
  it('records each route that is not a GET, except the preview, which changes nothing', () => {
    const changes = API_ROUTES.filter((route) => route.method !== 'GET');
    expect(changes.length).toBeGreaterThan(10);
    const unrecorded: string[] = [];
    for (const route of changes) {
      const record = auditRecordFor(route, { params: paramsOf(route.path), body: { name: 'x' }, caller }, { status: 200, body: {} }, '2026-11-25T12:00:00.000Z');
      if (!record) {
        unrecorded.push(route.operationId);
        continue;
      }
      expect(record.actor, route.operationId).toBe('api-token:acme');
      expect(record.action, route.operationId).toBe(route.operationId);
      expect(record.target.type, route.operationId).toMatch(/^[a-zA-Z]+$/);
      expect(record.target.id, route.operationId).not.toBe('');
      expect(record.target.id, route.operationId).not.toContain('undefined');
      if (route.path.includes('{clientId}')) expect(record.clientId, route.operationId).toBe('acme');
    }
    // A route may opt out only by saying so in the table; a new change route is recorded by default.
    expect(unrecorded).toEqual(['previewSchedule']);
  });

  it('records nothing for a GET', () => {
    for (const route of API_ROUTES.filter((r) => r.method === 'GET')) {
      expect(auditRecordFor(route, { params: paramsOf(route.path), body: undefined, caller }, { status: 200, body: {} }, '2026-11-25T12:00:00.000Z')).toBeUndefined();
    }
  });

  it('names the created resource, the path’s resource, and drops secrets at any depth', () => {
    const at = '2026-11-25T12:00:00.000Z';
    const created = auditRecordFor(ROUTES.createSchedule, { params: { clientId: 'acme' }, body: { name: 'Nightly' }, caller }, { status: 201, body: { scheduleId: 'sch_new', version: 1 } }, at);
    expect(created).toMatchObject({ clientId: 'acme', action: 'createSchedule', target: { type: 'schedule', id: 'sch_new' }, details: { body: { name: 'Nightly' }, version: 1 } });

    const trigger = auditRecordFor(ROUTES.triggerRun, { params: { clientId: 'acme', scheduleId: 'daily' }, body: { processingDate: '2026-11-25' }, caller }, { status: 202, body: { runId: 'run_1', status: 'PENDING' } }, at);
    expect(trigger).toMatchObject({ target: { type: 'run', id: 'run_1' }, details: { status: 'PENDING' } });

    const plan = auditRecordFor(ROUTES.putRatePlan, { params: { clientId: 'acme', ratePlanId: 'basic' }, body: {}, caller }, { status: 200, body: {} }, at);
    expect(plan?.target).toEqual({ type: 'ratePlan', id: 'basic' });

    const client = auditRecordFor(ROUTES.putClient, { params: { clientId: 'acme' }, body: {}, caller }, { status: 200, body: {} }, at);
    expect(client?.target).toEqual({ type: 'client', id: 'acme' });

    const body = { url: 'https://example.com/hook', secret: 'a-very-long-secret-value', nested: [{ apiKey: 'k', token: 't', keep: 1 }] };
    const record = auditRecordFor(ROUTES.createSchedule, { params: { clientId: 'acme' }, body, caller }, { status: 201, body: {} }, at);
    expect(record?.details.body).toEqual({ url: 'https://example.com/hook', nested: [{ keep: 1 }] });
    expect(JSON.stringify(record)).not.toContain('a-very-long-secret-value');
  });
});
