import { beforeEach, describe, expect, it } from 'vitest';
import { EventBridgeSchedulerTrigger } from '../../lambdas/adapters/aws/eventbridge-scheduler-trigger';
import type { Schedule } from '../../lambdas/domain/model';
import { scheduledExecutionName } from '../../lambdas/services/schedule-firing-service';
import { createEngineHarness, type EngineHarness } from '../support/engine-harness';
import { FakeScheduler, SETTINGS } from './support/fake-scheduler';

/**
 * The reconciler's pass over the schedule triggers: a chain of one-time fires that broke (a fire
 * that went to the dead-letter queue, an arm that failed) is caught up from the schedule's cursor
 * and armed again. DynamoDB Local, EventBridge Scheduler faked at the SDK.
 */
describe('the reconciler, for schedule triggers', () => {
  let scheduler: FakeScheduler;
  let engine: EngineHarness<EventBridgeSchedulerTrigger>;
  let schedule: Schedule;
  let name: string;

  beforeEach(async () => {
    scheduler = new FakeScheduler();
    engine = await createEngineHarness({ trigger: new EventBridgeSchedulerTrigger(scheduler, SETTINGS) });
    // Daily at 01:00 New York = 06:00Z in November.
    schedule = await engine.addSchedule({ executionTime: '01:00:00', timezone: 'America/New_York', catchUpWindowHours: 36 });
    name = `acme.${schedule.scheduleId}`;
  });

  const key = () => ({ clientId: 'acme', scheduleId: schedule.scheduleId });

  it('arms a schedule that has never been armed, from now on: nothing before is fired', async () => {
    engine.clock.set('2026-11-25T12:00:00Z');

    const report = await engine.reconcile.reconcile();

    expect(report.triggers).toMatchObject({ checked: 2, rearmed: [schedule.scheduleId, 'sch_daily'].sort(), caughtUp: [], missed: [] });
    expect(scheduler.expressionOf(name)).toBe('at(2026-11-26T06:00:00)');
    expect(engine.orchestrator.started).toEqual([]);
    expect(await engine.cursors.get(key())).toBe('2026-11-25T12:00:00.000Z');
  });

  it('leaves a trigger armed for the next occurrence alone, and one that fired moments ago to its BeginRun', async () => {
    engine.clock.set('2026-11-25T12:00:00Z');
    await engine.scheduling.scheduleChanged(schedule);
    scheduler.sent.length = 0;

    await engine.reconcile.reconcile();
    engine.clock.set('2026-11-26T06:05:00Z');
    await engine.reconcile.reconcile();

    expect(scheduler.writes().filter((sent) => sent.input.Name === name)).toEqual([]);
    expect(engine.orchestrator.started).toEqual([]);
  });

  it('corrects a trigger armed for another instant than the calendar’s next occurrence', async () => {
    engine.clock.set('2026-11-25T12:00:00Z');
    await engine.trigger.arm(key(), { processingDate: '2026-11-27', at: '2026-11-27T06:00:00Z' });

    const report = await engine.reconcile.reconcile();

    expect(report.triggers?.corrected).toEqual([schedule.scheduleId]);
    expect(scheduler.expressionOf(name)).toBe('at(2026-11-26T06:00:00)');
  });

  it('catches up a broken chain from the cursor: fires what is within the catch-up window, oldest first, records older occurrences as MISSED, and re-arms', async () => {
    // Armed on the 22nd for the 23rd; the fire of the 23rd went to the dead-letter queue, and
    // nothing re-armed the trigger since.
    engine.clock.set('2026-11-22T12:00:00Z');
    await engine.scheduling.scheduleChanged(schedule);
    expect(scheduler.expressionOf(name)).toBe('at(2026-11-23T06:00:00)');
    engine.clock.set('2026-11-25T12:00:00Z');

    const report = await engine.reconcile.reconcile();

    // 36 hours back from 2026-11-25T12:00Z is 2026-11-24T00:00Z: the 24th and 25th fire, the 23rd is missed.
    expect(report.triggers?.missed).toEqual([{ scheduleId: schedule.scheduleId, processingDate: '2026-11-23' }]);
    expect(report.triggers?.caughtUp).toEqual([
      { scheduleId: schedule.scheduleId, processingDate: '2026-11-24' },
      { scheduleId: schedule.scheduleId, processingDate: '2026-11-25' },
    ]);
    expect(engine.orchestrator.started).toEqual([
      { name: scheduledExecutionName(key(), '2026-11-24T06:00:00Z'), input: { clientId: 'acme', scheduleId: schedule.scheduleId, scheduledTime: '2026-11-24T06:00:00Z', trigger: 'SCHEDULED' } },
      { name: scheduledExecutionName(key(), '2026-11-25T06:00:00Z'), input: { clientId: 'acme', scheduleId: schedule.scheduleId, scheduledTime: '2026-11-25T06:00:00Z', trigger: 'SCHEDULED' } },
    ]);
    const [missed] = await engine.runs.listRuns('acme', { date: '2026-11-23', scheduleId: schedule.scheduleId });
    expect(missed).toMatchObject({ status: 'SKIPPED', trigger: 'SCHEDULED', scheduledTime: '2026-11-23T06:00:00Z', skipReason: { code: 'MISSED' } });
    expect(missed?.skipReason?.message).toBe(
      'not fired at 2026-11-23T06:00:00Z: no scheduler was running then, and the occurrence is older than the catch-up window of 36 h',
    );
    expect(scheduler.expressionOf(name)).toBe('at(2026-11-26T06:00:00)');
    expect(await engine.cursors.get(key())).toBe('2026-11-25T06:00:00.000Z');

    // Settled once: a second pass finds the chain whole and fires nothing again.
    engine.orchestrator.started.length = 0;
    await engine.reconcile.reconcile();
    expect(engine.orchestrator.started).toEqual([]);
  });
});
