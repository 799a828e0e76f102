import { DomainError } from '../domain/errors';
import type { JobContext, JobRegistry } from '../domain/job-registry';
import { DEFAULT_OVERLAP_POLICY, type ItemStats, type Run, type RunJob } from '../domain/model';
import { exceptionWindowEnd, occurrenceForScheduledTime } from '../domain/schedule-calendar';
import type { Clock } from '../ports/clock';
import type { ConfigStore } from '../ports/config-store';
import type { ExecutionInput } from '../ports/orchestrator';
import type { RunMetrics } from '../ports/run-metrics';
import type { ActiveRunHeader, RunStore } from '../ports/run-store';
import { jobOf, loadOwnedRun } from './run-guard';
import { newRunDraft } from './run-factory';
import type { SchedulingService } from './scheduling-service';

/** A job whose items did not all succeed: FinalizeJob fails the execution with it. */
export class JobFailedError extends DomainError {
  readonly code = 'JOB_FAILED';
}

export interface BeginRunInput {
  /** The execution input; when BeginRun is asked again after a WAIT, also its previous answer (`run`). */
  input: ExecutionInput & { run?: { runId?: string } };
  executionName: string;
}

export interface BeginRunOutput {
  runId?: string;
  index: number;
  /** RUN: go on with the job at `index`; WAIT: ask again at `waitUntil` (overlap policy QUEUE); DONE: nothing to do. */
  action: 'RUN' | 'WAIT' | 'DONE';
  waitUntil?: string;
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
  /**
   * How long a run queued behind an active run of its schedule (overlap policy QUEUE) waits before
   * it asks again. Each round adds about ten events to the execution's history, which Step
   * Functions caps at 25,000: two minutes keeps a wait of several days well inside that.
   * @default DEFAULT_QUEUE_POLL_SECONDS
   */
  queuePollSeconds?: number;
}

export const DEFAULT_QUEUE_POLL_SECONDS = 120;

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
      /** BeginRun's alone: a scheduler's fire re-arms its trigger. The other steps' Lambdas are built without it. */
      scheduling?: SchedulingService;
      metrics?: RunMetrics;
    },
  ) {}

  /**
   * Starts or resumes the run of this execution. A scheduler's fire (no runId) re-arms the
   * schedule's trigger first, then maps its scheduled time to the calendar's occurrence and claims
   * the run for that processing date; a fire that is no occurrence, or finds its date held by
   * another run, leaves nothing behind. A run that has not started yet passes the overlap policy.
   */
  async beginRun({ input, executionName }: BeginRunInput): Promise<BeginRunOutput> {
    const { runs, clock } = this.deps;
    const runId = input.runId ?? input.run?.runId;
    if (runId) return this.startRun(await loadOwnedRun(runs, runId, executionName), executionName);

    const key = { clientId: input.clientId, scheduleId: input.scheduleId };
    const schedule = await this.deps.config.getSchedule(key.clientId, key.scheduleId);
    if (input.scheduledTime) {
      if (!this.deps.scheduling) throw new Error('a scheduler fire reached a StepService built without scheduling');
      await this.deps.scheduling.fired(key, schedule, input.scheduledTime);
    }
    if (!schedule) return this.answer(undefined, 'DONE', 'schedule no longer exists');
    if (!schedule.enabled) return this.answer(undefined, 'DONE', 'schedule is disabled');
    let processingDate = input.processingDate;
    let scheduledTime: string | undefined;
    if (!processingDate) {
      const firedAt = input.scheduledTime ?? clock.now().toISOString();
      const occurrence = occurrenceForScheduledTime(
        { frequency: schedule.frequency, executionTime: schedule.executionTime, timezone: schedule.timezone },
        new Date(firedAt),
      );
      if (!occurrence) return this.answer(undefined, 'DONE', `${firedAt} is not an occurrence of this schedule`);
      processingDate = occurrence.processingDate;
      scheduledTime = occurrence.at;
    }
    const now = clock.now().toISOString();
    const draft = newRunDraft({ schedule, processingDate, trigger: input.trigger, now, registry: this.deps.registry });
    const { run, created } = await runs.claimRun({ ...draft, ...(scheduledTime ? { scheduledTime } : {}), executionName });
    // Claimed by this very execution before (a retry of this step): carry on with it.
    if (!created && run.executionName !== executionName) return this.answer(undefined, 'DONE', `run ${run.runId} already holds ${processingDate}`);
    return this.startRun(run, executionName);
  }

  private answer(run: Run | undefined, action: BeginRunOutput['action'], reason?: string): BeginRunOutput {
    const { settings } = this.deps;
    return {
      ...(run ? { runId: run.runId } : {}),
      index: run ? Math.max(0, run.jobs.findIndex((job) => job.seq >= run.plan.startSeq)) : 0,
      action,
      maxConcurrency: settings.maxConcurrency,
      batchTimeoutSeconds: settings.batchTimeoutSeconds,
      ...(reason ? { reason } : {}),
    };
  }

  private async startRun(run: Run, executionName: string): Promise<BeginRunOutput> {
    const { runs, clock } = this.deps;
    if (run.status === 'COMPLETED' || run.status === 'SKIPPED') return this.answer(run, 'DONE', `run is ${run.status}`);
    const isNew = run.status === 'PENDING' && !run.startedAt && run.executionCount === 1;
    if (isNew) {
      const held = await this.overlapGate(run, executionName);
      if (held) return held;
    }
    const now = clock.now().toISOString();
    await runs.transitionRun(run.runId, {
      from: ['PENDING', 'RUNNING', 'FAILED'],
      executionName,
      set: { status: 'RUNNING', startedAt: run.startedAt ?? now },
      remove: ['endedAt', 'error', 'waitingUntil', 'waitingReason'],
    });
    const index = run.jobs.findIndex((job) => job.seq >= run.plan.startSeq);
    return { ...this.answer(run, 'RUN'), index: index < 0 ? run.jobs.length : index };
  }

  /**
   * The overlap policy of a run that has not started, while another run of its schedule is
   * active: one that is RUNNING, or PENDING for an earlier date (runs queue in date order, so two
   * new runs never wait for each other). QUEUE answers WAIT, SKIP ends the run as SKIPPED,
   * ALLOW (or no such run) lets it start.
   */
  private async overlapGate(run: Run, executionName: string): Promise<BeginRunOutput | undefined> {
    const { runs, clock, settings } = this.deps;
    const policy = run.config.overlapPolicy ?? DEFAULT_OVERLAP_POLICY;
    if (policy === 'ALLOW') return undefined;
    const blockers = (await runs.listActiveRunsOfSchedule(run.clientId, run.scheduleId))
      .filter((other) => other.runId !== run.runId && (other.status === 'RUNNING' || isBefore(other, run)))
      .sort((a, b) => a.processingDate.localeCompare(b.processingDate));
    const blocker = blockers[0];
    if (!blocker) return undefined;
    const now = clock.now();
    const previous = `run ${blocker.runId} (${blocker.processingDate}, ${blocker.status})`;
    if (policy === 'SKIP') {
      const reason = `${previous} of this schedule was still active (overlap policy SKIP)`;
      const skipped = await runs.transitionRun(run.runId, {
        from: ['PENDING'],
        executionName,
        set: { status: 'SKIPPED', endedAt: now.toISOString(), skipReason: { code: 'OVERLAP', message: reason } },
        remove: ['waitingUntil', 'waitingReason'],
      });
      if (skipped) for (const job of run.jobs) await runs.putJob(run.runId, { ...job, status: 'SKIPPED' });
      return this.answer(run, 'DONE', reason);
    }
    const waitUntil = new Date(now.getTime() + (settings.queuePollSeconds ?? DEFAULT_QUEUE_POLL_SECONDS) * 1000).toISOString();
    await runs.transitionRun(run.runId, {
      from: ['PENDING'],
      executionName,
      set: {
        waitingUntil: waitUntil,
        waitingReason: { code: 'PREVIOUS_RUN_ACTIVE', message: `waits for ${previous} of this schedule to finish (overlap policy QUEUE); checks again at ${waitUntil}` },
      },
    });
    return { ...this.answer(run, 'WAIT', `queued behind ${previous}`), waitUntil };
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
      const waitingReason = { code: 'EXCEPTION_WINDOW' as const, message: `an exception window is open: job ${job.seq} (${job.type}) starts when it closes at ${waitUntil}` };
      await runs.transitionRun(runId, { from: ['RUNNING'], executionName, set: { waitingUntil: waitUntil, waitingReason } });
      return { action: 'WAIT', seq: job.seq, waitUntil };
    }
    if (run.waitingUntil || run.waitingReason) {
      await runs.transitionRun(runId, { from: ['RUNNING'], executionName, set: {}, remove: ['waitingUntil', 'waitingReason'] });
    }
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
    const completed = await runs.transitionRun(runId, {
      from: ['RUNNING', 'PENDING', 'FAILED'],
      executionName,
      set: { status: 'COMPLETED', endedAt: clock.now().toISOString() },
      remove: ['error', 'waitingUntil', 'waitingReason'],
    });
    if (completed) this.deps.metrics?.runEnded({ clientId: run.clientId, status: 'COMPLETED' });
    return {};
  }
}

/** Whether an active run comes before `run` in its schedule's queue: an earlier date, or the same date claimed earlier. */
function isBefore(other: ActiveRunHeader, run: Run): boolean {
  if (other.processingDate !== run.processingDate) return other.processingDate < run.processingDate;
  return other.createdAt < run.createdAt || (other.createdAt === run.createdAt && other.runId < run.runId);
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
