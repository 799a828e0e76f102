import { beforeAll, describe, expect, it } from 'vitest';
import { DAILY_SCHEDULE_ID } from '../../lambdas/domain/model';
import { createApiHarness, type ApiHarness } from './support/harness';

const MONTH_END = {
  name: 'Month-end close',
  description: 'close the books',
  frequency: { type: 'MONTH_END', offsetDays: 2 },
  executionTime: '00:30:00',
  timezone: 'America/New_York',
  exceptionWindows: [{ start: '01:00:00', end: '02:00:00' }],
  jobs: [{ type: 'USAGE_RATING' }, { type: 'SYNC_TRANSACTIONS' }, { type: 'BILLING' }],
};

describe('client and schedule routes', () => {
  let h: ApiHarness;

  beforeAll(async () => {
    h = await createApiHarness();
  });

  const schedulesOf = (clientId: string) => `/v1/clients/${clientId}/schedules`;

  async function createSchedule(clientId: string, body: Record<string, unknown> = MONTH_END) {
    const response = await h.send({ method: 'POST', path: schedulesOf(clientId), body });
    expect(response.status).toBe(201);
    return response.body as { scheduleId: string; version: number; name: string };
  }

  async function listNames(clientId: string): Promise<string[]> {
    const response = await h.send({ method: 'GET', path: schedulesOf(clientId) });
    expect(response.status).toBe(200);
    return (response.body.items as Array<{ name: string }>).map((s) => s.name).sort();
  }

  describe('PUT /v1/clients/{clientId}', () => {
    it('onboards a client with 201 and creates its mandatory daily schedule', async () => {
      const clientId = h.newClientId();

      const response = await h.send({ method: 'PUT', path: `/v1/clients/${clientId}`, body: { name: 'Acme', timezone: 'America/New_York' } });

      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({ clientId, name: 'Acme', timezone: 'America/New_York', dailyScheduleId: DAILY_SCHEDULE_ID });
      const daily = await h.send({ method: 'GET', path: `${schedulesOf(clientId)}/daily` });
      expect(daily.status).toBe(200);
      expect(daily.body).toMatchObject({
        scheduleId: DAILY_SCHEDULE_ID,
        clientId,
        name: 'Daily billing',
        frequency: { type: 'DAILY' },
        executionTime: '01:00:00',
        timezone: 'America/New_York',
        jobs: [{ type: 'USAGE_RATING', onItemFailure: 'CONTINUE' }, { type: 'SYNC_TRANSACTIONS', onItemFailure: 'CONTINUE' }, { type: 'BILLING' }],
        enabled: true,
        mandatory: true,
        version: 1,
      });
    });

    it('answers 200 after the first time, updates name and time zone only, and keeps one daily schedule', async () => {
      const clientId = await h.onboard();

      const response = await h.send({ method: 'PUT', path: `/v1/clients/${clientId}`, body: { name: 'Acme Corp', timezone: 'Europe/Berlin' } });

      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ clientId, name: 'Acme Corp', timezone: 'Europe/Berlin' });
      expect((await h.send({ method: 'GET', path: `/v1/clients/${clientId}` })).body).toMatchObject({ name: 'Acme Corp', timezone: 'Europe/Berlin' });
      expect(await listNames(clientId)).toEqual(['Daily billing']);
    });

    it('onboards once under concurrent first PUTs: one 201, the others 200', async () => {
      const clientId = h.newClientId();

      const responses = await Promise.all(
        Array.from({ length: 4 }, () => h.send({ method: 'PUT', path: `/v1/clients/${clientId}`, body: { name: 'Acme', timezone: 'UTC' } })),
      );

      expect(responses.map((r) => r.status).sort()).toEqual([200, 200, 200, 201]);
      expect(await listNames(clientId)).toEqual(['Daily billing']);
    });

    it('refuses an unknown time zone, an unknown field and a malformed client id with 400 and the paths', async () => {
      const clientId = h.newClientId();

      const zone = await h.send({ method: 'PUT', path: `/v1/clients/${clientId}`, body: { name: 'Acme', timezone: 'Mars/Olympus' } });
      const extra = await h.send({ method: 'PUT', path: `/v1/clients/${clientId}`, body: { name: 'Acme', timezone: 'UTC', tier: 'gold' } });
      const badId = await h.send({ method: 'PUT', path: '/v1/clients/Acme_Corp', body: { name: 'Acme', timezone: 'UTC' } });

      expect(zone.status).toBe(400);
      expect(zone.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: 'timezone' }] });
      expect(extra.status).toBe(400);
      expect(extra.body.error.details).toEqual([{ path: 'tier', message: 'unknown field' }]);
      expect(badId.status).toBe(400);
      expect(badId.body.error.details).toEqual([expect.objectContaining({ path: 'clientId' })]);
      expect((await h.send({ method: 'GET', path: `/v1/clients/${clientId}` })).status).toBe(404);
    });
  });

  describe('GET /v1/clients/{clientId}', () => {
    it('reads a client, 404 for one never onboarded', async () => {
      const clientId = await h.onboard();

      expect((await h.send({ method: 'GET', path: `/v1/clients/${clientId}` })).body.clientId).toBe(clientId);
      const missing = await h.send({ method: 'GET', path: `/v1/clients/${h.newClientId()}` });
      expect(missing.status).toBe(404);
      expect(missing.body.error.code).toBe('NOT_FOUND');
    });
  });

  describe('schedules', () => {
    it('creates a schedule: 201, version 1, an sch_ id, ETag and Location', async () => {
      const clientId = await h.onboard();

      const response = await h.send({ method: 'POST', path: schedulesOf(clientId), body: MONTH_END });

      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({ ...MONTH_END, clientId, enabled: true, mandatory: false, version: 1 });
      expect(response.body.scheduleId).toMatch(/^sch_[a-z0-9]{16}$/);
      expect(response.headers.etag).toBe('"1"');
      expect(response.headers.location).toBe(`${schedulesOf(clientId)}/${response.body.scheduleId}`);
      const read = await h.send({ method: 'GET', path: `${schedulesOf(clientId)}/${response.body.scheduleId}` });
      expect(read.body).toEqual(response.body);
    });

    it('lists the client’s schedules: the daily one and those created', async () => {
      const clientId = await h.onboard();
      await createSchedule(clientId);

      expect(await listNames(clientId)).toEqual(['Daily billing', 'Month-end close']);
    });

    it('answers 404 for schedules of a client never onboarded, and creates none', async () => {
      const clientId = h.newClientId();

      expect((await h.send({ method: 'GET', path: schedulesOf(clientId) })).status).toBe(404);
      expect((await h.send({ method: 'POST', path: schedulesOf(clientId), body: MONTH_END })).status).toBe(404);
      expect((await h.send({ method: 'GET', path: `${schedulesOf(clientId)}/daily` })).status).toBe(404);
      expect(await h.store.listSchedules(clientId)).toEqual([]);
    });

    it('refuses wrong types with 400 and one detail per invalid field', async () => {
      const clientId = await h.onboard();

      const response = await h.send({
        method: 'POST',
        path: schedulesOf(clientId),
        body: { ...MONTH_END, executionTime: '25:00:00', frequency: { type: 'WEEKLY' }, jobs: 'BILLING', enabled: 'yes' },
      });

      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('VALIDATION_FAILED');
      expect(response.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['enabled', 'executionTime', 'frequency.dayOfWeek', 'jobs']);
      expect(await listNames(clientId)).toEqual(['Daily billing']);
    });

    it('refuses an unknown job type, a job type this deployment does not offer, and invalid job settings', async () => {
      const clientId = await h.onboard();
      const withJobs = (jobs: unknown[]) => h.send({ method: 'POST', path: schedulesOf(clientId), body: { ...MONTH_END, jobs } });

      const unknown = await withJobs([{ type: 'BILLING' }, { type: 'TELEPORT' }]);
      const unavailable = await withJobs([{ type: 'RERATING' }]);
      const settings = await withJobs([{ type: 'SYNTHETIC', settings: { items: -1 } }]);

      expect(unknown.status).toBe(400);
      expect(unknown.body.error.details).toEqual([expect.objectContaining({ path: 'jobs.1.type' })]);
      expect(unavailable.status).toBe(400);
      expect(unavailable.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: 'jobs.0.type' }] });
      expect(unavailable.body.error.message).toMatch(/RERATING is not available/);
      expect(settings.status).toBe(400);
      expect(settings.body.error.details).toEqual([expect.objectContaining({ path: 'jobs.0.settings.items' })]);
      expect(await listNames(clientId)).toEqual(['Daily billing']);
    });

    it('refuses a CRON expression the calendar cannot read and overlapping exception windows (400)', async () => {
      const clientId = await h.onboard();

      const cron = await h.send({ method: 'POST', path: schedulesOf(clientId), body: { ...MONTH_END, frequency: { type: 'CRON', expression: 'every day' } } });
      const windows = await h.send({
        method: 'POST',
        path: schedulesOf(clientId),
        body: { ...MONTH_END, exceptionWindows: [{ start: '22:00:00', end: '02:00:00' }, { start: '01:00:00', end: '03:00:00' }] },
      });

      expect(cron.status).toBe(400);
      expect(cron.body.error.details).toEqual([expect.objectContaining({ path: 'frequency.expression' })]);
      expect(windows.status).toBe(400);
      expect(windows.body.error.details[0].path).toMatch(/^exceptionWindows/);
      expect(await listNames(clientId)).toEqual(['Daily billing']);
    });

    it('stores job settings normalised by their job type', async () => {
      const clientId = await h.onboard();

      const created = await createSchedule(clientId, { ...MONTH_END, name: 'Diagnostics', frequency: { type: 'MANUAL' }, jobs: [{ type: 'SYNTHETIC', settings: { items: 3 } }] });

      expect(created).toMatchObject({ jobs: [{ type: 'SYNTHETIC', settings: { items: 3, failItems: [], delayMs: 0 } }] });
    });

    it('answers 409 NAME_TAKEN for a name taken in another case, and writes nothing', async () => {
      const clientId = await h.onboard();
      await createSchedule(clientId);

      const clash = await h.send({ method: 'POST', path: schedulesOf(clientId), body: { ...MONTH_END, name: '  MONTH-END close ' } });
      const dailyClash = await h.send({ method: 'POST', path: schedulesOf(clientId), body: { ...MONTH_END, name: 'daily BILLING' } });

      expect(clash.status).toBe(409);
      expect(clash.body.error.code).toBe('NAME_TAKEN');
      expect(dailyClash.status).toBe(409);
      expect(await listNames(clientId)).toEqual(['Daily billing', 'Month-end close']);
    });

    it('answers 404 for an unknown schedule id and 400 for a malformed one', async () => {
      const clientId = await h.onboard();

      const unknown = await h.send({ method: 'GET', path: `${schedulesOf(clientId)}/sch_doesnotexist` });
      const malformed = await h.send({ method: 'GET', path: `${schedulesOf(clientId)}/monthly` });

      expect(unknown.status).toBe(404);
      expect(unknown.body.error.code).toBe('NOT_FOUND');
      expect(malformed.status).toBe(400);
      expect(malformed.body.error.details).toEqual([expect.objectContaining({ path: 'scheduleId' })]);
    });

    describe('PUT with If-Match', () => {
      it('replaces the schedule at the current version: 200, version + 1, new ETag', async () => {
        const clientId = await h.onboard();
        const created = await createSchedule(clientId);

        const response = await h.send({
          method: 'PUT',
          path: `${schedulesOf(clientId)}/${created.scheduleId}`,
          headers: { 'If-Match': '1' },
          body: { ...MONTH_END, executionTime: '03:15:00', enabled: false },
        });

        expect(response.status).toBe(200);
        expect(response.body).toMatchObject({ scheduleId: created.scheduleId, executionTime: '03:15:00', enabled: false, version: 2, mandatory: false });
        expect(response.headers.etag).toBe('"2"');
        const again = await h.send({
          method: 'PUT',
          path: `${schedulesOf(clientId)}/${created.scheduleId}`,
          headers: { 'if-match': response.headers.etag as string },
          body: MONTH_END,
        });
        expect(again.body.version).toBe(3);
      });

      it('answers 412 for a stale version and keeps the stored schedule', async () => {
        const clientId = await h.onboard();
        const created = await createSchedule(clientId);
        const path = `${schedulesOf(clientId)}/${created.scheduleId}`;
        await h.send({ method: 'PUT', path, headers: { 'If-Match': '1' }, body: { ...MONTH_END, executionTime: '03:00:00' } });

        const stale = await h.send({ method: 'PUT', path, headers: { 'If-Match': '1' }, body: { ...MONTH_END, executionTime: '04:00:00' } });

        expect(stale.status).toBe(412);
        expect(stale.body.error.code).toBe('STALE_VERSION');
        expect((await h.send({ method: 'GET', path })).body).toMatchObject({ executionTime: '03:00:00', version: 2 });
      });

      it('answers 428 without If-Match and 400 for an If-Match that is not a version', async () => {
        const clientId = await h.onboard();
        const created = await createSchedule(clientId);
        const path = `${schedulesOf(clientId)}/${created.scheduleId}`;

        const missing = await h.send({ method: 'PUT', path, body: MONTH_END });
        const garbage = await h.send({ method: 'PUT', path, headers: { 'If-Match': '*' }, body: MONTH_END });

        expect(missing.status).toBe(428);
        expect(missing.body.error.code).toBe('PRECONDITION_REQUIRED');
        expect(garbage.status).toBe(400);
        expect((await h.send({ method: 'GET', path })).body.version).toBe(1);
      });

      it('answers 404 for a schedule that does not exist', async () => {
        const clientId = await h.onboard();

        const response = await h.send({ method: 'PUT', path: `${schedulesOf(clientId)}/sch_gone`, headers: { 'If-Match': '1' }, body: MONTH_END });

        expect(response.status).toBe(404);
      });

      it('answers 409 for a rename onto a taken name and changes nothing; a rename frees the old name', async () => {
        const clientId = await h.onboard();
        const first = await createSchedule(clientId, { ...MONTH_END, name: 'First' });
        const second = await createSchedule(clientId, { ...MONTH_END, name: 'Second' });

        const clash = await h.send({ method: 'PUT', path: `${schedulesOf(clientId)}/${second.scheduleId}`, headers: { 'If-Match': '1' }, body: { ...MONTH_END, name: 'FIRST' } });
        const rename = await h.send({ method: 'PUT', path: `${schedulesOf(clientId)}/${first.scheduleId}`, headers: { 'If-Match': '1' }, body: { ...MONTH_END, name: 'Renamed' } });

        expect(clash.status).toBe(409);
        expect(clash.body.error.code).toBe('NAME_TAKEN');
        expect(rename.status).toBe(200);
        await createSchedule(clientId, { ...MONTH_END, name: 'first' });
        expect(await listNames(clientId)).toEqual(['Daily billing', 'Renamed', 'Second', 'first']);
      });

      it('edits the mandatory daily schedule through the daily alias', async () => {
        const clientId = await h.onboard();
        const daily = (await h.send({ method: 'GET', path: `${schedulesOf(clientId)}/daily` })).body;
        const { scheduleId: _id, clientId: _client, mandatory: _m, version: _v, createdAt: _c, updatedAt: _u, nextRuns: _n, ...config } = daily;

        const response = await h.send({
          method: 'PUT',
          path: `${schedulesOf(clientId)}/daily`,
          headers: { 'If-Match': '1' },
          body: { ...config, executionTime: '02:00:00', jobs: [{ type: 'USAGE_RATING' }, { type: 'BILLING' }] },
        });

        expect(response.status).toBe(200);
        expect(response.body).toMatchObject({ scheduleId: DAILY_SCHEDULE_ID, mandatory: true, executionTime: '02:00:00', version: 2 });
      });

      it('refuses to remove BILLING from the mandatory daily schedule or to change its frequency (409)', async () => {
        const clientId = await h.onboard();
        const path = `${schedulesOf(clientId)}/daily`;
        const base = { name: 'Daily billing', frequency: { type: 'DAILY' }, executionTime: '01:00:00', timezone: 'America/New_York', jobs: [{ type: 'BILLING' }] };

        const noBilling = await h.send({ method: 'PUT', path, headers: { 'If-Match': '1' }, body: { ...base, jobs: [{ type: 'USAGE_RATING' }] } });
        const weekly = await h.send({ method: 'PUT', path, headers: { 'If-Match': '1' }, body: { ...base, frequency: { type: 'WEEKLY', dayOfWeek: 'MON' } } });

        expect(noBilling.status).toBe(409);
        expect(noBilling.body.error).toMatchObject({ code: 'MANDATORY_SCHEDULE' });
        expect(noBilling.body.error.message).toMatch(/BILLING job cannot be removed/);
        expect(weekly.status).toBe(409);
        expect((await h.send({ method: 'GET', path })).body).toMatchObject({ version: 1, jobs: [{ type: 'USAGE_RATING' }, { type: 'SYNC_TRANSACTIONS' }, { type: 'BILLING' }] });
      });
    });

    describe('DELETE', () => {
      it('deletes a schedule with 204 and no body; it is gone and its name is free', async () => {
        const clientId = await h.onboard();
        const created = await createSchedule(clientId);
        const path = `${schedulesOf(clientId)}/${created.scheduleId}`;

        const response = await h.send({ method: 'DELETE', path });

        expect(response.status).toBe(204);
        expect(response.raw).toBe('');
        expect((await h.send({ method: 'GET', path })).status).toBe(404);
        expect((await h.send({ method: 'DELETE', path })).status).toBe(404);
        await createSchedule(clientId);
      });

      it('refuses to delete the mandatory daily schedule (409), by id or alias', async () => {
        const clientId = await h.onboard();

        const byAlias = await h.send({ method: 'DELETE', path: `${schedulesOf(clientId)}/daily` });
        const byId = await h.send({ method: 'DELETE', path: `${schedulesOf(clientId)}/${DAILY_SCHEDULE_ID}` });

        expect(byAlias.status).toBe(409);
        expect(byAlias.body.error.code).toBe('MANDATORY_SCHEDULE');
        expect(byId.status).toBe(409);
        expect(await listNames(clientId)).toEqual(['Daily billing']);
      });
    });

    describe('nextRuns', () => {
      it('lists the next 5 occurrences of a DAILY schedule in its time zone', async () => {
        const clientId = await h.onboard();

        const daily = (await h.send({ method: 'GET', path: `${schedulesOf(clientId)}/daily` })).body;

        expect(daily.nextRuns).toEqual([
          { processingDate: '2026-11-26', at: '2026-11-26T06:00:00Z' },
          { processingDate: '2026-11-27', at: '2026-11-27T06:00:00Z' },
          { processingDate: '2026-11-28', at: '2026-11-28T06:00:00Z' },
          { processingDate: '2026-11-29', at: '2026-11-29T06:00:00Z' },
          { processingDate: '2026-11-30', at: '2026-11-30T06:00:00Z' },
        ]);
      });

      it('lists none for a MANUAL or a disabled schedule', async () => {
        const clientId = await h.onboard();

        const manual = await createSchedule(clientId, { ...MONTH_END, name: 'Manual', frequency: { type: 'MANUAL' } });
        const disabled = await createSchedule(clientId, { ...MONTH_END, name: 'Disabled', frequency: { type: 'DAILY' }, enabled: false });

        expect(manual).toMatchObject({ nextRuns: [] });
        expect(disabled).toMatchObject({ nextRuns: [] });
        const listed = (await h.send({ method: 'GET', path: schedulesOf(clientId) })).body.items as Array<{ name: string; nextRuns: unknown[] }>;
        expect(Object.fromEntries(listed.map((s) => [s.name, s.nextRuns.length]))).toEqual({ 'Daily billing': 5, Manual: 0, Disabled: 0 });
      });

      it('accepts every frequency of the schema', async () => {
        const clientId = await h.onboard();
        const frequencies = [
          { type: 'DAILY' },
          { type: 'WEEKLY', dayOfWeek: 'FRI' },
          { type: 'MONTHLY', dayOfMonth: 31 },
          { type: 'MONTH_END', offsetDays: 0 },
          { type: 'QUARTER_END', offsetDays: 0 },
          { type: 'YEAR_END' },
          { type: 'CRON', expression: '30 0 ? * MON-FRI *' },
          { type: 'MANUAL' },
        ];

        for (const [index, frequency] of frequencies.entries()) {
          const response = await h.send({ method: 'POST', path: schedulesOf(clientId), body: { ...MONTH_END, name: `Frequency ${index}`, frequency } });
          expect(response.status, JSON.stringify(response.body)).toBe(201);
          expect(response.body.nextRuns.length).toBeLessThanOrEqual(5);
        }
      });
    });
  });

  describe('POST /v1/clients/{clientId}/schedule-preview', () => {
    const preview = (clientId: string, body: unknown) => h.send({ method: 'POST', path: `/v1/clients/${clientId}/schedule-preview`, body });
    const base = { frequency: { type: 'DAILY' }, executionTime: '02:30:00', timezone: 'America/New_York' };

    it('lists 5 occurrences after now by default, and saves nothing', async () => {
      const clientId = await h.onboard();

      const response = await preview(clientId, base);

      expect(response.status).toBe(200);
      expect(response.body.occurrences).toHaveLength(5);
      expect(response.body.occurrences[0]).toEqual({ processingDate: '2026-11-26', at: '2026-11-26T07:30:00Z' });
      expect(await listNames(clientId)).toEqual(['Daily billing']);
    });

    it('lists `count` occurrences strictly after `from`, DST-correct (02:30 on spring-forward day runs at 03:00)', async () => {
      const clientId = await h.onboard();

      const response = await preview(clientId, { ...base, from: '2027-03-12T07:30:00Z', count: 10 });

      expect(response.status).toBe(200);
      expect(response.body.occurrences).toHaveLength(10);
      expect(response.body.occurrences[0]).toEqual({ processingDate: '2027-03-13', at: '2027-03-13T07:30:00Z' });
      expect(response.body.occurrences[1]).toEqual({ processingDate: '2027-03-14', at: '2027-03-14T07:00:00Z' });
    });

    it('accepts count 1 and 100, refuses 0, 101 and a fraction with 400', async () => {
      const clientId = await h.onboard();

      expect((await preview(clientId, { ...base, count: 1 })).body.occurrences).toHaveLength(1);
      expect((await preview(clientId, { ...base, count: 100 })).body.occurrences).toHaveLength(100);
      for (const count of [0, 101, 2.5]) {
        const response = await preview(clientId, { ...base, count });
        expect(response.status).toBe(400);
        expect(response.body.error.details).toEqual([expect.objectContaining({ path: 'count' })]);
      }
    });

    it('refuses invalid input like create does, and answers none for MANUAL', async () => {
      const clientId = await h.onboard();

      const invalid = await preview(clientId, { ...base, timezone: 'Nowhere/Else', from: 'yesterday' });
      const manual = await preview(clientId, { ...base, frequency: { type: 'MANUAL' } });

      expect(invalid.status).toBe(400);
      expect(invalid.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual(['from', 'timezone']);
      expect(manual.body).toEqual({ occurrences: [] });
    });

    it('starts from an instant of a processing date (2000-01-01 to 2099-12-31), so every answer is a YYYY-MM-DD date', async () => {
      const clientId = await h.onboard();
      const yearly = { ...base, frequency: { type: 'YEAR_END' }, count: 100 };

      for (const from of ['0000-01-01T00:00:00Z', '1999-12-31T23:59:59Z', '2100-01-01T00:00:00Z', '2099-12-31T23:00:00-14:00', '9999-12-31T00:00:00Z']) {
        const response = await preview(clientId, { ...yearly, from });
        expect(response.status, from).toBe(400);
        expect(response.body.error.details).toEqual([expect.objectContaining({ path: 'from' })]);
      }
      const latest = await preview(clientId, { ...yearly, from: '2099-12-31T23:59:59Z' });

      expect(latest.status).toBe(200);
      expect(latest.body.occurrences).toHaveLength(100);
      for (const occurrence of latest.body.occurrences) expect(occurrence.processingDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    });
  });
});
