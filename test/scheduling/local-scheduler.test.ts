import { afterEach, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lambdas/composition/local-runtime';
import type { ScheduleConfigInput } from '../../lambdas/domain/model';
import { api, startTestRuntime, waitForRun } from '../support/local-runtime';

/**
 * The local scheduler driven by an injected clock, through the whole local runtime: it fires
 * schedules with the calendar module and the scheduler's execution input, the ASL runs them, and
 * its cursor in DynamoDB Local carries what it has settled across a restart.
 */
describe('the local scheduler', () => {
  const runtimes: LocalRuntime[] = [];
  let now = new Date('2027-01-30T12:00:00Z');
  const clock = { now: () => now };
  const at = (iso: string): void => {
    now = new Date(iso);
  };

  afterEach(async () => {
    for (const runtime of runtimes.splice(0)) await runtime.stop();
  });

  async function start(tablePrefix?: string): Promise<LocalRuntime> {
    const runtime = await startTestRuntime({
      clock,
      ...(tablePrefix ? { tablePrefix } : {}),
      // A queued run asks again without really waiting (the clock stands still in these tests).
      waitTimeOverrides: { WaitForPreviousRun: 100, WaitForExceptionWindow: 100 },
      worker: { checkpointMs: 0, visibilityTimeoutMs: 5_000 },
    });
    runtimes.push(runtime);
    return runtime;
  }

  async function stop(runtime: LocalRuntime): Promise<void> {
    runtimes.splice(runtimes.indexOf(runtime), 1);
    await runtime.stop();
  }

  const config = (overrides: Partial<ScheduleConfigInput>): ScheduleConfigInput => ({
    name: 'Scheduled',
    frequency: { type: 'DAILY' },
    executionTime: '01:00:00',
    timezone: 'America/New_York',
    jobs: [{ type: 'SYNTHETIC', settings: { items: 5 } }],
    ...overrides,
  });

  /** Onboards acme with its mandatory daily schedule disabled, so that only the test's schedule fires. */
  async function onboardWithoutDaily(runtime: LocalRuntime): Promise<void> {
    await runtime.schedules.putClient('acme', { name: 'Acme', timezone: 'America/New_York' });
    const daily = await runtime.schedules.getSchedule('acme', 'daily');
    const { name, frequency, executionTime, timezone, jobs } = daily;
    await runtime.schedules.replaceSchedule('acme', 'daily', { name, frequency, executionTime, timezone, jobs, enabled: false }, daily.version);
  }

  /** Waits for the fired execution to claim the date's run, then for the run to end. */
  async function completed(runtime: LocalRuntime, scheduleId: string, processingDate: string) {
    for (let attempt = 0; ; attempt++) {
      const [run] = await runtime.engine.runs.listRuns('acme', { date: processingDate, scheduleId });
      if (run) return waitForRun(runtime, 'acme', run.runId, ['COMPLETED', 'FAILED', 'SKIPPED']);
      if (attempt > 200) throw new Error(`no run of ${scheduleId} for ${processingDate}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('fires a month-end schedule on the last day of January and of February, once each', async () => {
    at('2027-01-30T12:00:00Z');
    const runtime = await start();
    await onboardWithoutDaily(runtime);
    const { scheduleId } = await runtime.schedules.createSchedule('acme', config({ name: 'Month end', frequency: { type: 'MONTH_END', offsetDays: 0 }, executionTime: '23:30:00' }));
    const firedFor = async (iso: string): Promise<string[]> => {
      at(iso);
      const report = await runtime.scheduler.tick();
      return report.fired.filter((fire) => fire.scheduleId === scheduleId).map((fire) => fire.processingDate);
    };

    expect(await firedFor('2027-01-31T12:00:00Z')).toEqual([]);
    // 23:30 in New York on the 31st is 04:30Z on February 1st.
    expect(await firedFor('2027-02-01T04:29:59Z')).toEqual([]);
    expect(await firedFor('2027-02-01T04:30:00Z')).toEqual(['2027-01-31']);
    const january = await completed(runtime, scheduleId, '2027-01-31');
    expect(await firedFor('2027-02-01T04:30:30Z')).toEqual([]);
    expect(await firedFor('2027-02-28T12:00:00Z')).toEqual([]);
    expect(await firedFor('2027-03-01T04:31:00Z')).toEqual(['2027-02-28']);
    const february = await completed(runtime, scheduleId, '2027-02-28');

    for (const run of [january, february]) {
      expect(run).toMatchObject({ status: 'COMPLETED', trigger: 'SCHEDULED' });
    }
    expect(january.scheduledTime).toBe('2027-02-01T04:30:00Z');
    expect(february.scheduledTime).toBe('2027-03-01T04:30:00Z');
  });

  it('after a restart, fires each missed occurrence within the catch-up window once, oldest first, and records older ones as MISSED runs of their date', async () => {
    at('2026-11-20T12:00:00Z');
    const first = await start();
    await onboardWithoutDaily(first);
    const { scheduleId } = await first.schedules.createSchedule('acme', config({ catchUpWindowHours: 36 }));
    at('2026-11-21T06:00:10Z');
    expect((await first.scheduler.tick()).fired.filter((fire) => fire.scheduleId === scheduleId).map((fire) => fire.processingDate)).toEqual(['2026-11-21']);
    await completed(first, scheduleId, '2026-11-21');
    await stop(first);

    // Down from the 21st to the 25th, 12:00Z: the occurrences of the 22nd to the 25th (06:00Z) were missed.
    at('2026-11-25T12:00:00Z');
    const second = await start(first.tablePrefix);
    const report = await second.scheduler.tick();

    // 36 hours back is the 24th, 00:00Z: the 24th and the 25th are caught up, in that order.
    expect(report.fired.filter((fire) => fire.scheduleId === scheduleId).map((fire) => [fire.processingDate, fire.at])).toEqual([
      ['2026-11-24', '2026-11-24T06:00:00Z'],
      ['2026-11-25', '2026-11-25T06:00:00Z'],
    ]);
    expect(report.missed.filter((miss) => miss.scheduleId === scheduleId).map((miss) => miss.processingDate)).toEqual(['2026-11-22', '2026-11-23']);
    expect((await completed(second, scheduleId, '2026-11-24')).status).toBe('COMPLETED');
    expect((await completed(second, scheduleId, '2026-11-25')).status).toBe('COMPLETED');

    // The older misses are visible where an operator looks: the runs of that date.
    const listed = await api(second, 'GET', `/v1/clients/acme/runs?date=2026-11-22&scheduleId=${scheduleId}`);
    expect(listed.status).toBe(200);
    expect(listed.body.items).toEqual([
      expect.objectContaining({
        status: 'SKIPPED',
        trigger: 'SCHEDULED',
        scheduledTime: '2026-11-22T06:00:00Z',
        skipReason: {
          code: 'MISSED',
          message: 'not fired at 2026-11-22T06:00:00Z: no scheduler was running then, and the occurrence is older than the catch-up window of 36 h',
        },
      }),
    ]);

    // Settled exactly once: neither another tick nor another restart fires or records anything again.
    expect(await second.scheduler.tick()).toMatchObject({ fired: [], missed: [] });
    await stop(second);
    const third = await start(first.tablePrefix);
    expect(await third.scheduler.tick()).toMatchObject({ fired: [], missed: [] });
    expect((await api(third, 'GET', `/v1/clients/acme/runs?date=2026-11-23&scheduleId=${scheduleId}`)).body.items).toHaveLength(1);
  });

  it('fires nothing for MANUAL or disabled schedules, and nothing from before a schedule was enabled', async () => {
    at('2026-11-20T12:00:00Z');
    const runtime = await start();
    await runtime.schedules.putClient('acme', { name: 'Acme', timezone: 'America/New_York' });
    const manual = await runtime.schedules.createSchedule('acme', config({ name: 'Manual', frequency: { type: 'MANUAL' } }));
    const disabled = await runtime.schedules.createSchedule('acme', config({ name: 'Disabled', enabled: false }));

    at('2026-11-22T12:00:00Z');
    const whileDisabled = await runtime.scheduler.tick();
    await runtime.schedules.replaceSchedule('acme', disabled.scheduleId, config({ name: 'Disabled' }), 1);
    const afterEnabling = await runtime.scheduler.tick();

    for (const report of [whileDisabled, afterEnabling]) {
      expect(report.fired.filter((fire) => fire.scheduleId !== 'sch_daily')).toEqual([]);
      expect(report.missed.filter((miss) => miss.scheduleId !== 'sch_daily')).toEqual([]);
    }
    expect(manual.nextRuns).toEqual([]);
  });
});
