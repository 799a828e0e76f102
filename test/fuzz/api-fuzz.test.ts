import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseApiTokens } from '../../lambdas/api/auth';
import type { LocalRuntime } from '../../lambdas/composition/local-runtime';
import { ADMIN_TOKEN, api, startTestRuntime } from '../support/local-runtime';

/**
 * Generated requests — valid, half-valid and hostile — against the local runtime's HTTP server:
 * no 5xx, every error in the error model, and nothing of another client in any answer.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 5_000);

interface Known {
  scheduleIds: Record<'acme' | 'beta', string>;
  runIds: Record<'acme' | 'beta', string>;
}

describe('the HTTP API under generated requests', () => {
  let runtime: LocalRuntime;
  const known: Known = { scheduleIds: { acme: '', beta: '' }, runIds: { acme: '', beta: '' } };

  beforeAll(async () => {
    runtime = await startTestRuntime({ apiTokens: parseApiTokens('acme-token:acme,beta-token:beta') });
    for (const clientId of ['acme', 'beta'] as const) {
      await api(runtime, 'PUT', `/v1/clients/${clientId}`, { name: clientId, timezone: 'UTC' });
      const schedule = await api(runtime, 'POST', `/v1/clients/${clientId}/schedules`, {
        name: `${clientId} synthetic`,
        frequency: { type: 'MANUAL' },
        executionTime: '01:00:00',
        timezone: 'UTC',
        jobs: [{ type: 'SYNTHETIC', settings: { items: 20, failItems: [1] } }],
      });
      known.scheduleIds[clientId] = schedule.body.scheduleId;
      const run = await api(runtime, 'POST', `/v1/clients/${clientId}/schedules/${schedule.body.scheduleId}/runs`, { processingDate: '2026-11-25' });
      known.runIds[clientId] = run.body.runId;
    }
  });

  afterAll(async () => {
    await runtime.stop();
  });

  it(`answers ${RUNS} generated requests without a 5xx, in the error model, never leaking another client`, async () => {
    const client = fc.constantFrom('acme', 'beta', 'nobody', 'ACME', 'a'.repeat(60), '..', '%2e%2e', 'acme%00', '', 'ü');
    const scheduleId = fc.oneof(fc.constantFrom('daily', 'sch_daily', 'sch_nope', known.scheduleIds.acme, known.scheduleIds.beta), fc.string({ maxLength: 30 }));
    const runId = fc.oneof(fc.constantFrom(known.runIds.acme, known.runIds.beta, 'run_000000000000000000000000', 'latest'), fc.string({ maxLength: 30 }));
    const seq = fc.oneof(fc.integer({ min: -2, max: 5 }).map(String), fc.constantFrom('x', '1.5', '99999999999'));
    const date = fc.oneof(
      fc.constantFrom('2026-11-25', '2026-02-30', '2026-13-01', 'today', '', '0000-01-01', '9999-12-31', '1999-12-31', '2100-01-01'),
      fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
    );
    // Names a client may choose that are also members of Object.prototype, among ordinary ones.
    const name = fc.oneof(fc.constantFrom('__proto__', 'toString', 'constructor', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '__defineGetter__'), fc.string({ minLength: 1, maxLength: 12 }));
    const extraQuery = fc.array(fc.tuple(name, fc.string({ maxLength: 8 })), { maxLength: 3 });
    const headerName = name.filter((n) => /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(n));
    const extraHeaders = fc.array(fc.tuple(headerName, fc.constantFrom('1', 'x', '')), { maxLength: 3 });
    const query = fc.oneof(
      fc.constant(''),
      fc
        .record(
          {
            date,
            status: fc.constantFrom('FAILED', 'SUCCEEDED', 'PENDING', 'RUNNING', 'bogus'),
            limit: fc.constantFrom('0', '1', '1000', '1001', '-5', 'abc', '0x10', '1e3', ' 5', '+5', '5.0'),
            nextToken: fc.constantFrom('', 'garbage', 'WzAsMF0', 'WzEsMl0'),
          },
          { requiredKeys: [] },
        )
        .map((q) => `?${new URLSearchParams(Object.entries(q) as Array<[string, string]>).toString()}`),
    );
    const path = fc.oneof(
      fc.tuple(client).map(([c]) => `/v1/clients/${encodeURIComponent(c)}`),
      fc.tuple(client).map(([c]) => `/v1/clients/${c}/schedules`),
      fc.tuple(client, scheduleId).map(([c, s]) => `/v1/clients/${c}/schedules/${encodeURIComponent(s)}`),
      fc.tuple(client, scheduleId).map(([c, s]) => `/v1/clients/${c}/schedules/${encodeURIComponent(s)}/runs`),
      fc.tuple(client, scheduleId, date).map(([c, s, d]) => `/v1/clients/${c}/schedules/${encodeURIComponent(s)}/runs/${d}`),
      fc.tuple(client).map(([c]) => `/v1/clients/${c}/schedule-preview`),
      fc.tuple(client, query).map(([c, q]) => `/v1/clients/${c}/runs${q}`),
      fc.tuple(client, runId).map(([c, r]) => `/v1/clients/${c}/runs/${encodeURIComponent(r)}`),
      fc.tuple(client, runId, seq, query).map(([c, r, s, q]) => `/v1/clients/${c}/runs/${encodeURIComponent(r)}/jobs/${s}/items${q}`),
      fc.tuple(client, runId).map(([c, r]) => `/v1/clients/${c}/runs/${encodeURIComponent(r)}/reprocess`),
      fc.tuple(client, runId).map(([c, r]) => `/v1/clients/${c}/runs/${encodeURIComponent(r)}/reset`),
      fc.constantFrom('/', '/v1', '/v2/clients/acme', '/health', '/v1/clients', '/v1/clients/acme/unknown'),
    );
    const validBody = fc.constantFrom<unknown>(
      { name: 'Acme', timezone: 'UTC' },
      { name: 'S', frequency: { type: 'DAILY' }, executionTime: '01:00:00', timezone: 'UTC', jobs: [{ type: 'BILLING' }] },
      { frequency: { type: 'CRON', expression: '0 30 0 ? * MON-FRI *' }, executionTime: '02:30:00', timezone: 'America/New_York', count: 3 },
      { processingDate: '2026-11-25' },
      { processingDate: '2026-11-26', trigger: 'MANUAL' },
      { processingDate: '9999-12-31' },
      { frequency: { type: 'YEAR_END' }, executionTime: '02:30:00', timezone: 'UTC', from: '9999-12-31T00:00:00Z', count: 100 },
      { scope: 'RUN', heal: true },
      { scope: 'JOB', seq: 1, items: 'ALL' },
    );
    const body = fc.oneof(
      validBody,
      fc.tuple(validBody, fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 })).map(([b, key, value]) => ({ ...(b as object), [key]: value })),
      fc.jsonValue({ maxDepth: 3 }),
      fc.constantFrom('{"unterminated": ', 'not json', '', '[]', 'null', '{"name": "x".repeat}'),
      fc.constant('x'.repeat(300 * 1024)),
      fc.constant(undefined),
    );
    const token = fc.constantFrom(ADMIN_TOKEN, 'acme-token', 'beta-token', 'wrong', '', undefined);
    const contentType = fc.constantFrom('application/json', 'text/plain', 'application/json; charset=utf-8', 'application/json; charset=utf-16', undefined);
    const ifMatch = fc.constantFrom('1', '"1"', 'W/"2"', '999', 'abc', undefined);
    const method = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH');
    const request = fc.record({ method, path, extraQuery, body, token, contentType, ifMatch, extraHeaders });

    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const headers: Record<string, string> = Object.fromEntries(r.extraHeaders);
        if (r.token !== undefined) headers.authorization = `Bearer ${r.token}`;
        if (r.contentType !== undefined) headers['content-type'] = r.contentType;
        if (r.ifMatch !== undefined) headers['if-match'] = r.ifMatch;
        const text = r.body === undefined || r.method === 'GET' ? undefined : typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
        const extra = new URLSearchParams(r.extraQuery).toString();
        const target = extra === '' ? r.path : `${r.path}${r.path.includes('?') ? '&' : '?'}${extra}`;
        const response = await fetch(`${runtime.url}${target}`, { method: r.method, headers, ...(text === undefined ? {} : { body: text }) });
        const raw = await response.text();

        expect(response.status, `${r.method} ${target}: ${raw.slice(0, 300)}`).toBeLessThan(500);
        if (response.status >= 400) {
          const parsed = JSON.parse(raw);
          expect(typeof parsed.error?.code).toBe('string');
          expect(typeof parsed.error?.message).toBe('string');
          expect(Array.isArray(parsed.error?.details), raw.slice(0, 300)).toBe(true);
          expect(raw).not.toMatch(/at .*\.ts:\d+/);
        }
        for (const [, answered] of raw.matchAll(/"processingDate":"([^"]*)"/g)) expect(answered).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        if (r.token === 'acme-token' && response.status < 400) {
          expect(raw).not.toContain('"clientId":"beta"');
          if (known.scheduleIds.beta) expect(raw).not.toContain(known.scheduleIds.beta);
          expect(raw).not.toContain(known.runIds.beta);
        }
        if (r.token === 'beta-token' && response.status < 400) {
          expect(raw).not.toContain('"clientId":"acme"');
          expect(raw).not.toContain(known.runIds.acme);
        }
      }),
      { numRuns: RUNS, seed: Number(process.env.FUZZ_SEED ?? 20261125) },
    );
  }, 300_000);
});
