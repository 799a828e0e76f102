import { beforeAll, describe, expect, it } from 'vitest';
import { FREQUENCY_TYPES } from '../../lambdas/domain/catalogue';
import { DAYS_OF_WEEK, DEFAULT_CATCH_UP_WINDOW_HOURS, DEFAULT_OVERLAP_POLICY, JOB_TYPES, OVERLAP_POLICIES, SKIP_REASONS, WAITING_REASONS } from '../../lambdas/domain/model';
import { createJobRegistry } from '../../lambdas/jobs/job-catalogue';
import { ScheduleConfigService } from '../../lambdas/services/schedule-config-service';
import { createApiHarness, type ApiHarness } from './support/harness';

const values = (entries: Array<{ value: string }>): string[] => entries.map((entry) => entry.value);

describe('GET /v1/catalogue', () => {
  let h: ApiHarness;

  beforeAll(async () => {
    h = await createApiHarness();
  });

  it('answers 401 in the error model without credentials or with a wrong token', async () => {
    for (const token of [null, 'not-a-token']) {
      const response = await h.send({ method: 'GET', path: '/v1/catalogue', token });

      expect(response.status).toBe(401);
      expect(response.body).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String), details: [] } });
    }
  });

  it('serves any signed-in caller, whatever clients it may act for', async () => {
    const admin = await h.send({ method: 'GET', path: '/v1/catalogue' });
    const client = await h.send({ method: 'GET', path: '/v1/catalogue', token: 'acme-token' });

    expect(admin.status).toBe(200);
    expect(client.status).toBe(200);
    expect(client.body).toEqual(admin.body);
  });

  it('lists every value of the domain model, in its order, each with a label', async () => {
    const { body } = await h.send({ method: 'GET', path: '/v1/catalogue' });

    expect(values(body.jobTypes)).toEqual([...JOB_TYPES]);
    expect(values(body.frequencyTypes)).toEqual([...FREQUENCY_TYPES]);
    expect(values(body.weekdays)).toEqual([...DAYS_OF_WEEK]);
    expect(values(body.overlapPolicies)).toEqual([...OVERLAP_POLICIES]);
    expect(values(body.waitingReasons)).toEqual([...WAITING_REASONS]);
    expect(values(body.skipReasons)).toEqual([...SKIP_REASONS]);
    const entries = [body.jobTypes, body.frequencyTypes, body.weekdays, body.overlapPolicies, body.waitingReasons, body.skipReasons].flat();
    for (const entry of entries) expect(entry.label, entry.value).toMatch(/\S/);
    expect(body.recommendedDailyJobs).toEqual(['USAGE_RATING', 'SYNC_TRANSACTIONS', 'BILLING']);
    expect(body.recommendedDailySequence).toEqual([
      { type: 'USAGE_RATING', onItemFailure: 'CONTINUE' },
      { type: 'SYNC_TRANSACTIONS', onItemFailure: 'CONTINUE' },
      { type: 'BILLING' },
    ]);
    expect(body.defaults).toEqual({ overlapPolicy: DEFAULT_OVERLAP_POLICY, catchUpWindowHours: DEFAULT_CATCH_UP_WINDOW_HOURS });
  });

  it('names the one field each frequency takes besides its type', async () => {
    const { body } = await h.send({ method: 'GET', path: '/v1/catalogue' });

    expect(Object.fromEntries(body.frequencyTypes.map((type: { value: string; parameter?: string }) => [type.value, type.parameter]))).toEqual({
      DAILY: undefined,
      WEEKLY: 'dayOfWeek',
      MONTHLY: 'dayOfMonth',
      MONTH_END: 'offsetDays',
      QUARTER_END: 'offsetDays',
      YEAR_END: 'offsetDays',
      CRON: 'expression',
      MANUAL: undefined,
    });
  });

  it('says which job types this deployment runs: those its registry has', async () => {
    const { body } = await h.send({ method: 'GET', path: '/v1/catalogue' });

    // The test registry leaves RERATING out (support/harness.ts).
    const unavailable = body.jobTypes.filter((type: { available: boolean }) => !type.available);
    expect(values(unavailable)).toEqual(['RERATING']);
  });

  it('refuses SYNTHETIC where the stage does (production), and offers it where the stage allows it', () => {
    const availability = (allowSynthetic: boolean) => {
      const catalogue = new ScheduleConfigService({ store: h.store, registry: createJobRegistry({ allowSynthetic }) }).catalogue();
      return Object.fromEntries(catalogue.jobTypes.map((type) => [type.value, type.available]));
    };

    expect(availability(false)).toEqual({ ...Object.fromEntries(JOB_TYPES.map((type) => [type, true])), SYNTHETIC: false });
    expect(availability(true).SYNTHETIC).toBe(true);
  });
});
