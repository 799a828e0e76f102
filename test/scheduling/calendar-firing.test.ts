import { beforeEach, describe, expect, it } from 'vitest';
import type { Schedule } from '../../lambdas/domain/model';
import type { Calendar } from '../../lambdas/ports/config-store';
import { ScheduleConfigService } from '../../lambdas/services/schedule-config-service';
import { createEngineHarness, type EngineHarness } from '../support/engine-harness';

/**
 * Schedules on a business-day calendar fire when the preview says: the trigger is armed for the
 * calendar's next occurrence, BeginRun maps each fire to that occurrence's processing date, and
 * editing the calendar re-arms the schedules that use it. DynamoDB Local.
 */
describe('firing a schedule on a business-day calendar', () => {
  let engine: EngineHarness;
  let service: ScheduleConfigService;

  const calendar = (overrides: Partial<Calendar> = {}): Calendar => ({
    calendarId: 'gulf',
    clientId: 'acme',
    name: 'Gulf',
    weekend: ['FRI', 'SAT'],
    holidays: ['2027-03-17'],
    createdAt: '2026-11-01T00:00:00Z',
    updatedAt: '2026-11-01T00:00:00Z',
    ...overrides,
  });

  beforeEach(async () => {
    engine = await createEngineHarness();
    service = new ScheduleConfigService({ store: engine.config, registry: engine.registry, clock: engine.clock, scheduling: engine.scheduling });
    await engine.config.putCalendar(calendar());
  });

  const armedFor = (schedule: Schedule) => engine.trigger.armed.get(`acme/${schedule.scheduleId}`);

  it('arms, fires and runs each occurrence the preview shows, over weekends, a holiday and the spring-forward day', async () => {
    const schedule = await engine.addSchedule({ executionTime: '02:30:00', timezone: 'America/New_York', calendarId: 'gulf', nonBusinessDay: 'NEXT' });
    engine.clock.set('2027-03-10T12:00:00Z');
    const preview = await service.preview('acme', { ...schedule, from: '2027-03-10T12:00:00Z', count: 6 });

    await engine.scheduling.scheduleChanged(schedule);
    const armed = [armedFor(schedule)];
    const runDates: string[] = [];
    for (let fire = 0; fire < 5; fire++) {
      const at = armed[armed.length - 1]!.at;
      engine.clock.set(at);
      const begun = await engine.steps.beginRun({ input: { clientId: 'acme', scheduleId: schedule.scheduleId, scheduledTime: at, trigger: 'SCHEDULED' }, executionName: `sched-${fire}` });
      runDates.push((await engine.runs.getRun('acme', begun.runId!)).processingDate);
      armed.push(armedFor(schedule));
    }

    // Fri 12 and Sat 13 run on Sun 14 (02:30 does not exist that day: 03:00 EDT), the holiday
    // Wed 17 on Thu 18 with Thu's own, Fri 19 and Sat 20 on Sun 21 with Sun's own.
    expect(preview.map((o) => o.processingDate)).toEqual(['2027-03-11', '2027-03-14', '2027-03-15', '2027-03-16', '2027-03-18', '2027-03-21']);
    expect(preview[1]).toEqual({ processingDate: '2027-03-14', at: '2027-03-14T07:00:00Z' });
    expect(armed).toEqual(preview);
    expect(runDates).toEqual(preview.slice(0, 5).map((o) => o.processingDate));
  });

  it('catches up by the calendar: a missed weekend moved to Sunday is recorded missed, Monday fired, Friday and Saturday never', async () => {
    const schedule = await engine.addSchedule({ executionTime: '02:30:00', timezone: 'America/New_York', calendarId: 'gulf', nonBusinessDay: 'NEXT' });
    engine.clock.set('2027-03-11T12:00:00Z');
    await engine.scheduling.scheduleChanged(schedule);
    engine.clock.set('2027-03-15T12:00:00Z');

    const report = await engine.scheduling.settleDue(schedule, engine.clock.now());

    // The catch-up window is 24 h: Sunday's 07:00Z is older, Monday's 06:30Z within it.
    expect(report).toEqual({ fired: [{ processingDate: '2027-03-15', at: '2027-03-15T06:30:00Z' }], missed: ['2027-03-14'] });
  });

  it('re-arms the schedules that use a calendar when it is edited, and leaves the others alone', async () => {
    const monthEnd = await engine.addSchedule({
      frequency: { type: 'MONTH_END', offsetDays: 0, offsetUnit: 'BUSINESS_DAYS' },
      executionTime: '18:00:00',
      timezone: 'Asia/Kolkata',
      calendarId: 'gulf',
    });
    const plain = await engine.addSchedule({ frequency: { type: 'MONTH_END', offsetDays: 0 }, executionTime: '18:00:00', timezone: 'Asia/Kolkata' });
    engine.clock.set('2026-11-25T12:00:00Z');
    await engine.scheduling.scheduleChanged(monthEnd);
    await engine.scheduling.scheduleChanged(plain);
    const before = { monthEnd: armedFor(monthEnd), plain: armedFor(plain) };

    await service.calendars.put('acme', 'gulf', { name: 'Gulf', weekend: ['FRI', 'SAT'], holidays: ['2026-11-30'] });

    // 30 Nov 2026 is a Monday: the last business day before it, with FRI/SAT weekends, is Sun 29.
    expect(before.monthEnd).toEqual({ processingDate: '2026-11-30', at: '2026-11-30T12:30:00Z' });
    expect(armedFor(monthEnd)).toEqual({ processingDate: '2026-11-29', at: '2026-11-29T12:30:00Z' });
    expect(armedFor(plain)).toEqual(before.plain);
    expect((await service.getSchedule('acme', monthEnd.scheduleId)).nextRuns[0]).toEqual(armedFor(monthEnd));
  });
});
