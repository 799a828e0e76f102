import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, ValidationError } from '../../lambdas/domain/errors';
import { DAILY_SCHEDULE_ID } from '../../lambdas/domain/model';
import { createApiHarness, type ApiHarness } from './support/harness';
import { KNOWN_RUN_ID } from './support/fake-runs';

/**
 * The run routes over a fake run engine: what the HTTP layer validates, what it passes on and
 * which status it answers. The engine behind RunOperations is tested on its own.
 */
describe('run routes', () => {
  let h: ApiHarness;
  let clientId: string;
  const base = () => `/v1/clients/${clientId}`;

  beforeAll(async () => {
    h = await createApiHarness();
    clientId = await h.onboard();
  });

  beforeEach(() => {
    h.runs.calls.length = 0;
  });

  describe('POST .../schedules/{scheduleId}/runs', () => {
    it('answers 202 with a new run and 200 with the existing one; `daily` names the mandatory schedule', async () => {
      const first = await h.send({ method: 'POST', path: `${base()}/schedules/daily/runs`, body: { processingDate: '2026-11-25' } });
      const again = await h.send({ method: 'POST', path: `${base()}/schedules/${DAILY_SCHEDULE_ID}/runs`, body: { processingDate: '2026-11-25' } });

      expect(first.status).toBe(202);
      expect(first.body).toMatchObject({ clientId, scheduleId: DAILY_SCHEDULE_ID, processingDate: '2026-11-25', status: 'PENDING' });
      expect(again.status).toBe(200);
      expect(h.runs.callsOf('trigger')).toEqual([
        [clientId, DAILY_SCHEDULE_ID, { processingDate: '2026-11-25', trigger: 'API' }],
        [clientId, DAILY_SCHEDULE_ID, { processingDate: '2026-11-25', trigger: 'API' }],
      ]);
    });

    it('passes a job sequence override for this run only', async () => {
      const jobs = [{ type: 'SYNTHETIC', settings: { items: 10 } }];

      const response = await h.send({ method: 'POST', path: `${base()}/schedules/sch_abc/runs`, body: { processingDate: '2026-11-26', jobs } });

      expect(response.status).toBe(202);
      expect(h.runs.callsOf('trigger')).toEqual([[clientId, 'sch_abc', { processingDate: '2026-11-26', jobs, trigger: 'API' }]]);
    });

    it('refuses a date that is not a calendar date, an unknown job type and unknown fields, without calling the engine', async () => {
      const badDate = await h.send({ method: 'POST', path: `${base()}/schedules/daily/runs`, body: { processingDate: '2026-02-30' } });
      const badJob = await h.send({ method: 'POST', path: `${base()}/schedules/daily/runs`, body: { processingDate: '2026-11-25', jobs: [{ type: 'NOPE' }] } });
      const extra = await h.send({ method: 'POST', path: `${base()}/schedules/daily/runs`, body: { processingDate: '2026-11-25', force: true } });
      const missing = await h.send({ method: 'POST', path: `${base()}/schedules/daily/runs` });

      expect(badDate.status).toBe(400);
      expect(badDate.body.error.details).toEqual([expect.objectContaining({ path: 'processingDate' })]);
      expect(badJob.body.error.details).toEqual([expect.objectContaining({ path: 'jobs.0.type' })]);
      expect(extra.status).toBe(400);
      expect(missing.status).toBe(400);
      expect(h.runs.calls).toEqual([]);
    });

    it('records a run a person asked for as MANUAL; API by default; SCHEDULED is the scheduler’s own', async () => {
      const post = (body: object) => h.send({ method: 'POST', path: `${base()}/schedules/daily/runs`, body });

      const manual = await post({ processingDate: '2026-11-28', trigger: 'MANUAL' });
      const api = await post({ processingDate: '2026-11-29', trigger: 'API' });
      const scheduled = await post({ processingDate: '2026-11-30', trigger: 'SCHEDULED' });
      const unknown = await post({ processingDate: '2026-11-30', trigger: 'CONSOLE' });

      expect([manual.status, api.status]).toEqual([202, 202]);
      expect(h.runs.callsOf('trigger')).toEqual([
        [clientId, DAILY_SCHEDULE_ID, { processingDate: '2026-11-28', trigger: 'MANUAL' }],
        [clientId, DAILY_SCHEDULE_ID, { processingDate: '2026-11-29', trigger: 'API' }],
      ]);
      for (const refused of [scheduled, unknown]) {
        expect(refused.status).toBe(400);
        expect(refused.body.error.details).toEqual([expect.objectContaining({ path: 'trigger' })]);
      }
    });

    it('takes processing dates from 2000-01-01 to 2099-12-31 only, in the body, the path and the query', async () => {
      const trigger = (processingDate: string) => h.send({ method: 'POST', path: `${base()}/schedules/daily/runs`, body: { processingDate } });

      for (const processingDate of ['0000-01-01', '1999-12-31', '2100-01-01', '9999-12-31']) {
        const response = await trigger(processingDate);
        expect(response.status, processingDate).toBe(400);
        expect(response.body.error.details).toEqual([expect.objectContaining({ path: 'processingDate' })]);
        expect((await h.send({ method: 'GET', path: `${base()}/schedules/daily/runs/${processingDate}` })).status, processingDate).toBe(400);
        expect((await h.send({ method: 'GET', path: `${base()}/runs?date=${processingDate}` })).status, processingDate).toBe(400);
      }
      expect(h.runs.calls).toEqual([]);
      expect((await trigger('2000-01-01')).status).toBe(202);
      expect((await trigger('2099-12-31')).status).toBe(202);
    });

    it('passes on the engine’s 404 and 409', async () => {
      h.runs.failNext = new ConflictError('the schedule is disabled', 'SCHEDULE_DISABLED');

      const conflict = await h.send({ method: 'POST', path: `${base()}/schedules/daily/runs`, body: { processingDate: '2026-11-27' } });

      expect(conflict.status).toBe(409);
      expect(conflict.body.error).toEqual({ code: 'SCHEDULE_DISABLED', message: 'the schedule is disabled', details: [] });
    });
  });

  describe('GET .../schedules/{scheduleId}/runs/{processingDate}', () => {
    it('reads the run of a date through the alias, 404 when there is none, 400 for a bad date', async () => {
      await h.send({ method: 'POST', path: `${base()}/schedules/daily/runs`, body: { processingDate: '2026-12-01' } });

      const found = await h.send({ method: 'GET', path: `${base()}/schedules/daily/runs/2026-12-01` });
      const none = await h.send({ method: 'GET', path: `${base()}/schedules/daily/runs/2026-12-02` });
      const bad = await h.send({ method: 'GET', path: `${base()}/schedules/daily/runs/20261201` });

      expect(found.status).toBe(200);
      expect(found.body.processingDate).toBe('2026-12-01');
      expect(h.runs.callsOf('getRunByDate')[0]).toEqual([clientId, DAILY_SCHEDULE_ID, '2026-12-01']);
      expect(none.status).toBe(404);
      expect(bad.status).toBe(400);
      expect(new Set(bad.body.error.details.map((d: { path: string }) => d.path))).toEqual(new Set(['processingDate']));
    });
  });

  describe('GET .../runs', () => {
    it('lists the runs of a date with the optional filters, the alias resolved', async () => {
      const response = await h.send({ method: 'GET', path: `${base()}/runs?date=2026-11-25&scheduleId=daily&status=FAILED` });

      expect(response.status).toBe(200);
      expect(response.body.items).toHaveLength(1);
      expect(h.runs.callsOf('listRuns')).toEqual([[clientId, { date: '2026-11-25', scheduleId: DAILY_SCHEDULE_ID, status: 'FAILED' }]]);
    });

    it('requires a date or a range and refuses an unknown status', async () => {
      const noDate = await h.send({ method: 'GET', path: `${base()}/runs` });
      const badStatus = await h.send({ method: 'GET', path: `${base()}/runs?date=2026-11-25&status=DONE` });

      expect(noDate.status).toBe(400);
      // Since v1.1 a range (from and to) is the other way to ask: without a date, both are named.
      expect(noDate.body.error.details).toEqual([expect.objectContaining({ path: 'from' }), expect.objectContaining({ path: 'to' })]);
      expect(badStatus.body.error.details).toEqual([expect.objectContaining({ path: 'status' })]);
      expect(h.runs.calls).toEqual([]);
    });
  });

  describe('GET .../runs/{runId}', () => {
    it('reads a run; 404 for an unknown one, 400 for something that is not a run id', async () => {
      expect((await h.send({ method: 'GET', path: `${base()}/runs/${KNOWN_RUN_ID}` })).status).toBe(200);
      expect((await h.send({ method: 'GET', path: `${base()}/runs/run_ffffffffffffffffffffffff` })).status).toBe(404);
      expect((await h.send({ method: 'GET', path: `${base()}/runs/latest` })).status).toBe(400);
    });
  });

  describe('GET .../runs/{runId}/jobs/{seq}/items', () => {
    const items = (query = '', seq = '1') => h.send({ method: 'GET', path: `${base()}/runs/${KNOWN_RUN_ID}/jobs/${seq}/items${query}` });

    it('passes status, limit (default 100) and nextToken, and returns the page', async () => {
      const first = await items();
      const filtered = await items('?status=FAILED&limit=1000&nextToken=abc%3D%3D');

      expect(first.status).toBe(200);
      expect(first.body).toEqual({ items: [expect.objectContaining({ itemId: 'acct-1', status: 'FAILED', error: { code: 'NO_RATE', message: expect.any(String) } })], nextToken: 'page-2' });
      expect(filtered.status).toBe(200);
      expect(h.runs.callsOf('listItems')).toEqual([
        [clientId, KNOWN_RUN_ID, 1, { limit: 100 }],
        [clientId, KNOWN_RUN_ID, 1, { status: 'FAILED', limit: 1000, nextToken: 'abc==' }],
      ]);
    });

    it('refuses a limit outside 1..1000, an unknown status and a job number that is not a positive integer', async () => {
      for (const query of ['?limit=0', '?limit=1001', '?limit=ten', '?limit=2.5', '?limit=0x10', '?limit=1e3', '?limit=%205', '?limit=%2B5', '?limit=5.0', '?limit=']) {
        const response = await items(query);
        expect(response.status, query).toBe(400);
        expect(response.body.error.details).toEqual([expect.objectContaining({ path: 'limit' })]);
      }
      expect((await items('?status=LOST')).status).toBe(400);
      expect((await items('', '0')).status).toBe(400);
      expect((await items('', 'two')).status).toBe(400);
      for (const seq of ['0x1', '1e0', '%2B1', '1.0']) expect((await items('', seq)).status, seq).toBe(400);
      expect(h.runs.calls).toEqual([]);
    });
  });

  describe('POST .../runs/{runId}/reprocess', () => {
    const reprocess = (body: unknown) => h.send({ method: 'POST', path: `${base()}/runs/${KNOWN_RUN_ID}/reprocess`, body });

    it('answers 202 for the whole run and for one job, passing the request on', async () => {
      const run = await reprocess({ scope: 'RUN' });
      const job = await reprocess({ scope: 'JOB', seq: 2, items: 'ALL', heal: true });
      const jobDefault = await reprocess({ scope: 'JOB', seq: 1 });

      expect([run.status, job.status, jobDefault.status]).toEqual([202, 202, 202]);
      expect(h.runs.callsOf('reprocess')).toEqual([
        [clientId, KNOWN_RUN_ID, { scope: 'RUN' }],
        [clientId, KNOWN_RUN_ID, { scope: 'JOB', seq: 2, items: 'ALL', heal: true }],
        [clientId, KNOWN_RUN_ID, { scope: 'JOB', seq: 1, items: 'FAILED' }],
      ]);
    });

    it('refuses an unknown scope, a JOB scope without seq and unknown items', async () => {
      expect((await reprocess({ scope: 'EVERYTHING' })).body.error.details).toEqual([expect.objectContaining({ path: 'scope' })]);
      expect((await reprocess({ scope: 'JOB' })).body.error.details).toEqual([expect.objectContaining({ path: 'seq' })]);
      expect((await reprocess({ scope: 'JOB', seq: 1, items: 'SOME' })).status).toBe(400);
      expect(h.runs.calls).toEqual([]);
    });

    it('answers 409 while the run is running', async () => {
      h.runs.failNext = new ConflictError('the run is RUNNING: wait until it ends', 'RUN_NOT_REPROCESSABLE');

      const response = await reprocess({ scope: 'RUN' });

      expect(response.status).toBe(409);
      expect(response.body.error.code).toBe('RUN_NOT_REPROCESSABLE');
    });

    it('answers 400 for a job the run does not have', async () => {
      h.runs.failNext = new ValidationError('run has 3 jobs', [{ path: 'seq', message: 'between 1 and 3' }]);

      const response = await reprocess({ scope: 'JOB', seq: 7, items: 'FAILED' });

      expect(response.status).toBe(400);
      expect(response.body.error.details).toEqual([{ path: 'seq', message: 'between 1 and 3' }]);
    });
  });

  describe('POST .../runs/{runId}/reset', () => {
    it('answers 200 with the RESET run, with or without an empty JSON body; 404 for an unknown run', async () => {
      const response = await h.send({ method: 'POST', path: `${base()}/runs/${KNOWN_RUN_ID}/reset` });
      const withBody = await h.send({ method: 'POST', path: `${base()}/runs/${KNOWN_RUN_ID}/reset`, body: {} });
      const unknown = await h.send({ method: 'POST', path: `${base()}/runs/run_0000/reset` });

      expect(response.status).toBe(200);
      expect(response.body.status).toBe('RESET');
      expect(withBody.status).toBe(200);
      expect(unknown.status).toBe(404);
      expect(h.runs.callsOf('reset')).toHaveLength(3);
    });
  });
});
