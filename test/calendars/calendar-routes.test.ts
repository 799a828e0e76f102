import { beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from '../api/support/harness';

/** Weekends and two holidays on month ends: 2026-11-30 is a Monday, 2026-12-31 a Thursday. */
const CALENDAR = { name: 'US finance', weekend: ['SUN', 'SAT'], holidays: ['2026-12-31', '2026-11-30', '2026-12-31'] };

const MONTH_END_BUSINESS = {
  name: 'Month-end close',
  frequency: { type: 'MONTH_END', offsetDays: 0, offsetUnit: 'BUSINESS_DAYS' },
  executionTime: '18:00:00',
  timezone: 'America/New_York',
  jobs: [{ type: 'BILLING' }],
  calendarId: 'us-finance',
};

describe('business-day calendars through the API (DynamoDB Local)', () => {
  let h: ApiHarness;

  beforeAll(async () => {
    h = await createApiHarness();
  });

  const calendarPath = (clientId: string, calendarId = 'us-finance') => `/v1/clients/${clientId}/calendars/${calendarId}`;
  const putCalendar = (clientId: string, body: Record<string, unknown> = CALENDAR, calendarId = 'us-finance') => h.send({ method: 'PUT', path: calendarPath(clientId, calendarId), body });
  const createSchedule = (clientId: string, body: Record<string, unknown>) => h.send({ method: 'POST', path: `/v1/clients/${clientId}/schedules`, body });
  const detailPaths = (response: { body: { error: { details: Array<{ path?: string }> } } }) => response.body.error.details.map((detail) => detail.path);

  it('creates a calendar (201) with its holidays sorted once each and its weekend in weekday order, replaces it (200), reads and lists it', async () => {
    const clientId = await h.onboard();

    const created = await putCalendar(clientId);
    const replaced = await putCalendar(clientId, { ...CALENDAR, name: 'US finance 2026' });

    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ calendarId: 'us-finance', clientId, weekend: ['SAT', 'SUN'], holidays: ['2026-11-30', '2026-12-31'] });
    expect(replaced.status).toBe(200);
    expect((await h.send({ method: 'GET', path: calendarPath(clientId) })).body).toMatchObject({ name: 'US finance 2026', createdAt: created.body.createdAt });
    await putCalendar(clientId, { name: 'Gulf', weekend: ['FRI', 'SAT'], holidays: [] }, 'gulf');
    const first = await h.send({ method: 'GET', path: `/v1/clients/${clientId}/calendars?limit=1` });
    const second = await h.send({ method: 'GET', path: `/v1/clients/${clientId}/calendars?limit=1&nextToken=${first.body.nextToken}` });
    expect([...first.body.items, ...second.body.items].map((c: { calendarId: string }) => c.calendarId)).toEqual(['gulf', 'us-finance']);
    expect(second.body.nextToken).toBeUndefined();
  });

  it('keeps calendars per client: another client reads none of them', async () => {
    const owner = await h.onboard();
    const other = await h.onboard();
    await putCalendar(owner);

    expect((await h.send({ method: 'GET', path: calendarPath(other) })).status).toBe(404);
    expect((await h.send({ method: 'GET', path: `/v1/clients/${other}/calendars` })).body.items).toEqual([]);
    expect(detailPaths(await createSchedule(other, MONTH_END_BUSINESS))).toEqual(['calendarId']);
  });

  it('refuses a calendar without business days, impossible or out-of-range holidays, and too many holidays, naming the field', async () => {
    const clientId = await h.onboard();
    const refused = async (body: Record<string, unknown>) => {
      const response = await putCalendar(clientId, { ...CALENDAR, ...body });
      expect(response.status).toBe(400);
      return detailPaths(response);
    };

    expect(await refused({ weekend: ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'] })).toEqual(['weekend']);
    expect(await refused({ holidays: ['2026-02-30'] })).toEqual(['holidays.0']);
    expect(await refused({ holidays: ['1999-12-31'] })).toEqual(['holidays.0']);
    const tooMany = Array.from({ length: 1001 }, (_, i) => new Date(Date.UTC(2000, 0, 1 + i)).toISOString().slice(0, 10));
    expect(await refused({ holidays: tooMany })).toEqual(['holidays']);
    expect((await h.send({ method: 'GET', path: calendarPath(clientId) })).status).toBe(404);
  });

  it('runs a BUSINESS_DAYS month end on the last business day before weekends and holidays, in nextRuns and in the preview alike', async () => {
    const clientId = await h.onboard();
    await putCalendar(clientId);

    const schedule = await createSchedule(clientId, MONTH_END_BUSINESS);
    const preview = await h.send({
      method: 'POST',
      path: `/v1/clients/${clientId}/schedule-preview`,
      body: { ...MONTH_END_BUSINESS, name: undefined, jobs: undefined, from: '2026-11-25T12:00:00Z', count: 5 },
    });

    expect(schedule.status).toBe(201);
    // 30 Nov is a holiday after a weekend; 31 Dec a holiday; 31 Jan and 28 Feb 2027 are Sundays.
    expect(schedule.body.nextRuns).toEqual([
      { processingDate: '2026-11-27', at: '2026-11-27T23:00:00Z' },
      { processingDate: '2026-12-30', at: '2026-12-30T23:00:00Z' },
      { processingDate: '2027-01-29', at: '2027-01-29T23:00:00Z' },
      { processingDate: '2027-02-26', at: '2027-02-26T23:00:00Z' },
      { processingDate: '2027-03-31', at: '2027-03-31T22:00:00Z' },
    ]);
    expect(preview.body.occurrences).toEqual(schedule.body.nextRuns);
  });

  it('refuses an unknown calendar, business days or a rule without a calendar, and an offset larger than a period holds, naming the field', async () => {
    const clientId = await h.onboard();
    await putCalendar(clientId);
    const preview = (body: Record<string, unknown>) => h.send({ method: 'POST', path: `/v1/clients/${clientId}/schedule-preview`, body: { frequency: { type: 'DAILY' }, executionTime: '02:00:00', timezone: 'UTC', ...body } });
    const { calendarId: _none, ...withoutCalendar } = MONTH_END_BUSINESS;

    expect(detailPaths(await createSchedule(clientId, { ...MONTH_END_BUSINESS, calendarId: 'nope' }))).toEqual(['calendarId']);
    expect(detailPaths(await preview({ calendarId: 'nope' }))).toEqual(['calendarId']);
    expect(detailPaths(await createSchedule(clientId, withoutCalendar))).toEqual(['frequency.offsetUnit']);
    expect(detailPaths(await createSchedule(clientId, { ...withoutCalendar, frequency: { type: 'DAILY' }, nonBusinessDay: 'NEXT' }))).toEqual(['nonBusinessDay']);
    expect(detailPaths(await preview({ nonBusinessDay: 'SKIP' }))).toEqual(['nonBusinessDay']);
    // February 2027 has 20 business days: 20 before the last one is more than it has.
    const tooFar = await createSchedule(clientId, { ...MONTH_END_BUSINESS, frequency: { type: 'MONTH_END', offsetDays: 20, offsetUnit: 'BUSINESS_DAYS' } });
    expect(tooFar.status).toBe(400);
    expect(detailPaths(tooFar)).toEqual(['frequency.offsetDays']);
    expect(detailPaths(await createSchedule(clientId, { ...MONTH_END_BUSINESS, frequency: { type: 'WEEKLY', dayOfWeek: 'SAT' }, nonBusinessDay: 'SKIP' }))).toEqual(['nonBusinessDay']);
    expect((await createSchedule(clientId, { ...MONTH_END_BUSINESS, frequency: { type: 'DAILY', offsetUnit: 'BUSINESS_DAYS' } })).status).toBe(400);
    expect((await h.send({ method: 'GET', path: `/v1/clients/${clientId}/schedules` })).body.items).toHaveLength(1);
  });

  it('answers 409 naming the schedules while one uses the calendar, and 204 once none does', async () => {
    const clientId = await h.onboard();
    await putCalendar(clientId);
    await putCalendar(clientId, { name: 'Other', weekend: ['SAT', 'SUN'] }, 'other');
    const schedule = (await createSchedule(clientId, MONTH_END_BUSINESS)).body;

    const inUse = await h.send({ method: 'DELETE', path: calendarPath(clientId) });
    const moved = await h.send({
      method: 'PUT',
      path: `/v1/clients/${clientId}/schedules/${schedule.scheduleId}`,
      headers: { 'If-Match': '1' },
      body: { ...MONTH_END_BUSINESS, calendarId: 'other' },
    });
    const otherInUse = await h.send({ method: 'DELETE', path: calendarPath(clientId, 'other') });
    const freed = await h.send({ method: 'DELETE', path: calendarPath(clientId) });
    await h.send({ method: 'DELETE', path: `/v1/clients/${clientId}/schedules/${schedule.scheduleId}` });
    const otherFreed = await h.send({ method: 'DELETE', path: calendarPath(clientId, 'other') });

    expect(inUse.status).toBe(409);
    expect(inUse.body.error.code).toBe('CALENDAR_IN_USE');
    expect(inUse.body.error.message).toContain(`Month-end close (${schedule.scheduleId})`);
    expect(moved.status).toBe(200);
    expect(otherInUse.status).toBe(409);
    expect(freed.status).toBe(204);
    expect(otherFreed.status).toBe(204);
    expect((await h.send({ method: 'GET', path: `/v1/clients/${clientId}/calendars` })).body.items).toEqual([]);
  });

  it('never leaves a schedule on a deleted calendar when the delete and the save race', async () => {
    const clientId = await h.onboard();
    for (let trial = 0; trial < 8; trial++) {
      const calendarId = `race-${trial}`;
      await putCalendar(clientId, CALENDAR, calendarId);

      const [deleted, saved] = await Promise.all([
        h.send({ method: 'DELETE', path: calendarPath(clientId, calendarId) }),
        createSchedule(clientId, { ...MONTH_END_BUSINESS, name: `Race ${trial}`, calendarId }),
      ]);

      const stillThere = (await h.send({ method: 'GET', path: calendarPath(clientId, calendarId) })).status === 200;
      if (saved.status === 201) {
        expect(deleted.status, `trial ${trial}`).toBe(409);
        expect(stillThere).toBe(true);
      } else {
        expect(deleted.status, `trial ${trial}`).toBe(204);
        expect(detailPaths(saved)).toEqual(['calendarId']);
        expect(stillThere).toBe(false);
      }
    }
  });

  it('refuses a calendar edit under which a schedule using it could not run as saved (409), and changes nothing', async () => {
    const clientId = await h.onboard();
    await putCalendar(clientId);
    await createSchedule(clientId, { ...MONTH_END_BUSINESS, frequency: { type: 'MONTH_END', offsetDays: 15, offsetUnit: 'BUSINESS_DAYS' } });

    // Six weekend days leave about five business days a month.
    const response = await putCalendar(clientId, { ...CALENDAR, weekend: ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] });

    expect(response.status).toBe(409);
    expect(response.body.error.code).toBe('CALENDAR_BREAKS_SCHEDULE');
    expect((await h.send({ method: 'GET', path: calendarPath(clientId) })).body.weekend).toEqual(['SAT', 'SUN']);
  });

  describe('dependsOn', () => {
    const dependent = (name: string, dependsOn: Array<{ scheduleId: string }>) => ({
      name,
      frequency: { type: 'DAILY' },
      executionTime: '03:00:00',
      timezone: 'UTC',
      jobs: [{ type: 'BILLING' }],
      dependsOn,
    });

    it('resolves daily, and refuses an unknown schedule, the schedule itself and a cycle, naming the field', async () => {
      const clientId = await h.onboard();
      const a = await createSchedule(clientId, dependent('A', [{ scheduleId: 'daily' }]));
      const b = await createSchedule(clientId, dependent('B', [{ scheduleId: a.body.scheduleId }]));
      const replaceA = (dependsOn: Array<{ scheduleId: string }>) =>
        h.send({ method: 'PUT', path: `/v1/clients/${clientId}/schedules/${a.body.scheduleId}`, headers: { 'If-Match': '1' }, body: dependent('A', dependsOn) });

      const unknown = await createSchedule(clientId, dependent('C', [{ scheduleId: 'sch_nothere' }]));
      const itself = await replaceA([{ scheduleId: a.body.scheduleId }]);
      const cycle = await replaceA([{ scheduleId: b.body.scheduleId }]);
      const cycleThroughDaily = await h.send({ method: 'PUT', path: `/v1/clients/${clientId}/schedules/daily`, headers: { 'If-Match': '1' }, body: dependent('Daily billing', [{ scheduleId: b.body.scheduleId }]) });

      expect(a.status).toBe(201);
      expect(a.body.dependsOn).toEqual([{ scheduleId: 'sch_daily' }]);
      expect(b.status).toBe(201);
      expect(detailPaths(unknown)).toEqual(['dependsOn.0.scheduleId']);
      expect(detailPaths(itself)).toEqual(['dependsOn.0.scheduleId']);
      expect(cycle.status).toBe(400);
      expect(detailPaths(cycle)).toEqual(['dependsOn']);
      expect(cycle.body.error.message).toContain('A → B → A');
      expect(detailPaths(cycleThroughDaily)).toEqual(['dependsOn']);
      expect((await h.send({ method: 'GET', path: `/v1/clients/${clientId}/schedules/${a.body.scheduleId}` })).body.version).toBe(1);
    });

    it('does not delete a schedule others depend on: 409 naming them', async () => {
      const clientId = await h.onboard();
      const base = await createSchedule(clientId, dependent('Base', []));
      await createSchedule(clientId, dependent('Later', [{ scheduleId: base.body.scheduleId }]));

      const response = await h.send({ method: 'DELETE', path: `/v1/clients/${clientId}/schedules/${base.body.scheduleId}` });

      expect(response.status).toBe(409);
      expect(response.body.error.code).toBe('SCHEDULE_DEPENDED_ON');
      expect(response.body.error.message).toContain('Later');
    });
  });
});
