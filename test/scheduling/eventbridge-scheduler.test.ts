import { describe, expect, it } from 'vitest';
import { EventBridgeSchedulerTrigger, FIRE_RETRY_POLICY, triggerNameFor } from '../../lambdas/adapters/aws/eventbridge-scheduler-trigger';
import { createJobRegistry } from '../../lambdas/jobs/job-catalogue';
import { ScheduleConfigService } from '../../lambdas/services/schedule-config-service';
import { createEngineHarness } from '../support/engine-harness';
import { FakeScheduler, GROUP, SETTINGS } from './support/fake-scheduler';

const acme = { clientId: 'acme', scheduleId: 'sch_monthend' };

describe('the EventBridge Scheduler trigger', () => {
  it('creates one one-time at() schedule in UTC in the stage group, starting the state machine with the scheduled time, with retries and a DLQ', async () => {
    const scheduler = new FakeScheduler();
    const trigger = new EventBridgeSchedulerTrigger(scheduler, SETTINGS);

    await trigger.arm(acme, { processingDate: '2026-11-28', at: '2026-11-28T05:30:00Z' });

    expect(scheduler.sent.map((sent) => sent.command)).toEqual(['UpdateSchedule', 'CreateSchedule']);
    const created = scheduler.sent[1]!.input;
    expect(created).toEqual({
      Name: 'acme.sch_monthend',
      GroupName: GROUP,
      Description: 'Job schedule sch_monthend of client acme: the occurrence for 2026-11-28',
      ScheduleExpression: 'at(2026-11-28T05:30:00)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      ActionAfterCompletion: 'NONE',
      Target: {
        Arn: SETTINGS.stateMachineArn,
        RoleArn: SETTINGS.roleArn,
        Input: expect.any(String),
        RetryPolicy: FIRE_RETRY_POLICY,
        DeadLetterConfig: { Arn: SETTINGS.deadLetterQueueArn },
      },
    });
    expect(JSON.parse((created.Target as { Input: string }).Input)).toEqual({
      clientId: 'acme',
      scheduleId: 'sch_monthend',
      scheduledTime: '<aws.scheduler.scheduled-time>',
      trigger: 'SCHEDULED',
    });
  });

  it('re-arms the same schedule in place, and takes over one created concurrently', async () => {
    const scheduler = new FakeScheduler();
    const trigger = new EventBridgeSchedulerTrigger(scheduler, SETTINGS);
    await trigger.arm(acme, { processingDate: '2026-11-28', at: '2026-11-28T05:30:00Z' });
    scheduler.sent.length = 0;

    await trigger.arm(acme, { processingDate: '2026-12-29', at: '2026-12-29T05:30:00Z' });

    expect(scheduler.sent.map((sent) => sent.command)).toEqual(['UpdateSchedule']);
    expect(scheduler.expressionOf('acme.sch_monthend')).toBe('at(2026-12-29T05:30:00)');
    expect(scheduler.schedules.size).toBe(1);

    // A concurrent arm creates it between our Update (not found) and our Create (conflict).
    const racing = new FakeScheduler();
    const original = racing.send.bind(racing);
    let raced = false;
    racing.send = async (command) => {
      if (!raced && command.constructor.name === 'CreateScheduleCommand') {
        raced = true;
        racing.schedules.set(`${GROUP}/acme.sch_monthend`, { ...(command.input as object), ScheduleExpression: 'at(2026-11-28T05:30:00)' } as never);
      }
      return original(command);
    };
    await new EventBridgeSchedulerTrigger(racing, SETTINGS).arm(acme, { processingDate: '2026-12-29', at: '2026-12-29T05:30:00Z' });
    expect(racing.sent.map((sent) => sent.command)).toEqual(['UpdateSchedule', 'CreateSchedule', 'UpdateSchedule']);
    expect(racing.expressionOf('acme.sch_monthend')).toBe('at(2026-12-29T05:30:00)');
  });

  it('tells when it is armed for, and disarms (a missing schedule is no error)', async () => {
    const scheduler = new FakeScheduler();
    const trigger = new EventBridgeSchedulerTrigger(scheduler, SETTINGS);
    expect(await trigger.armedAt(acme)).toBeUndefined();
    await trigger.arm(acme, { processingDate: '2026-11-28', at: '2026-11-28T05:30:00Z' });

    expect(await trigger.armedAt(acme)).toBe('2026-11-28T05:30:00.000Z');
    await trigger.disarm(acme);
    await trigger.disarm(acme);

    expect(scheduler.schedules.size).toBe(0);
    expect(scheduler.writes().map((sent) => sent.command)).toEqual(['UpdateSchedule', 'CreateSchedule', 'DeleteSchedule', 'DeleteSchedule']);
  });

  it('names a trigger after client and schedule, within EventBridge’s 64 characters', () => {
    expect(triggerNameFor({ clientId: 'acme', scheduleId: 'sch_daily' })).toBe('acme.sch_daily');
    const long = { clientId: 'a'.repeat(40), scheduleId: `sch_${'b'.repeat(40)}` };
    const name = triggerNameFor(long);
    expect(name).toMatch(/^a{20}\.h_[0-9a-f]{40}$/);
    expect(name.length).toBeLessThanOrEqual(64);
    expect(triggerNameFor({ ...long, scheduleId: `sch_${'c'.repeat(40)}` })).not.toBe(name);
  });
});

describe('deployed scheduling, through the SDK calls made', () => {
  async function deployed() {
    const scheduler = new FakeScheduler();
    const engine = await createEngineHarness({ trigger: new EventBridgeSchedulerTrigger(scheduler, SETTINGS) });
    const schedules = new ScheduleConfigService({ store: engine.config, registry: createJobRegistry({ allowSynthetic: true }), clock: engine.clock, scheduling: engine.scheduling });
    return { scheduler, engine, schedules };
  }

  const newYork = {
    frequency: { type: 'DAILY' as const },
    executionTime: '02:30:00',
    timezone: 'America/New_York',
    jobs: [{ type: 'SYNTHETIC' as const, settings: { items: 1 } }],
  };

  it('fires on the spring-forward day: 02:30 New York on 2027-03-14 is armed at 07:00Z, and the fire runs that date and arms the next', async () => {
    const { scheduler, engine, schedules } = await deployed();
    engine.clock.set('2027-03-13T12:00:00Z');

    const created = await schedules.createSchedule('acme', { name: 'Night run', ...newYork });

    const name = `acme.${created.scheduleId}`;
    // EventBridge cron(30 2 * * ? *) in America/New_York would skip this day: 02:30 does not exist.
    expect(scheduler.expressionOf(name)).toBe('at(2027-03-14T07:00:00)');
    expect(scheduler.schedules.get(`${GROUP}/${name}`)?.ScheduleExpressionTimezone).toBe('UTC');

    engine.clock.set('2027-03-14T07:00:02Z');
    const begun = await engine.steps.beginRun({
      input: { clientId: 'acme', scheduleId: created.scheduleId, scheduledTime: '2027-03-14T07:00:00Z', trigger: 'SCHEDULED' },
      executionName: 'a1b2c3-scheduler-chosen-name',
    });

    expect(begun.action).toBe('RUN');
    expect((await engine.runs.getRun('acme', begun.runId!)).processingDate).toBe('2027-03-14');
    expect(scheduler.expressionOf(name)).toBe('at(2027-03-15T06:30:00)');
    expect(scheduler.schedules.size).toBe(1);
  });

  it('keeps the trigger in step when the schedule is edited, disabled, enabled, made MANUAL and deleted', async () => {
    const { scheduler, engine, schedules } = await deployed();
    engine.clock.set('2026-11-25T12:00:00Z');
    const created = await schedules.createSchedule('acme', { name: 'Month end', ...newYork, frequency: { type: 'MONTH_END', offsetDays: 2 }, executionTime: '00:30:00' });
    const name = `acme.${created.scheduleId}`;
    const config = { name: 'Month end', ...newYork, executionTime: '00:30:00' };
    expect(scheduler.expressionOf(name)).toBe('at(2026-11-28T05:30:00)');

    await schedules.replaceSchedule('acme', created.scheduleId, { ...config, frequency: { type: 'MONTH_END', offsetDays: 0 } }, 1);
    expect(scheduler.expressionOf(name)).toBe('at(2026-11-30T05:30:00)');

    await schedules.replaceSchedule('acme', created.scheduleId, { ...config, frequency: { type: 'MONTH_END', offsetDays: 0 }, enabled: false }, 2);
    expect(scheduler.schedules.has(`${GROUP}/${name}`)).toBe(false);

    await schedules.replaceSchedule('acme', created.scheduleId, { ...config, frequency: { type: 'QUARTER_END', offsetDays: 0 } }, 3);
    expect(scheduler.expressionOf(name)).toBe('at(2026-12-31T05:30:00)');

    await schedules.replaceSchedule('acme', created.scheduleId, { ...config, frequency: { type: 'MANUAL' } }, 4);
    expect(scheduler.schedules.has(`${GROUP}/${name}`)).toBe(false);

    await schedules.replaceSchedule('acme', created.scheduleId, { ...config, frequency: { type: 'YEAR_END', offsetDays: 0 } }, 5);
    await schedules.deleteSchedule('acme', created.scheduleId);
    expect(scheduler.schedules.size).toBe(0);
    expect(await engine.cursors.get({ clientId: 'acme', scheduleId: created.scheduleId })).toBeUndefined();
    expect(scheduler.writes().every((sent) => sent.input.GroupName === GROUP)).toBe(true);
  });

  it('onboarding arms the mandatory daily schedule', async () => {
    const { scheduler, engine, schedules } = await deployed();
    engine.clock.set('2026-11-25T12:00:00Z');

    await schedules.putClient('beta', { name: 'Beta', timezone: 'Europe/London' });

    expect(scheduler.expressionOf('beta.sch_daily')).toBe('at(2026-11-26T01:00:00)');
  });
});
