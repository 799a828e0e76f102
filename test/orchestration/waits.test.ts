import { afterEach, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lambdas/composition/local-runtime';
import type { OverlapPolicy } from '../../lambdas/domain/model';
import { startTestRuntime, waitForRun } from '../support/local-runtime';
import { runReaches } from '../support/run-waits';

/**
 * The two waits of statemachines/schedule-run.asl.json, executed locally: WaitForExceptionWindow
 * (no job starts inside an exception window) and WaitForPreviousRun (overlap policy QUEUE). The
 * runtime's clock is injected and the Wait states are shortened, so each wait loops through
 * BeginJob / BeginRun until the test moves the clock or the previous run ends.
 */
describe('the waits of the schedule-run state machine', () => {
  let runtime: LocalRuntime | undefined;
  let now = new Date('2026-11-25T06:30:00Z');

  afterEach(async () => {
    await runtime?.stop();
    runtime = undefined;
  });

  async function start(): Promise<LocalRuntime> {
    runtime = await startTestRuntime({
      clock: { now: () => now },
      waitTimeOverrides: { WaitForExceptionWindow: 100, WaitForPreviousRun: 100 },
      worker: { checkpointMs: 0, visibilityTimeoutMs: 5_000 },
    });
    await runtime.schedules.putClient('acme', { name: 'Acme', timezone: 'America/New_York' });
    return runtime;
  }

  it('waits out an exception window that is open when the run starts, showing until when, then runs', async () => {
    // 06:30Z is 01:30 in New York: inside the window 01:00-02:00, which ends at 07:00Z.
    now = new Date('2026-11-25T06:30:00Z');
    const rt = await start();
    const { scheduleId } = await rt.schedules.createSchedule('acme', {
      name: 'Windowed',
      frequency: { type: 'MANUAL' },
      executionTime: '01:00:00',
      timezone: 'America/New_York',
      exceptionWindows: [{ start: '01:00:00', end: '02:00:00' }],
      jobs: [{ type: 'SYNTHETIC', settings: { items: 20 } }],
    });

    const { run } = await rt.engine.runs.trigger('acme', scheduleId, { processingDate: '2026-11-25' });
    const waiting = await runReaches(rt, 'acme', run.runId, (r) => r.waitingUntil !== undefined);

    expect(waiting.status).toBe('RUNNING');
    expect(waiting.waitingUntil).toBe('2026-11-25T07:00:00.000Z');
    expect(waiting.waitingReason).toEqual({ code: 'EXCEPTION_WINDOW', message: 'an exception window is open: job 1 (SYNTHETIC) starts when it closes at 2026-11-25T07:00:00.000Z' });
    expect(waiting.jobs[0]?.status).toBe('PENDING');
    // Still inside the window a moment later: the state machine asked again and waits on.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await rt.engine.runs.getRun('acme', run.runId)).jobs[0]?.status).toBe('PENDING');

    now = new Date('2026-11-25T07:00:00Z');
    const done = await waitForRun(rt, 'acme', run.runId, ['COMPLETED', 'FAILED']);

    expect(done.status).toBe('COMPLETED');
    expect(done.jobs[0]?.stats.succeeded).toBe(20);
    expect(done.waitingUntil).toBeUndefined();
    expect(done.waitingReason).toBeUndefined();
  });

  async function twoRuns(overlapPolicy: OverlapPolicy): Promise<{ rt: LocalRuntime; first: string; second: string }> {
    now = new Date('2026-11-25T12:00:00Z');
    const rt = await start();
    const { scheduleId } = await rt.schedules.createSchedule('acme', {
      name: `Overlap ${overlapPolicy}`,
      frequency: { type: 'MANUAL' },
      executionTime: '01:00:00',
      timezone: 'America/New_York',
      overlapPolicy,
      jobs: [{ type: 'SYNTHETIC', settings: { items: 200, batchSize: 20, delayMs: 400 } }],
    });
    const first = (await rt.engine.runs.trigger('acme', scheduleId, { processingDate: '2026-11-24' })).run.runId;
    await runReaches(rt, 'acme', first, (r) => r.status === 'RUNNING');
    const second = (await rt.engine.runs.trigger('acme', scheduleId, { processingDate: '2026-11-25' })).run.runId;
    return { rt, first, second };
  }

  it('QUEUE: a new run waits, PENDING and saying for which run, until the previous run of its schedule has finished', async () => {
    const { rt, first, second } = await twoRuns('QUEUE');

    const queued = await runReaches(rt, 'acme', second, (r) => r.waitingReason !== undefined);

    expect(queued.status).toBe('PENDING');
    expect(queued.waitingReason?.code).toBe('PREVIOUS_RUN_ACTIVE');
    expect(queued.waitingReason?.message).toContain(`run ${first} (2026-11-24, RUNNING)`);
    const previous = await waitForRun(rt, 'acme', first, ['COMPLETED', 'FAILED']);
    const next = await waitForRun(rt, 'acme', second, ['COMPLETED', 'FAILED']);
    expect([previous.status, next.status]).toEqual(['COMPLETED', 'COMPLETED']);
    expect(next.waitingReason).toBeUndefined();
    expect(next.jobs[0]?.stats.succeeded).toBe(200);
  });

  it('SKIP: the new run ends SKIPPED with its reason while the previous one completes', async () => {
    const { rt, first, second } = await twoRuns('SKIP');

    const skipped = await waitForRun(rt, 'acme', second, ['SKIPPED', 'COMPLETED', 'FAILED']);

    expect(skipped.status).toBe('SKIPPED');
    expect(skipped.skipReason).toEqual({ code: 'OVERLAP', message: `run ${first} (2026-11-24, RUNNING) of this schedule was still active (overlap policy SKIP)` });
    expect((await waitForRun(rt, 'acme', first, ['COMPLETED', 'FAILED'])).status).toBe('COMPLETED');
  });
});
