import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lambdas/composition/local-runtime';
import { ADMIN_TOKEN, api, startTestRuntime } from '../support/local-runtime';

/**
 * The HTTP edge as a client meets it: the local runtime's server, router and services together on
 * DynamoDB Local, each request over a real connection.
 */
describe('the HTTP edge of the local runtime', () => {
  let runtime: LocalRuntime;
  let scheduleId: string;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    await api(runtime, 'PUT', '/v1/clients/edge', { name: 'Edge', timezone: 'UTC' });
    const schedule = await api(runtime, 'POST', '/v1/clients/edge/schedules', {
      name: 'Edge synthetic',
      frequency: { type: 'MANUAL' },
      executionTime: '01:00:00',
      timezone: 'UTC',
      jobs: [{ type: 'SYNTHETIC', settings: { items: 3 } }],
    });
    scheduleId = schedule.body.scheduleId;
  });

  afterAll(async () => {
    await runtime.stop();
  });

  it('answers names of Object.prototype members in the query or headers like any other name, with and without credentials', async () => {
    for (const name of ['__proto__', 'toString', 'constructor', 'hasOwnProperty', 'valueOf']) {
      for (const token of [undefined, ADMIN_TOKEN]) {
        const response = await fetch(`${runtime.url}/v1/clients/edge/runs?date=2026-11-25&${name}=1&${name}=2`, {
          headers: { [name]: 'x', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        });

        expect(response.status, `${name}, ${token ? 'admin' : 'no'} credentials`).toBe(token ? 200 : 401);
        expect((await response.json()) as object).toHaveProperty(token ? 'items' : 'error.details', []);
      }
    }
  });

  it('records a run created by a person as MANUAL and one created by a system as API', async () => {
    const manual = await api(runtime, 'POST', `/v1/clients/edge/schedules/${scheduleId}/runs`, { processingDate: '2026-11-01', trigger: 'MANUAL' });
    const system = await api(runtime, 'POST', `/v1/clients/edge/schedules/${scheduleId}/runs`, { processingDate: '2026-11-02' });

    expect(manual.status).toBe(202);
    expect((await api(runtime, 'GET', `/v1/clients/edge/runs/${manual.body.runId}`)).body.trigger).toBe('MANUAL');
    expect((await api(runtime, 'GET', `/v1/clients/edge/runs/${system.body.runId}`)).body.trigger).toBe('API');
  });

  it('names an invalid job setting once, at jobs.N.settings.field, on a schedule and on a run’s override', async () => {
    const bad = [{ type: 'SYNTHETIC', settings: { items: -1 } }];

    const schedule = await api(runtime, 'PUT', `/v1/clients/edge/schedules/${scheduleId}`, {
      name: 'Edge synthetic',
      frequency: { type: 'MANUAL' },
      executionTime: '01:00:00',
      timezone: 'UTC',
      jobs: bad,
    }, ADMIN_TOKEN, { 'if-match': '1' });
    const run = await api(runtime, 'POST', `/v1/clients/edge/schedules/${scheduleId}/runs`, { processingDate: '2026-11-03', jobs: bad });

    for (const response of [schedule, run]) {
      expect(response.status).toBe(400);
      expect(response.body.error.details).toEqual([{ path: 'jobs.0.settings.items', message: expect.any(String) }]);
    }
  });

  it('refuses a body that is not valid UTF-8 with 400 and stores no U+FFFD in its place', async () => {
    const body = Buffer.concat([Buffer.from('{"name":"Edge '), Buffer.from([0xff, 0xfe]), Buffer.from('","timezone":"UTC"}')]);

    const response = await fetch(`${runtime.url}/v1/clients/edge`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body,
    });

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: { code: 'MALFORMED_JSON', message: 'the body is not valid UTF-8', details: [] } });
    expect((await api(runtime, 'GET', '/v1/clients/edge')).body.name).toBe('Edge');
  });

  it('answers 415 to a body sent without Content-Type or in another charset', async () => {
    const put = (headers: Record<string, string>) =>
      fetch(`${runtime.url}/v1/clients/edge`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...headers },
        body: new Blob([JSON.stringify({ name: 'Renamed', timezone: 'UTC' })]),
      });

    const none = await put({});
    const utf16 = await put({ 'content-type': 'application/json; charset=utf-16' });

    expect([none.status, utf16.status]).toEqual([415, 415]);
    expect((await api(runtime, 'GET', '/v1/clients/edge')).body.name).toBe('Edge');
  });
});
