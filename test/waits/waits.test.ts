import { afterEach, describe, expect, it } from 'vitest';
import { parseApiTokens } from '../../lambdas/api/auth';
import type { LocalRuntime } from '../../lambdas/composition/local-runtime';
import type { JobHandler } from '../../lambdas/domain/job-registry';
import { writesLedger } from '../../lambdas/domain/job-registry';
import type { RunView } from '../../lambdas/domain/run';
import { seedLedger } from '../../lambdas/jobs/ledger-generator';
import type { DynamoRunStore } from '../../lambdas/adapters/aws/dynamo-run-store';
import { ConflictError } from '../../lambdas/domain/errors';
import { JobStartService } from '../../lambdas/services/job-start-service';
import { api, startTestRuntime, waitForRun } from '../support/local-runtime';
import { runReaches } from '../support/run-waits';

/**
 * Runs that wait, through the local runtime (the API, the ASL executed by the interpreter, the
 * queue and workers, DynamoDB Local): for the schedules they depend on (DEPENDENCY), for another
 * run of the client writing the ledger (LEDGER_BUSY), and for an operator to start a MANUAL job
 * (MANUAL_JOB). The Wait states are shortened, so each wait loops through BeginRun or BeginJob
 * until what it waits for has happened.
 */
// Each test starts a runtime on the shared DynamoDB Local and runs several executions: on a loaded machine that takes a while.
describe('runs that wait', { timeout: 180_000 }, () => {
  let runtime: LocalRuntime | undefined;

  afterEach(async () => {
    await runtime?.stop();
    runtime = undefined;
  });

  const OPERATOR = 'operator-token';
  const CALLER = 'caller-token';

  async function start(extra: Parameters<typeof startTestRuntime>[0] = {}): Promise<LocalRuntime> {
    runtime = await startTestRuntime({
      coreBilling: { backoffMs: 5 },
      waitTimeOverrides: { WaitForExceptionWindow: 100, WaitForPreviousRun: 100, WaitForDependencies: 50, WaitForLedger: 30, WaitForManualStart: 50 },
      worker: { checkpointMs: 0, visibilityTimeoutMs: 5_000 },
      apiTokens: parseApiTokens(`${OPERATOR}:acme:operator,${CALLER}:acme:caller`),
      ...extra,
    });
    await runtime.schedules.putClient('acme', { name: 'Acme', timezone: 'UTC' });
    return runtime;
  }

  async function trigger(rt: LocalRuntime, scheduleId: string, processingDate = '2026-11-25'): Promise<string> {
    const response = await api(rt, 'POST', `/v1/clients/acme/schedules/${scheduleId}/runs`, { processingDate });
    expect(response.status).toBe(202);
    return response.body.runId;
  }

  describe('dependsOn', () => {
    it('waits PENDING (DEPENDENCY) while the schedule it depends on has no run, then a FAILED one, and goes on once that is reprocessed to COMPLETED', async () => {
      const rt = await start();
      const upstream = await rt.schedules.createSchedule('acme', {
        name: 'Upstream',
        frequency: { type: 'MANUAL' },
        executionTime: '01:00:00',
        timezone: 'UTC',
        jobs: [{ type: 'SYNTHETIC', settings: { items: 10, failItems: [3] } }],
      });
      const downstream = await rt.schedules.createSchedule('acme', {
        name: 'Downstream',
        frequency: { type: 'MANUAL' },
        executionTime: '02:00:00',
        timezone: 'UTC',
        dependsOn: [{ scheduleId: upstream.scheduleId }],
        jobs: [{ type: 'SYNTHETIC', settings: { items: 5 } }],
      });

      const waitingId = await trigger(rt, downstream.scheduleId);
      const noRunYet = await runReaches(rt, 'acme', waitingId, (run) => run.waitingReason?.code === 'DEPENDENCY');

      expect(noRunYet.status).toBe('PENDING');
      expect(noRunYet.waitingReason?.waitingFor).toEqual([{ scheduleId: upstream.scheduleId }]);
      expect(noRunYet.waitingReason?.message).toContain(`${upstream.scheduleId} (no run yet)`);
      expect(noRunYet.waitingUntil).toBeDefined();

      const upstreamId = await trigger(rt, upstream.scheduleId);
      // Not waitForRun: it waits for every execution to end, and the dependent one is still waiting.
      expect((await runReaches(rt, 'acme', upstreamId, (run) => run.status === 'FAILED')).error?.code).toBe('ITEMS_FAILED');
      const behindFailed = await runReaches(rt, 'acme', waitingId, (run) => run.waitingReason?.waitingFor?.[0]?.status === 'FAILED');

      expect(behindFailed.status).toBe('PENDING');
      expect(behindFailed.waitingReason?.waitingFor).toEqual([{ scheduleId: upstream.scheduleId, runId: upstreamId, status: 'FAILED' }]);
      expect(behindFailed.jobs[0]?.status).toBe('PENDING');

      const reprocess = await api(rt, 'POST', `/v1/clients/acme/runs/${upstreamId}/reprocess`, { scope: 'RUN', heal: true });
      expect(reprocess.status).toBe(202);
      const done = await waitForRun(rt, 'acme', waitingId, ['COMPLETED', 'FAILED']);

      expect((await rt.engine.runs.getRun('acme', upstreamId)).status).toBe('COMPLETED');
      expect(done.status).toBe('COMPLETED');
      expect(done.jobs[0]?.stats.succeeded).toBe(5);
      expect(done.waitingReason).toBeUndefined();
      expect(done.waitingUntil).toBeUndefined();
    });

    it('does not wait for a dependency whose run of the date is already COMPLETED, and shows no wait once started', async () => {
      const rt = await start();
      const daily = await trigger(rt, 'daily');
      expect((await waitForRun(rt, 'acme', daily, ['COMPLETED', 'FAILED'])).status).toBe('COMPLETED');
      const monthEnd = await rt.schedules.createSchedule('acme', {
        name: 'After daily',
        frequency: { type: 'MANUAL' },
        executionTime: '03:00:00',
        timezone: 'UTC',
        dependsOn: [{ scheduleId: 'daily' }],
        jobs: [{ type: 'SYNTHETIC', settings: { items: 3 } }],
      });

      const runId = await trigger(rt, monthEnd.scheduleId);
      const done = await waitForRun(rt, 'acme', runId, ['COMPLETED', 'FAILED']);

      expect(done.status).toBe('COMPLETED');
      expect(done.waitingReason).toBeUndefined();
    });
  });

  describe('one ledger writer per client', () => {
    it('runs the ledger jobs of two runs of one client started together one after the other (LEDGER_BUSY), and both complete without LEDGER_CONFLICT', async () => {
      // Every process() call of a ledger job, in the order they began and ended.
      const events: Array<{ runId: string; seq: number; edge: 'start' | 'end' }> = [];
      const record = (handler: JobHandler): JobHandler => ({
        ...handler,
        type: handler.type,
        batchSize: handler.batchSize,
        parseSettings: (settings) => handler.parseSettings(settings),
        collect: (ctx) => handler.collect(ctx),
        process: async (ctx, itemIds) => {
          if (writesLedger(handler.type)) events.push({ runId: ctx.runId, seq: ctx.seq, edge: 'start' });
          try {
            return await handler.process(ctx, itemIds);
          } finally {
            if (writesLedger(handler.type)) events.push({ runId: ctx.runId, seq: ctx.seq, edge: 'end' });
          }
        },
      });
      const rt = await start({ faults: { jobs: record } });
      await seedLedger(rt.ledger, { clientId: 'acme', accounts: 60, usagePerAccount: 3, month: '2026-11', seed: 11, unratedShare: 0 });
      const second = await rt.schedules.createSchedule('acme', {
        name: 'Second ledger schedule',
        frequency: { type: 'MANUAL' },
        executionTime: '05:00:00',
        timezone: 'UTC',
        jobs: [{ type: 'USAGE_RATING' }, { type: 'SYNC_TRANSACTIONS' }, { type: 'SUSPENSE_REPROCESSING' }, { type: 'BILLING' }],
      });
      const seen = new Set<string>();

      const [dailyId, secondId] = await Promise.all([trigger(rt, 'daily', '2026-11-30'), trigger(rt, second.scheduleId, '2026-11-30')]);
      const watch = (async () => {
        for (;;) {
          const runs = await Promise.all([dailyId, secondId].map((id) => rt.engine.runs.getRun('acme', id)));
          for (const run of runs) if (run.waitingReason) seen.add(`${run.status}:${run.waitingReason.code}`);
          if (runs.every((run) => run.status === 'COMPLETED' || run.status === 'FAILED')) return runs;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      })();
      const [daily, other] = await watch;

      expect(daily?.status).toBe('COMPLETED');
      expect(other?.status).toBe('COMPLETED');
      expect(seen).toContain('RUNNING:LEDGER_BUSY');
      // Each job's calls span one interval; no two intervals of different runs overlap.
      const spans = new Map<string, { runId: string; first: number; last: number }>();
      events.forEach((event, at) => {
        const key = `${event.runId}#${event.seq}`;
        const span = spans.get(key) ?? { runId: event.runId, first: at, last: at };
        spans.set(key, { ...span, last: at });
      });
      const intervals = [...spans.values()];
      expect(intervals.filter((span) => span.runId === dailyId).length).toBeGreaterThan(0);
      expect(intervals.filter((span) => span.runId === secondId).length).toBeGreaterThan(0);
      for (const a of intervals) {
        for (const b of intervals) {
          if (a.runId !== b.runId) expect(a.last < b.first || b.last < a.first, `${JSON.stringify(a)} overlaps ${JSON.stringify(b)}`).toBe(true);
        }
      }
      for (const run of [daily, other]) {
        for (const job of run?.jobs ?? []) expect(job.stats.failed, `${run?.scheduleName} job ${job.seq}`).toBe(0);
      }
    });
  });

  describe('manual jobs', () => {
    async function manualSchedule(rt: LocalRuntime): Promise<string> {
      const schedule = await rt.schedules.createSchedule('acme', {
        name: 'Approval gate',
        frequency: { type: 'MANUAL' },
        executionTime: '04:00:00',
        timezone: 'UTC',
        jobs: [
          { type: 'SYNTHETIC', settings: { items: 4 } },
          { type: 'SYNTHETIC', settings: { items: 6 }, start: 'MANUAL' },
        ],
      });
      return schedule.scheduleId;
    }

    it('holds the run before a MANUAL job (RUNNING, MANUAL_JOB, the job PENDING) until an operator starts it; 409 at any other job or twice', async () => {
      const rt = await start();
      const runId = await trigger(rt, await manualSchedule(rt));

      const waiting = await runReaches(rt, 'acme', runId, (run) => run.waitingReason?.code === 'MANUAL_JOB');

      expect(waiting.status).toBe('RUNNING');
      expect(waiting.jobs.map((job) => job.status)).toEqual(['COMPLETED', 'PENDING']);
      expect(waiting.jobs[1]?.start).toBe('MANUAL');
      expect(waiting.waitingReason?.waitingFor).toEqual([{ seq: 2 }]);
      // Still waiting after several checks of the Wait loop.
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect((await rt.engine.runs.getRun('acme', runId)).jobs[1]?.status).toBe('PENDING');

      const wrongJob = await api(rt, 'POST', `/v1/clients/acme/runs/${runId}/jobs/1/start`, undefined, OPERATOR);
      const byCaller = await api(rt, 'POST', `/v1/clients/acme/runs/${runId}/jobs/2/start`, undefined, CALLER);
      const started = await api(rt, 'POST', `/v1/clients/acme/runs/${runId}/jobs/2/start`, undefined, OPERATOR);
      const again = await api(rt, 'POST', `/v1/clients/acme/runs/${runId}/jobs/2/start`, undefined, OPERATOR);

      expect(wrongJob.status).toBe(409);
      expect(wrongJob.body.error.code).toBe('NOT_WAITING_AT_JOB');
      expect(wrongJob.body.error.details).toEqual([{ path: 'seq', message: 'not the job the run waits at' }]);
      expect(byCaller.status).toBe(403);
      expect(byCaller.body.error.code).toBe('FORBIDDEN_ACTION');
      expect(started.status).toBe(202);
      expect(started.body.jobs[1].manualStart.by).toBe('api-token:acme');
      expect(again.status).toBe(409);
      const done = await waitForRun(rt, 'acme', runId, ['COMPLETED', 'FAILED']);
      expect(done.status).toBe('COMPLETED');
      expect(done.jobs.map((job) => job.stats.succeeded)).toEqual([4, 6]);
      expect(done.jobs[1]?.manualStart?.by).toBe('api-token:acme');
      expect(done.waitingReason).toBeUndefined();
    });

    it('lets an operator reset a run waiting at a MANUAL job: the execution stops, the start is then a 409, and the next attempt waits again', async () => {
      const rt = await start();
      const scheduleId = await manualSchedule(rt);
      const runId = await trigger(rt, scheduleId);
      await runReaches(rt, 'acme', runId, (run) => run.waitingReason?.code === 'MANUAL_JOB');

      const reset = await api(rt, 'POST', `/v1/clients/acme/runs/${runId}/reset`, undefined, OPERATOR);
      await rt.orchestrator.idle();
      const late = await api(rt, 'POST', `/v1/clients/acme/runs/${runId}/jobs/2/start`, undefined, OPERATOR);

      expect(reset.status).toBe(200);
      expect(reset.body.status).toBe('RESET');
      expect(reset.body.waitingReason).toBeUndefined();
      expect(rt.orchestrator.running()).toEqual([]);
      expect(late.status).toBe(409);
      const nextAttempt = await trigger(rt, scheduleId);
      const waitingAgain = await runReaches(rt, 'acme', nextAttempt, (run) => run.waitingReason?.code === 'MANUAL_JOB');
      expect(waitingAgain.attempt).toBe(2);
    });

    it('lets only one of two starts at the same moment through: one is started, the other a 409', async () => {
      const rt = await start();
      const runId = await trigger(rt, await manualSchedule(rt));
      await runReaches(rt, 'acme', runId, (run) => run.waitingReason?.code === 'MANUAL_JOB');
      // Both starts read the run before either writes: each sees the job PENDING and not started.
      let reads = 0;
      let bothRead: () => void = () => undefined;
      const barrier = new Promise<void>((resolve) => (bothRead = resolve));
      const racingStore = new Proxy(rt.runStore, {
        get(target, property, receiver) {
          if (property !== 'getRun') return Reflect.get(target, property, receiver) as unknown;
          return async (...args: Parameters<DynamoRunStore['getRun']>) => {
            const run = await target.getRun(...args);
            if (++reads === 2) bothRead();
            if (reads <= 2) await barrier;
            return run;
          };
        },
      });
      // As the runtime composes it: the API's kept reads of the run are forgotten when a start is recorded.
      const service = new JobStartService({ runs: racingStore, clock: { now: () => new Date('2026-11-25T05:00:00Z') }, onRunChanged: (id) => rt.engine.runs.forgetRun(id) });

      const outcomes = await Promise.allSettled([service.startJob('acme', runId, 2, 'first-operator'), service.startJob('acme', runId, 2, 'second-operator')]);

      const started = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      const refused = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []));
      expect(started).toHaveLength(1);
      // A ConflictError is the API's 409.
      expect(refused.map((error) => [error instanceof ConflictError, (error as ConflictError).code])).toEqual([[true, 'NOT_WAITING_AT_JOB']]);
      const winner = (started[0] as PromiseFulfilledResult<RunView>).value.jobs[1]?.manualStart?.by;
      expect((await rt.engine.runs.getRun('acme', runId)).jobs[1]?.manualStart?.by).toBe(winner);
      expect((await waitForRun(rt, 'acme', runId, ['COMPLETED', 'FAILED'])).status).toBe('COMPLETED');
    });
  });
});
