import { beforeEach, describe, expect, it } from 'vitest';
import type { OverlapPolicy, Schedule } from '../../lambdas/domain/model';
import { createEngineHarness, type EngineHarness } from '../support/engine-harness';

/**
 * BeginRun as the state machine calls it for a scheduler's fire and for a run that has not
 * started: the calendar decides the processing date, the trigger is re-armed, and the overlap
 * policy holds back a run while an earlier run of its schedule is active. DynamoDB Local.
 */
describe('BeginRun', () => {
  let engine: EngineHarness;

  beforeEach(async () => {
    engine = await createEngineHarness();
  });

  const scheduled = (schedule: Schedule, scheduledTime: string, executionName = `sched-${scheduledTime}`) =>
    engine.steps.beginRun({ input: { clientId: 'acme', scheduleId: schedule.scheduleId, scheduledTime, trigger: 'SCHEDULED' }, executionName });

  describe('for a scheduler fire', () => {
    it('runs for the occurrence the scheduled time stands for, on the spring-forward day at the first valid instant', async () => {
      const schedule = await engine.addSchedule({ executionTime: '02:30:00', timezone: 'America/New_York' });
      engine.clock.set('2027-03-14T07:00:20Z');

      const begun = await scheduled(schedule, '2027-03-14T07:00:00Z');

      expect(begun.action).toBe('RUN');
      const run = await engine.runs.getRun('acme', begun.runId!);
      expect(run).toMatchObject({ processingDate: '2027-03-14', status: 'RUNNING', trigger: 'SCHEDULED', scheduledTime: '2027-03-14T07:00:00Z' });
      expect(engine.trigger.armed.get(`acme/${schedule.scheduleId}`)).toEqual({ processingDate: '2027-03-15', at: '2027-03-15T06:30:00Z' });
      expect(await engine.cursors.get({ clientId: 'acme', scheduleId: schedule.scheduleId })).toBe('2027-03-14T07:00:00.000Z');
    });

    it('leaves no run behind for a fire that is no occurrence, and still arms the next one', async () => {
      const schedule = await engine.addSchedule({ frequency: { type: 'WEEKLY', dayOfWeek: 'FRI' }, executionTime: '01:00:00' });
      engine.clock.set('2026-11-25T06:00:00Z');

      const begun = await scheduled(schedule, '2026-11-25T06:00:00Z');

      expect(begun).toMatchObject({ action: 'DONE', reason: '2026-11-25T06:00:00Z is not an occurrence of this schedule' });
      expect(await engine.runs.listRuns('acme', { date: '2026-11-25', scheduleId: schedule.scheduleId })).toEqual([]);
      expect(engine.trigger.armed.get(`acme/${schedule.scheduleId}`)).toEqual({ processingDate: '2026-11-27', at: '2026-11-27T06:00:00Z' });
    });

    it('carries on with its own run when it is retried after the claim, and answers DONE to another fire for the same date', async () => {
      const schedule = await engine.addSchedule();
      engine.clock.set('2026-11-25T06:00:05Z');

      const first = await scheduled(schedule, '2026-11-25T06:00:00Z', 'exec-a');
      const retried = await scheduled(schedule, '2026-11-25T06:00:00Z', 'exec-a');
      const other = await scheduled(schedule, '2026-11-25T06:00:00Z', 'exec-b');

      expect(first.action).toBe('RUN');
      expect(retried).toMatchObject({ action: 'RUN', runId: first.runId });
      expect(other).toMatchObject({ action: 'DONE', reason: `run ${first.runId} already holds 2026-11-25` });
    });

    it('disarms the trigger of a schedule that was disabled meanwhile and does nothing', async () => {
      const schedule = await engine.addSchedule({ enabled: false });
      engine.trigger.armed.set(`acme/${schedule.scheduleId}`, { processingDate: '2026-11-25', at: '2026-11-25T06:00:00Z' });

      const begun = await scheduled(schedule, '2026-11-25T06:00:00Z');

      expect(begun).toMatchObject({ action: 'DONE', reason: 'schedule is disabled' });
      expect(engine.trigger.armed.has(`acme/${schedule.scheduleId}`)).toBe(false);
    });
  });

  describe('overlap policy', () => {
    async function withActiveRun(overlapPolicy: OverlapPolicy): Promise<{ schedule: Schedule; previous: string }> {
      const schedule = await engine.addSchedule({ overlapPolicy });
      const { run } = await engine.runs.trigger('acme', schedule.scheduleId, { processingDate: '2026-11-24' });
      const begun = await engine.steps.beginRun({ input: { clientId: 'acme', scheduleId: schedule.scheduleId, runId: run.runId, trigger: 'API' }, executionName: run.executionName });
      expect(begun.action).toBe('RUN');
      return { schedule, previous: run.runId };
    }

    async function begin(schedule: Schedule, processingDate: string) {
      const { run } = await engine.runs.trigger('acme', schedule.scheduleId, { processingDate });
      const answer = await engine.steps.beginRun({ input: { clientId: 'acme', scheduleId: schedule.scheduleId, runId: run.runId, trigger: 'API' }, executionName: run.executionName });
      return { run, answer };
    }

    it('QUEUE: the new run waits, PENDING, showing until when and for which run; it starts once the previous run has finished', async () => {
      const { schedule, previous } = await withActiveRun('QUEUE');

      const { run, answer } = await begin(schedule, '2026-11-25');

      expect(answer).toMatchObject({ action: 'WAIT', runId: run.runId, waitUntil: '2026-11-25T12:02:00.000Z' });
      const waiting = await engine.runs.getRun('acme', run.runId);
      expect(waiting.status).toBe('PENDING');
      expect(waiting.waitingUntil).toBe('2026-11-25T12:02:00.000Z');
      expect(waiting.waitingReason).toEqual({
        code: 'PREVIOUS_RUN_ACTIVE',
        message: `waits for run ${previous} (2026-11-24, RUNNING) of this schedule to finish (overlap policy QUEUE); checks again at 2026-11-25T12:02:00.000Z`,
      });

      const previousRun = await engine.runs.getRun('acme', previous);
      await engine.steps.completeRun({ runId: previous, executionName: previousRun.executionName });
      engine.clock.set('2026-11-25T12:02:00Z');
      // The ASL's WaitForPreviousRun returns to BeginRun with the answer it had in $.run.
      const again = await engine.steps.beginRun({
        input: { clientId: 'acme', scheduleId: schedule.scheduleId, trigger: 'API', run: { runId: run.runId } },
        executionName: run.executionName,
      });

      expect(again).toMatchObject({ action: 'RUN', runId: run.runId, index: 0 });
      const started = await engine.runs.getRun('acme', run.runId);
      expect(started.status).toBe('RUNNING');
      expect(started.waitingUntil).toBeUndefined();
      expect(started.waitingReason).toBeUndefined();
    });

    it('SKIP: the new occurrence is recorded as a SKIPPED run with the reason, its jobs skipped', async () => {
      const { schedule, previous } = await withActiveRun('SKIP');

      const { run, answer } = await begin(schedule, '2026-11-25');

      expect(answer.action).toBe('DONE');
      const skipped = await engine.runs.getRun('acme', run.runId);
      expect(skipped.status).toBe('SKIPPED');
      expect(skipped.endedAt).toBeDefined();
      expect(skipped.skipReason).toEqual({ code: 'OVERLAP', message: `run ${previous} (2026-11-24, RUNNING) of this schedule was still active (overlap policy SKIP)` });
      expect(skipped.jobs.map((job) => job.status)).toEqual(['SKIPPED']);
    });

    it('ALLOW: the new run starts while the previous one runs', async () => {
      const { schedule } = await withActiveRun('ALLOW');

      const { answer } = await begin(schedule, '2026-11-25');

      expect(answer.action).toBe('RUN');
    });

    it('queues new runs in date order: the earlier date starts, the later one waits, neither waits for the other', async () => {
      const schedule = await engine.addSchedule({ overlapPolicy: 'QUEUE' });
      const later = (await engine.runs.trigger('acme', schedule.scheduleId, { processingDate: '2026-11-26' })).run;
      const earlier = (await engine.runs.trigger('acme', schedule.scheduleId, { processingDate: '2026-11-25' })).run;
      const beginOf = (run: typeof later) =>
        engine.steps.beginRun({ input: { clientId: 'acme', scheduleId: schedule.scheduleId, runId: run.runId, trigger: 'API' }, executionName: run.executionName });

      const [laterAnswer, earlierAnswer] = [await beginOf(later), await beginOf(earlier)];

      expect(laterAnswer.action).toBe('WAIT');
      expect(earlierAnswer.action).toBe('RUN');
    });

    it('does not wait for the runs of other schedules', async () => {
      const { schedule } = await withActiveRun('QUEUE');
      const other = await engine.addSchedule({ overlapPolicy: 'QUEUE' });

      const { answer } = await begin(other, '2026-11-25');

      expect(answer.action).toBe('RUN');
      expect((await engine.store.listActiveRunsOfSchedule('acme', schedule.scheduleId)).map((run) => run.processingDate)).toEqual(['2026-11-24']);
    });
  });
});
