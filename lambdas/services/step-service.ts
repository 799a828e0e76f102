import { DomainError } from '../domain/errors';
import type { JobContext, JobRegistry } from '../domain/job-registry';
import type { ItemStats, Run, RunJob } from '../domain/model';
import { exceptionWindowEnd, isDue, processingDateOf } from '../domain/schedule-calendar';
import type { Clock } from '../ports/clock';
import type { ConfigStore } from '../ports/config-store';
import type { ExecutionInput } from '../ports/orchestrator';
import type { RunStore } from '../ports/run-store';
import { jobOf, loadOwnedRun } from './run-guard';
import { newRunDraft } from './run-factory';

/** A job whose items did not all succeed: FinalizeJob fails the execution with it. */
export class JobFailedError extends DomainError {
  readonly code = 'JOB_FAILED';
}

export interface BeginRunInput {
  input: ExecutionInput;
  executionName: string;
}

export interface BeginRunOutput {
  runId?: string;
  index: number;
  action: 'RUN' | 'DONE';
  /** Read by the Map state (MaxConcurrencyPath) and its children (TimeoutSecondsPath). */
  maxConcurrency: number;
  batchTimeoutSeconds: number;
  reason?: string;
}

export interface BeginJobInput {
  runId: string;
  index: number;
  executionName: string;
}

export interface BeginJobOutput {
  action: 'RUN' | 'WAIT' | 'COMPLETE';
  seq?: number;
  waitUntil?: string;
}

export interface JobStepInput {
  runId: string;
  seq: number;
  executionName: string;
  /** FindFailedBatches: only the batches that still have failed items (read consistently, not from the lagging index). */
  failedOnly?: boolean;
}

export interface FinalizeJobInput extends JobStepInput {
  index: number;
}

export interface CompleteRunInput {
  runId: string;
  executionName: string;
}

export interface StepSettings {
  /** Map children in flight at once (per execution). */
  maxConcurrency: number;
  /** How long a Map child waits for its worker before the batch is sent again. */
  batchTimeoutSeconds: number;
}

/** Batches written per BatchWriteItem round while collecting. */
const BATCH_WRITE_GROUP = 25;

/**
 * The tasks of statemachines/schedule-run.asl.json. Each is idempotent: run twice, it leaves the
 * same state and returns the same answer, so a redrive or a re-run equals the first run.
 */
export class StepService {
  constructor(
    private readonly deps: {
      runs: RunStore;
      config: ConfigStore;
      registry: JobRegistry;
      clock: Clock;
      settings: StepSettings;
    },
  ) {}

  async beginRun({ input, executionName }: BeginRunInput): Promise<BeginRunOutput> {
    const { runs, clock, settings } = this.deps;
    const answer = (run: Run | undefined, action: 'RUN' | 'DONE', reason?: string): BeginRunOutput => ({
      ...(run ? { runId: run.runId } : {}),
      index: run ? Math.max(0, run.jobs.findIndex((job) => job.seq >= run.plan.startSeq)) : 0,
      action,
      maxConcurrency: settings.maxConcurrency,
      batchTimeoutSeconds: settings.batchTimeoutSeconds,
      ...(reason ? { reason } : {}),
    });

    if (input.runId) {
      const run = await loadOwnedRun(runs, input.runId, executionName);
      if (run.status === 'COMPLETED' || run.status === 'SKIPPED') return answer(run, 'DONE', `run is ${run.status}`);
      const now = clock.now().toISOString();
      await runs.transitionRun(run.runId, {
        from: ['PENDING', 'RUNNING', 'FAILED'],
        executionName,
        set: { status: 'RUNNING', startedAt: run.startedAt ?? now },
        remove: ['endedAt', 'error'],
      });
      const index = run.jobs.findIndex((job) => job.seq >= run.plan.startSeq);
      return { ...answer(run, 'RUN'), index: index < 0 ? run.jobs.length : index };
    }

    const schedule = await this.deps.config.getSchedule(input.clientId, input.scheduleId);
    if (!schedule) return answer(undefined, 'DONE', 'schedule no longer exists');
    if (!schedule.enabled) return answer(undefined, 'DONE', 'schedule is disabled');
    const firedAt = input.scheduledTime ? new Date(input.scheduledTime) : clock.now();
    const processingDate = input.processingDate ?? processingDateOf(firedAt, schedule.timezone);
    if (!input.processingDate && !isDue(schedule.frequency, processingDate)) {
      return answer(undefined, 'DONE', `${processingDate} is not due for this schedule`);
    }
    const now = clock.now().toISOString();
    const draft = newRunDraft({ schedule, processingDate, trigger: input.trigger, now, registry: this.deps.registry });
    const { run, created } = await runs.claimRun({ ...draft, status: 'RUNNING', startedAt: now, executionName });
    if (!created) return answer(undefined, 'DONE', `run ${run.runId} already holds ${processingDate}`);
    return answer(run, 'RUN');
  }

  async beginJob({ runId, index, executionName }: BeginJobInput): Promise<BeginJobOutput> {
    const { runs, clock } = this.deps;
    const run = await loadOwnedRun(runs, runId, executionName);
    const job = run.jobs[index];
    if (!job) return { action: 'COMPLETE' };
    const now = clock.now();
    const windowEnd = exceptionWindowEnd(run.config.exceptionWindows, now, run.config.timezone);
    if (windowEnd) {
      const waitUntil = windowEnd.toISOString();
      await runs.transitionRun(runId, { from: ['RUNNING'], executionName, set: { waitingUntil: waitUntil } });
      return { action: 'WAIT', seq: job.seq, waitUntil };
    }
    if (run.waitingUntil) await runs.transitionRun(runId, { from: ['RUNNING'], executionName, set: {}, remove: ['waitingUntil'] });
    if (job.status !== 'RUNNING') {
      const { endedAt: _endedAt, error: _error, ...rest } = job;
      await runs.putJob(runId, { ...rest, status: 'RUNNING', startedAt: job.startedAt ?? now.toISOString() });
    }
    return { action: 'RUN', seq: job.seq };
  }

  async collectWorkItems({ runId, seq, executionName, failedOnly }: JobStepInput): Promise<{ batches: number[] }> {
    const { runs, registry, clock } = this.deps;
    const run = await loadOwnedRun(runs, runId, executionName);
    const job = jobOf(run, seq);

    if (failedOnly) {
      const batches: number[] = [];
      for await (const summary of runs.batchSummaries(runId, seq)) {
        if (summary.batchNo < (job.batchCount ?? 0) && summary.failed > 0) batches.push(summary.batchNo);
      }
      return { batches };
    }
    if (job.batchCount !== undefined) {
      const batches: number[] = [];
      for await (const summary of runs.batchSummaries(runId, seq)) {
        if (summary.batchNo >= job.batchCount) continue;
        if (summary.succeeded < summary.total || summary.minGeneration < job.generation) batches.push(summary.batchNo);
      }
      return { batches };
    }

    const handler = registry.get(job.type);
    const settings = job.settings ?? {};
    const batchSize = handler.batchSizeFor?.(settings) ?? handler.batchSize;
    let pending: Array<{ batchNo: number; itemIds: string[] }> = [];
    let current: string[] = [];
    let batchCount = 0;
    let total = 0;
    const flush = async (): Promise<void> => {
      if (pending.length > 0) await runs.putBatches(runId, seq, pending);
      pending = [];
    };
    for await (const itemId of handler.collect(jobContext(run, job))) {
      current.push(itemId);
      total++;
      if (current.length === batchSize) {
        pending.push({ batchNo: batchCount++, itemIds: current });
        current = [];
        if (pending.length === BATCH_WRITE_GROUP) await flush();
      }
    }
    if (current.length > 0) pending.push({ batchNo: batchCount++, itemIds: current });
    await flush();
    await runs.putJob(runId, {
      ...job,
      batchCount,
      stats: { total, succeeded: 0, failed: 0, pending: total },
      startedAt: job.startedAt ?? clock.now().toISOString(),
    });
    return { batches: Array.from({ length: batchCount }, (_, i) => i) };
  }

  async finalizeJob({ runId, seq, index, executionName }: FinalizeJobInput): Promise<number> {
    const { runs, clock } = this.deps;
    const run = await loadOwnedRun(runs, runId, executionName);
    const job = jobOf(run, seq);
    const stats = await jobStatsFromOutcomes(runs, run, job);
    const endedAt = clock.now().toISOString();
    if (stats.failed > 0 || stats.pending > 0) {
      const error = { code: 'ITEMS_NOT_SUCCEEDED', message: `${stats.failed} failed and ${stats.pending} unfinished work items` };
      await runs.putJob(runId, { ...job, status: 'FAILED', stats, endedAt, error });
      throw new JobFailedError(`job ${seq} (${job.type}): ${error.message}`);
    }
    const { error: _error, ...rest } = job;
    await runs.putJob(runId, { ...rest, status: 'COMPLETED', stats, endedAt });
    return index + 1;
  }

  async completeRun({ runId, executionName }: CompleteRunInput): Promise<Record<string, never>> {
    const { runs, clock } = this.deps;
    const run = await loadOwnedRun(runs, runId, executionName);
    if (run.status === 'COMPLETED') return {};
    await runs.transitionRun(runId, {
      from: ['RUNNING', 'PENDING', 'FAILED'],
      executionName,
      set: { status: 'COMPLETED', endedAt: clock.now().toISOString() },
      remove: ['error', 'waitingUntil'],
    });
    return {};
  }
}

export function jobContext(run: Run, job: RunJob): JobContext {
  return {
    clientId: run.clientId,
    runId: run.runId,
    seq: job.seq,
    processingDate: run.processingDate,
    timezone: run.config.timezone,
    settings: job.settings ?? {},
    heal: run.heal,
  };
}

/** Exact statistics of a job, recomputed from its stored batch outcomes. */
export async function jobStatsFromOutcomes(runs: RunStore, run: Run, job: RunJob): Promise<ItemStats> {
  if (job.batchCount === undefined) return job.stats;
  let total = 0;
  let succeeded = 0;
  let failed = 0;
  for await (const summary of runs.batchSummaries(run.runId, job.seq)) {
    if (summary.batchNo >= job.batchCount) continue;
    total += summary.total;
    succeeded += summary.succeeded;
    failed += summary.failed;
  }
  return { total, succeeded, failed, pending: total - succeeded - failed };
}
