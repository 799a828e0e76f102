import { beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_WRITE_FAILED } from '../../lambdas/api/router';
import type { AuditLog } from '../../lambdas/ports/audit-log';
import { ADMIN_TOKEN, createApiHarness, type ApiHarness } from '../api/support/harness';

const SCHEDULE = {
  name: 'Month-end close',
  frequency: { type: 'MONTH_END', offsetDays: 2 },
  executionTime: '00:30:00',
  timezone: 'America/New_York',
  jobs: [{ type: 'USAGE_RATING' }, { type: 'BILLING' }],
};

/** The harness's API_TOKENS: one admin token per client, for the fixed clients acme and beta. */
const ACME_TOKEN = 'acme-token';
const BETA_TOKEN = 'beta-token';

type AuditItem = { at: string; actor: string; action: string; target: { type: string; id: string }; details: Record<string, unknown> };

describe('audit trail and schedule versions (DynamoDB Local)', () => {
  let h: ApiHarness;
  let acmeSchedule: string;

  async function auditOf(clientId: string, query = '', token = ADMIN_TOKEN): Promise<AuditItem[]> {
    const response = await h.send({ method: 'GET', path: `/v1/clients/${clientId}/audit${query}`, token });
    expect(response.status).toBe(200);
    return response.body.items as AuditItem[];
  }

  beforeAll(async () => {
    h = await createApiHarness();
    // Two clients, each changed by the admin and by its own client-scoped token.
    for (const clientId of ['acme', 'beta']) {
      expect((await h.send({ method: 'PUT', path: `/v1/clients/${clientId}`, body: { name: clientId, timezone: 'America/New_York' } })).status).toBe(201);
    }
    const created = await h.send({ method: 'POST', path: '/v1/clients/acme/schedules', body: SCHEDULE, token: ACME_TOKEN });
    expect(created.status).toBe(201);
    acmeSchedule = created.body.scheduleId;
    const replaced = await h.send({ method: 'PUT', path: `/v1/clients/acme/schedules/${acmeSchedule}`, headers: { 'If-Match': '1' }, body: { ...SCHEDULE, executionTime: '01:30:00' }, token: ACME_TOKEN });
    expect(replaced.status).toBe(200);
    expect((await h.send({ method: 'POST', path: '/v1/clients/beta/schedules', body: { ...SCHEDULE, name: 'Beta close' }, token: BETA_TOKEN })).status).toBe(201);
    // A refused change is no change: nothing is recorded for it.
    expect((await h.send({ method: 'PUT', path: `/v1/clients/acme/schedules/${acmeSchedule}`, headers: { 'If-Match': '1' }, body: SCHEDULE, token: ACME_TOKEN })).status).toBe(412);
  });

  it('lists a client’s changes newest first, with the principal as actor and what changed', async () => {
    const items = await auditOf('acme');

    expect(items.map((item) => [item.action, item.actor, item.target.type])).toEqual([
      ['replaceSchedule', 'api-token:acme', 'schedule'],
      ['createSchedule', 'api-token:acme', 'schedule'],
      ['putClient', 'admin-token', 'client'],
    ]);
    expect(items[0]?.target.id).toBe(acmeSchedule);
    expect(items[0]?.details).toMatchObject({ version: 2, body: { executionTime: '01:30:00' } });
    expect(items[1]?.target.id).toBe(acmeSchedule);
    expect(items.map((item) => item.at)).toEqual([...items.map((item) => item.at)].sort().reverse());
  });

  it('shows one client’s trail to its own token only, and never a token', async () => {
    expect((await auditOf('beta', '', BETA_TOKEN)).map((item) => item.action)).toEqual(['createSchedule', 'putClient']);
    expect((await auditOf('acme', '', ACME_TOKEN)).every((item) => item.actor !== 'api-token:beta')).toBe(true);

    const foreign = await h.send({ method: 'GET', path: '/v1/clients/beta/audit', token: ACME_TOKEN });
    expect(foreign.status).toBe(403);
    const everything = JSON.stringify([...(await auditOf('acme')), ...(await auditOf('beta'))]);
    for (const token of [ADMIN_TOKEN, ACME_TOKEN, BETA_TOKEN]) expect(everything).not.toContain(token);
  });

  it('pages with limit and nextToken, and refuses a token it did not issue', async () => {
    const first = await h.send({ method: 'GET', path: '/v1/clients/acme/audit?limit=2' });
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextToken).toEqual(expect.any(String));
    const second = await h.send({ method: 'GET', path: `/v1/clients/acme/audit?limit=2&nextToken=${encodeURIComponent(first.body.nextToken)}` });
    expect(second.body.items.map((item: AuditItem) => item.action)).toEqual(['putClient']);
    expect(second.body.nextToken).toBeUndefined();

    const tampered = await h.send({ method: 'GET', path: '/v1/clients/acme/audit?nextToken=not-a-token' });
    expect(tampered.status).toBe(400);
    expect(tampered.body.error.details[0].path).toBe('nextToken');
    const backwards = await h.send({ method: 'GET', path: '/v1/clients/acme/audit?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z' });
    expect(backwards.status).toBe(400);
    expect(backwards.body.error.details[0].path).toBe('to');
  });

  it('filters by instants, both inclusive', async () => {
    const all = await auditOf('acme');
    const newest = all[0] as AuditItem;
    const oldest = all.at(-1) as AuditItem;
    expect((await auditOf('acme', `?from=${encodeURIComponent(newest.at)}`)).map((item) => item.action)).toContain('replaceSchedule');
    expect(await auditOf('acme', `?to=${encodeURIComponent(oldest.at)}`)).toContainEqual(oldest);
    expect(await auditOf('acme', '?to=2000-01-01T00:00:00Z')).toEqual([]);
  });

  it('keeps each schedule version as saved, by whom, newest first; daily is an alias', async () => {
    const versions = await h.send({ method: 'GET', path: `/v1/clients/acme/schedules/${acmeSchedule}/versions` });
    expect(versions.status).toBe(200);
    expect(versions.body.items.map((v: { version: number; savedBy: string }) => [v.version, v.savedBy])).toEqual([
      [2, 'api-token:acme'],
      [1, 'api-token:acme'],
    ]);
    const first = await h.send({ method: 'GET', path: `/v1/clients/acme/schedules/${acmeSchedule}/versions/1` });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ scheduleId: acmeSchedule, version: 1, executionTime: '00:30:00', savedBy: 'api-token:acme' });

    const daily = await h.send({ method: 'GET', path: '/v1/clients/acme/schedules/daily/versions' });
    expect(daily.body.items).toEqual([{ version: 1, savedAt: expect.any(String), savedBy: 'admin-token' }]);
    expect((await h.send({ method: 'GET', path: '/v1/clients/acme/schedules/daily/versions/2' })).status).toBe(404);
    expect((await h.send({ method: 'GET', path: '/v1/clients/acme/schedules/sch_neverthere/versions' })).status).toBe(404);
    expect((await h.send({ method: 'GET', path: `/v1/clients/beta/schedules/${acmeSchedule}/versions/1` })).status).toBe(404);
  });

  it('pages versions', async () => {
    const first = await h.send({ method: 'GET', path: `/v1/clients/acme/schedules/${acmeSchedule}/versions?limit=1` });
    expect(first.body.items.map((v: { version: number }) => v.version)).toEqual([2]);
    const second = await h.send({ method: 'GET', path: `/v1/clients/acme/schedules/${acmeSchedule}/versions?limit=1&nextToken=${first.body.nextToken}` });
    expect(second.body.items.map((v: { version: number }) => v.version)).toEqual([1]);
    expect(second.body.nextToken).toBeUndefined();
  });

  it('keeps the trail and the versions of a deleted schedule', async () => {
    const created = await h.send({ method: 'POST', path: '/v1/clients/beta/schedules', body: { ...SCHEDULE, name: 'Short-lived' } });
    const scheduleId = created.body.scheduleId as string;
    expect((await h.send({ method: 'DELETE', path: `/v1/clients/beta/schedules/${scheduleId}` })).status).toBe(204);

    const trail = (await auditOf('beta')).filter((item) => item.target.id === scheduleId);
    expect(trail.map((item) => item.action)).toEqual(['deleteSchedule', 'createSchedule']);
    const versions = await h.send({ method: 'GET', path: `/v1/clients/beta/schedules/${scheduleId}/versions` });
    expect(versions.body.items.map((v: { version: number }) => v.version)).toEqual([1]);
    expect((await h.send({ method: 'GET', path: `/v1/clients/beta/schedules/${scheduleId}/versions/1` })).body.name).toBe('Short-lived');
  });

  it('answers the change when its record cannot be written, and logs the record whole', async () => {
    const failing: AuditLog = {
      append: async () => {
        throw new Error('audit table unavailable');
      },
      list: async () => ({ items: [] }),
    };
    const broken = await createApiHarness({ audit: failing });

    const response = await broken.send({ method: 'PUT', path: '/v1/clients/acme', body: { name: 'Acme', timezone: 'UTC' } });

    expect(response.status).toBe(201);
    const [message, extra] = broken.logged.at(-1) as [string, { record: AuditItem }];
    expect(message).toBe(AUDIT_WRITE_FAILED);
    expect(extra.record).toMatchObject({ actor: 'admin-token', action: 'putClient', target: { type: 'client', id: 'acme' } });
  });
});
