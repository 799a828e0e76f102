import { describe, expect, it } from 'vitest';
import { ConflictError, RunResetError, SupersededExecutionError, ValidationError } from '../../lambdas/domain/errors';
import { DAILY_SCHEDULE_ID, emptyStats, RUN_STATUSES, type Run, type RunJob } from '../../lambdas/domain/model';
import {
  executionInputOf,
  isTerminal,
  newRunDraft,
  jobStatsFromOutcomes,
  ownershipError,
  reopenedJobs,
  reprocessPlan,
  resolveScheduleId,
  toRunView,
  type BatchCounts,
} from '../../lambdas/domain/run';
import { JobRegistry } from '../../lambdas/domain/job-registry';
import { SyntheticJob } from '../../lambdas/jobs/synthetic-job';
import { runDraftFixture, scheduleFixture } from '../support/fixtures';

function job(overrides: Partial<RunJob>): RunJob {
  return { seq: 1, type: 'SYNTHETIC', status: 'PENDING', stats: emptyStats(), generation: 0, ...overrides };
}

function runOf(overrides: Partial<Run> = {}): Run {
  return { ...runDraftFixture(), runId: 'run_1', attempt: 1, executionName: 'run_1-x2', ...overrides };
}

async function* batches(...counts: BatchCounts[]): AsyncIterable<BatchCounts> {
  yield* counts;
}

describe('the run domain module', () => {
  it('lets only the owning execution of a run that is not RESET act on it, as the steps and the worker both ask', () => {
    expect(ownershipError(runOf(), 'run_1-x2')).toBeUndefined();
    expect(ownershipError(runOf(), 'run_1-x1')).toBeInstanceOf(SupersededExecutionError);
    expect(ownershipError(runOf({ status: 'RESET' }), 'run_1-x2')).toBeInstanceOf(RunResetError);
  });

  it('takes a run as ended once COMPLETED, FAILED, SKIPPED or RESET, and as active while PENDING or RUNNING', () => {
    expect(RUN_STATUSES.filter(isTerminal)).toEqual(['COMPLETED', 'FAILED', 'SKIPPED', 'RESET']);
  });

  it('counts a job from the outcomes of its own batches only, and reads none before collect recorded them', async () => {
    const outcomes = batches(
      { batchNo: 0, total: 500, succeeded: 498, failed: 2 },
      { batchNo: 1, total: 500, succeeded: 300, failed: 0 },
      { batchNo: 2, total: 500, succeeded: 0, failed: 0 },
    );
    expect(await jobStatsFromOutcomes(job({ batchCount: 2 }), () => outcomes)).toEqual({ total: 1000, succeeded: 798, failed: 2, pending: 200 });

    const live = { total: 0, succeeded: 0, failed: 0, pending: 0 };
    const unread = () => {
      throw new Error('read the batches of a job that has none yet');
    };
    expect(await jobStatsFromOutcomes(job({ stats: live }), unread)).toBe(live);
  });

  it('starts every execution of a run with the same input, whoever starts it', () => {
    const run = runOf({ processingDate: '2026-11-03', trigger: 'MANUAL' });
    expect(executionInputOf(run)).toEqual({ clientId: 'acme', scheduleId: 'sch_test', runId: 'run_1', processingDate: '2026-11-03', trigger: 'MANUAL' });
  });

  it('shows a run with job and item totals, without its execution bookkeeping', () => {
    const view = toRunView(
      runOf({
        jobs: [
          job({ seq: 1, status: 'COMPLETED', stats: { total: 10, succeeded: 10, failed: 0, pending: 0 } }),
          job({ seq: 2, status: 'FAILED', stats: { total: 5, succeeded: 3, failed: 2, pending: 0 } }),
          job({ seq: 3, status: 'SKIPPED' }),
        ],
      }),
    );
    expect(view.stats).toEqual({ jobs: { total: 3, completed: 2, failed: 1, pending: 0 }, items: { total: 15, succeeded: 13, failed: 2, pending: 0 } });
    for (const internal of ['executionCount', 'redriveCount', 'plan', 'heal']) expect(view).not.toHaveProperty(internal);
  });

  it('reprocesses from the first job that did not complete, and runs ALL items of a job again in a new generation', () => {
    const run = runOf({ status: 'FAILED', jobs: [job({ seq: 1, status: 'COMPLETED' }), job({ seq: 2, status: 'FAILED', error: { code: 'X', message: 'x' } }), job({ seq: 3 })] });
    expect(reprocessPlan(run, { scope: 'RUN' })).toEqual({ startSeq: 2, items: 'FAILED', heal: false });

    const plan = reprocessPlan(run, { scope: 'JOB', seq: 2, items: 'ALL', heal: true });
    expect(reopenedJobs(run, plan).map(({ seq, status, generation, error }) => ({ seq, status, generation, error }))).toEqual([
      { seq: 2, status: 'PENDING', generation: 1, error: undefined },
      { seq: 3, status: 'PENDING', generation: 0, error: undefined },
    ]);
  });

  it("keeps each job's onItemFailure from the schedule or the run's override, reopens collected jobs to collect again, and shows neither flag's bookkeeping", () => {
    const registry = new JobRegistry([new SyntheticJob()]);
    const settings = { items: 10 };
    const schedule = scheduleFixture({ jobs: [{ type: 'SYNTHETIC', settings, onItemFailure: 'CONTINUE' }, { type: 'SYNTHETIC', settings }] });
    const draft = newRunDraft({ schedule, processingDate: '2026-11-25', trigger: 'API', now: '2026-11-25T00:00:00Z', registry });
    const overridden = newRunDraft({ schedule, processingDate: '2026-11-25', trigger: 'API', now: '2026-11-25T00:00:00Z', registry, jobs: [{ type: 'SYNTHETIC', settings, onItemFailure: 'STOP' }] });
    expect(draft.jobs.map((j) => j.onItemFailure)).toEqual(['CONTINUE', undefined]);
    expect(overridden.jobs.map((j) => j.onItemFailure)).toEqual(['STOP']);

    const run = runOf({ status: 'FAILED', jobs: [job({ seq: 1, status: 'FAILED', batchCount: 2 }), job({ seq: 2 })] });
    const reopened = reopenedJobs(run, reprocessPlan(run, { scope: 'RUN' }));
    expect(reopened.map((j) => j.collectAgain)).toEqual([true, undefined]);
    expect(toRunView({ ...run, jobs: reopened }).jobs[0]).not.toHaveProperty('collectAgain');
  });

  it('refuses to reprocess an active run or a job the run does not have', () => {
    expect(() => reprocessPlan(runOf({ status: 'RUNNING' }), { scope: 'RUN' })).toThrow(ConflictError);
    expect(() => reprocessPlan(runOf({ status: 'COMPLETED' }), { scope: 'JOB', seq: 9, items: 'FAILED' })).toThrow(ValidationError);
  });

  it('reads `daily` as the mandatory daily schedule and any other id as itself', () => {
    expect(resolveScheduleId('daily')).toBe(DAILY_SCHEDULE_ID);
    expect(resolveScheduleId('sch_daily')).toBe(DAILY_SCHEDULE_ID);
    expect(resolveScheduleId('sch_other')).toBe('sch_other');
  });
});
