import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateOpenApiDocument, renderOpenApiDocument } from '../../lambdas/api/openapi';
import { API_ROUTES, type OperationId } from '../../lambdas/api/route-table';
import { createApiHarness, type ApiHarness } from './support/harness';
import { sampleRequests, SUSPENDED_USAGE_ID } from './support/route-samples';

interface Operation {
  operationId: string;
  parameters?: Array<{ name: string; in: string; required: boolean }>;
  requestBody?: unknown;
  responses: Record<string, { content?: unknown }>;
}

const document = generateOpenApiDocument() as { openapi: string; paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> } };
const operations = Object.entries(document.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ path, method: method.toUpperCase(), operation })));

/** The routes of shared/API.md, as written there: the contract the document must keep. */
const CONTRACT = [
  'GET /v1/catalogue',
  'GET /v1/me',
  'PUT /v1/clients/{clientId}',
  'GET /v1/clients/{clientId}',
  'POST /v1/clients/{clientId}/schedules',
  'GET /v1/clients/{clientId}/schedules',
  'GET /v1/clients/{clientId}/schedules/{scheduleId}',
  'PUT /v1/clients/{clientId}/schedules/{scheduleId}',
  'DELETE /v1/clients/{clientId}/schedules/{scheduleId}',
  'POST /v1/clients/{clientId}/schedule-preview',
  'POST /v1/clients/{clientId}/schedules/{scheduleId}/runs',
  'GET /v1/clients/{clientId}/schedules/{scheduleId}/runs/{processingDate}',
  'GET /v1/clients/{clientId}/runs',
  'GET /v1/clients/{clientId}/runs/{runId}',
  'GET /v1/clients/{clientId}/runs/{runId}/jobs/{seq}/items',
  'POST /v1/clients/{clientId}/runs/{runId}/reprocess',
  'POST /v1/clients/{clientId}/runs/{runId}/reset',
  'POST /v1/clients/{clientId}/runs/{runId}/jobs/{seq}/start',
  'PUT /v1/clients/{clientId}/ledger/rate-plans/{ratePlanId}',
  'GET /v1/clients/{clientId}/ledger/rate-plans',
  'GET /v1/clients/{clientId}/ledger/rate-plans/{ratePlanId}',
  'PUT /v1/clients/{clientId}/ledger/accounts/{accountId}',
  'GET /v1/clients/{clientId}/ledger/accounts',
  'GET /v1/clients/{clientId}/ledger/accounts/{accountId}',
  'POST /v1/clients/{clientId}/ledger/usage',
  'GET /v1/clients/{clientId}/ledger/usage',
  'POST /v1/clients/{clientId}/ledger/usage/discard',
  'POST /v1/clients/{clientId}/ledger/rerate-requests',
  'GET /v1/clients/{clientId}/ledger/rerate-requests',
  'DELETE /v1/clients/{clientId}/ledger/rerate-requests/{accountId}/{requestId}',
  'GET /v1/clients/{clientId}/ledger/invoices',
  'PUT /v1/clients/{clientId}/calendars/{calendarId}',
  'GET /v1/clients/{clientId}/calendars',
  'GET /v1/clients/{clientId}/calendars/{calendarId}',
  'DELETE /v1/clients/{clientId}/calendars/{calendarId}',
  'POST /v1/clients/{clientId}/subscriptions',
  'GET /v1/clients/{clientId}/subscriptions',
  'DELETE /v1/clients/{clientId}/subscriptions/{subscriptionId}',
  'GET /v1/clients/{clientId}/subscriptions/{subscriptionId}/deliveries',
  'GET /v1/runs',
  'GET /v1/clients/{clientId}/audit',
  'GET /v1/clients/{clientId}/schedules/{scheduleId}/versions',
  'GET /v1/clients/{clientId}/schedules/{scheduleId}/versions/{version}',
  'POST /v1/clients/{clientId}/schedules/{scheduleId}/backfill',
  'GET /v1/clients/{clientId}/schedules/{scheduleId}/backfills/{backfillId}',
];

describe('OpenAPI document', () => {
  it('is committed as docs/openapi.json, up to date (npx tsx lambdas/api/write-openapi.ts)', () => {
    const committed = readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8');

    expect(committed).toBe(renderOpenApiDocument());
  });

  it('is OpenAPI 3.1 with SigV4 and bearer security', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.components.securitySchemes).sort()).toEqual(['bearer', 'sigv4']);
  });

  it('documents exactly the routes of the contract, one operation each', () => {
    expect(operations.map((o) => `${o.method} ${o.path}`).sort()).toEqual([...CONTRACT].sort());
    expect(new Set(operations.map((o) => o.operation.operationId)).size).toBe(CONTRACT.length);
  });

  it('declares every path parameter of every path, and the If-Match header of the schedule PUT', () => {
    for (const { path, method, operation } of operations) {
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const declared = (operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      expect(declared, `${method} ${path}`).toEqual(inPath);
    }
    const replace = document.paths['/v1/clients/{clientId}/schedules/{scheduleId}']?.put;
    expect(replace?.parameters).toContainEqual(expect.objectContaining({ name: 'If-Match', in: 'header', required: true }));
    // A rate plan PUT creates without If-Match and replaces with it.
    const putPlan = document.paths['/v1/clients/{clientId}/ledger/rate-plans/{ratePlanId}']?.put;
    expect(putPlan?.parameters).toContainEqual(expect.objectContaining({ name: 'If-Match', in: 'header', required: false }));
  });

  it('gives every error response the error model, and every reference a component', () => {
    const text = JSON.stringify(document);
    for (const ref of text.matchAll(/"\$ref":"#\/components\/schemas\/(\w+)"/g)) expect(document.components.schemas).toHaveProperty(ref[1] as string);
    for (const { operation } of operations) {
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) >= 400) expect(response.content).toEqual({ 'application/json': { schema: { $ref: '#/components/schemas/Error' } } });
      }
    }
  });

  describe('against the router', () => {
    let h: ApiHarness;
    let clientId: string;
    let scheduleId: string;

    beforeAll(async () => {
      h = await createApiHarness();
      clientId = await h.onboard();
      const created = await h.send({
        method: 'POST',
        path: `/v1/clients/${clientId}/schedules`,
        body: { name: 'Routed', frequency: { type: 'MANUAL' }, executionTime: '00:00:00', timezone: 'UTC', jobs: [{ type: 'BILLING' }] },
      });
      scheduleId = created.body.scheduleId;
      // The ledger API cannot suspend usage (rating does): the discard sample's record is arranged here.
      await h.ledger.importUsage([
        { clientId, accountId: 'acct-1', usageDate: '2026-11-20', usageId: SUSPENDED_USAGE_ID, usageType: 'CALLS', quantity: 1, state: 'SUSPENDED', rev: 1, suspense: { code: 'NO_RATE', message: 'no rate', at: '2026-11-21T00:00:00Z' } },
      ]);
    });

    it('routes every documented operation to its handler, which answers a documented 2xx', async () => {
      const samples = sampleRequests(clientId, scheduleId);
      // In the samples' order, which ends with deleteSchedule: the table's order deletes the
      // schedule before the backfill routes that need it.
      const order = Object.keys(samples);
      const sweep = [...API_ROUTES].sort((a, b) => order.indexOf(a.operationId) - order.indexOf(b.operationId));
      expect(sweep.map((r) => r.operationId).sort()).toEqual([...order].sort());
      for (const route of sweep) {
        const request = samples[route.operationId as OperationId];
        const operation = document.paths[route.path]?.[route.method.toLowerCase()];

        const response = await h.send(request);

        expect(operation?.operationId).toBe(route.operationId);
        expect(response.status, `${route.operationId}: ${JSON.stringify(response.body)}`).toBeGreaterThanOrEqual(200);
        expect(response.status, `${route.operationId}: ${JSON.stringify(response.body)}`).toBeLessThan(300);
        expect(Object.keys(operation?.responses ?? {})).toContain(String(response.status));
      }
    });
  });
});
