import { ConflictError, NotFoundError, RunResetError, SupersededExecutionError, ValidationError } from './errors';
import type { JobContext, JobRegistry } from './job-registry';
import {
  DAILY_SCHEDULE_ID,
  emptyStats,
  type ErrorInfo,
  type ItemStats,
  type JobSpec,
  type Run,
  type RunJob,
  type RunNote,
  type RunPlan,
  type RunStatus,
  type Schedule,
  type Trigger,
  type WaitingReason,
  type WaitTarget,
} from './model';

/** The alias of every client's mandatory daily schedule in URLs. */
export const DAILY_ALIAS = 'daily';

/** `daily` → the id of the mandatory daily schedule; any other id unchanged. */
export function resolveScheduleId(scheduleId: string): string {
  return scheduleId === DAILY_ALIAS ? DAILY_SCHEDULE_ID : scheduleId;
}

/** A run before a store gives it its id, attempt and first execution. */
export type NewRun = Omit<Run, 'runId' | 'attempt' | 'executionName'>;

/**
 * A new run of a schedule for a date: PENDING, its jobs from the schedule (or the caller's
 * override) with settings validated by their job types, and a snapshot of the configuration so
 * that editing the schedule later never changes this run.
 */
export function newRunDraft(args: {
  schedule: Schedule;
  processingDate: string;
  trigger: Trigger;
  now: string;
  registry: JobRegistry;
  jobs?: JobSpec[];
}): NewRun {
  const specs = args.jobs ?? args.schedule.jobs;
  const jobs: RunJob[] = specs.map((spec, i) => ({
    seq: i + 1,
    type: spec.type,
    settings: settingsOf(args.registry, spec, i),
    status: 'PENDING',
    stats: emptyStats(),
    generation: 0,
    ...(spec.onItemFailure ? { onItemFailure: spec.onItemFailure } : {}),
    ...(spec.start === 'MANUAL' ? { start: spec.start } : {}),
  }));
  return {
    clientId: args.schedule.clientId,
    scheduleId: args.schedule.scheduleId,
    scheduleName: args.schedule.name,
    processingDate: args.processingDate,
    status: 'PENDING',
    trigger: args.trigger,
    createdAt: args.now,
    config: args.schedule,
    jobs,
    executionCount: 1,
    redriveCount: 0,
    plan: { startSeq: 1, items: 'FAILED', heal: false },
    heal: false,
    updatedAt: args.now,
  };
}

/** The job's settings as its type parses them; a refusal's paths point into the request's `jobs.<i>`. */
function settingsOf(registry: JobRegistry, spec: JobSpec, i: number): Record<string, unknown> {
  try {
    return registry.get(spec.type).parseSettings(spec.settings);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const details = error.details.length > 0 ? error.details : [{ message: error.message }];
    throw new ValidationError(
      error.message,
      details.map((detail) => ({ ...detail, path: [`jobs.${i}`, detail.path].filter(Boolean).join('.') })),
    );
  }
}

/** A record, not a list: a new status does not compile until it says whether it ends a run. */
const ENDS_RUN: Record<RunStatus, boolean> = { PENDING: false, RUNNING: false, COMPLETED: true, FAILED: true, SKIPPED: true, RESET: true };

/** Whether a run in this status has ended: it leaves the active runs the reconciler checks. */
export function isTerminal(status: RunStatus): boolean {
  return ENDS_RUN[status];
}

/**
 * Why an execution may no longer act on its run, undefined while it owns it. A reset run, or one
 * a newer execution took over (an old one redriven after a reprocess), must stop before it writes.
 */
export function ownershipError(run: Run, executionName: string): RunResetError | SupersededExecutionError | undefined {
  if (run.status === 'RESET') return new RunResetError(`run ${run.runId} was reset; execution ${executionName} stops`);
  if (run.executionName !== executionName) {
    return new SupersededExecutionError(`run ${run.runId} is now owned by execution ${run.executionName}; ${executionName} stops`);
  }
  return undefined;
}

export function jobOf(run: Run, seq: number): RunJob {
  const job = run.jobs.find((j) => j.seq === seq);
  if (!job) throw new NotFoundError(`run ${run.runId} has no job ${seq}`);
  return job;
}

/** What a job type sees of the run it works for. */
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

/** One batch's outcome counts, as the batch store sums them. */
export interface BatchCounts {
  batchNo: number;
  total: number;
  succeeded: number;
  failed: number;
}

/**
 * A job's exact statistics from its stored batch outcomes, whatever duplicates or crashes did to
 * the live counters. Before collect recorded batchCount there are none to read; batches numbered
 * past it were left by a collect that died, and are not the job's.
 */
export async function jobStatsFromOutcomes(job: RunJob, outcomes: () => AsyncIterable<BatchCounts>): Promise<ItemStats> {
  if (job.batchCount === undefined) return job.stats;
  let total = 0;
  let succeeded = 0;
  let failed = 0;
  for await (const batch of outcomes()) {
    if (batch.batchNo >= job.batchCount) continue;
    total += batch.total;
    succeeded += batch.succeeded;
    failed += batch.failed;
  }
  return { total, succeeded, failed, pending: total - succeeded - failed };
}

/** Input of the state machine (statemachines/schedule-run.asl.json). */
export interface ExecutionInput {
  clientId: string;
  scheduleId: string;
  /** Absent when a scheduler starts the execution: BeginRun derives the date then. */
  runId?: string;
  processingDate?: string;
  /** The scheduled instant, set by EventBridge Scheduler (`<aws.scheduler.scheduled-time>`). */
  scheduledTime?: string;
  trigger: Trigger;
}

/**
 * The input of a claimed run's execution. StartExecution is idempotent only for the same name
 * and the same input, so the API, the reconciler and the local resume must build it alike.
 */
export function executionInputOf(run: Pick<Run, 'clientId' | 'scheduleId' | 'runId' | 'processingDate' | 'trigger'>): ExecutionInput {
  return { clientId: run.clientId, scheduleId: run.scheduleId, runId: run.runId, processingDate: run.processingDate, trigger: run.trigger };
}

/** What a scheduler's fire starts: BeginRun maps the scheduled time to its occurrence and claims the run. */
export function scheduledFireInput(schedule: Pick<Schedule, 'clientId' | 'scheduleId'>, scheduledTime: string): ExecutionInput {
  return { clientId: schedule.clientId, scheduleId: schedule.scheduleId, scheduledTime, trigger: 'SCHEDULED' };
}

export type ReprocessRequest =
  | { scope: 'RUN'; heal?: boolean }
  | { scope: 'JOB'; seq: number; items: 'FAILED' | 'ALL'; heal?: boolean };

/**
 * What the next execution of a reprocessed run does: RUN scope from the first job that did not
 * complete, FAILED items only; JOB scope from the asked job on. Only a FAILED or COMPLETED run:
 * an active one has its execution, a RESET one gave its date to the next attempt.
 */
export function reprocessPlan(run: Run, request: ReprocessRequest): RunPlan {
  if (run.status !== 'FAILED' && run.status !== 'COMPLETED') {
    throw new ConflictError(`run ${run.runId} is ${run.status}; only a FAILED or COMPLETED run can be reprocessed`, 'RUN_NOT_REPROCESSABLE');
  }
  const heal = request.heal ?? false;
  if (request.scope === 'RUN') {
    const firstOpen = run.jobs.find((job) => job.status !== 'COMPLETED' && job.status !== 'SKIPPED');
    return { startSeq: firstOpen?.seq ?? run.jobs.length + 1, items: 'FAILED', heal };
  }
  if (!run.jobs.some((job) => job.seq === request.seq)) {
    throw new ValidationError(`run ${run.runId} has no job ${request.seq}`, [{ path: 'seq', message: `must be between 1 and ${run.jobs.length}` }]);
  }
  return { startSeq: request.seq, items: request.items, heal };
}

/**
 * The jobs a plan runs again, PENDING; ALL items bumps the first one's generation so workers redo
 * items that already succeeded. A collected job collects again, adding the items that became due
 * since (a fixed rate makes suspended usage ratable, so syncable, so its account billable).
 */
export function reopenedJobs(run: Run, plan: RunPlan): RunJob[] {
  return run.jobs
    .filter((job) => job.seq >= plan.startSeq)
    .map(({ endedAt: _endedAt, error: _error, ...rest }) => ({
      ...rest,
      status: 'PENDING',
      generation: rest.seq === plan.startSeq && plan.items === 'ALL' ? rest.generation + 1 : rest.generation,
      ...(rest.batchCount !== undefined ? { collectAgain: true } : {}),
    }));
}

/** Whether a job whose items still fail after the retry pass lets the sequence go on (CONTINUE) instead of failing the execution. */
export function continuesOnItemFailure(job: RunJob): boolean {
  return job.onItemFailure === 'CONTINUE';
}

/**
 * Why a run whose sequence is done ends FAILED: a CONTINUE job that ended FAILED. The same error
 * the execution-status handler writes for the first failed job, so the two agree.
 */
export function failedSequenceError(run: Run): (ErrorInfo & { seq: number }) | undefined {
  const failed = run.jobs.find((job) => job.status === 'FAILED');
  if (!failed) return undefined;
  return { code: 'ITEMS_FAILED', message: `${failed.stats.failed} work items of job ${failed.seq} (${failed.type}) failed`, seq: failed.seq };
}

/** A run as the API shows it: the stored run plus statistics over its jobs. */
export interface RunView extends Omit<Run, 'executionCount' | 'redriveCount' | 'plan' | 'heal'> {
  stats: {
    jobs: { total: number; completed: number; failed: number; pending: number };
    items: { total: number; succeeded: number; failed: number; pending: number };
  };
}

/** A run as the API shows it: statistics over jobs and items, internal bookkeeping left out; a wait only while the run is PENDING or RUNNING. */
export function toRunView(run: Run): RunView {
  const { executionCount: _ec, redriveCount: _rc, plan: _plan, heal: _heal, ...all } = run;
  const { waitingUntil: _until, waitingReason: _reason, ...settled } = all;
  const rest = isTerminal(run.status) ? settled : all;
  const shown = { ...rest, jobs: run.jobs.map(({ collectAgain: _collectAgain, ...job }) => job) };
  const jobs = { total: run.jobs.length, completed: 0, failed: 0, pending: 0 };
  const items = { total: 0, succeeded: 0, failed: 0, pending: 0 };
  for (const job of run.jobs) {
    if (job.status === 'COMPLETED' || job.status === 'SKIPPED') jobs.completed++;
    else if (job.status === 'FAILED') jobs.failed++;
    else jobs.pending++;
    items.total += job.stats.total;
    items.succeeded += job.stats.succeeded;
    items.failed += job.stats.failed;
    items.pending += job.stats.pending;
  }
  return { ...shown, stats: { jobs, items } };
}

/** The schedules a run waits for (its snapshot's dependsOn), `daily` resolved, each once, never itself. */
export function dependencyScheduleIds(run: Pick<Run, 'scheduleId' | 'config'>): string[] {
  const ids = (run.config.dependsOn ?? []).map((dependency) => resolveScheduleId(dependency.scheduleId));
  return [...new Set(ids)].filter((id) => id !== run.scheduleId);
}

/** A wait checks this often for its first hour; after that every LONG_WAIT_CHECK_SECONDS. */
const SHORT_WAIT_MS = 60 * 60_000;
/**
 * Each check of a Wait loop adds about ten events to the execution's history, which Step Functions
 * caps at 25,000. Every 5 minutes after the first hour is about 3,000 events a day, so a run can
 * wait more than a week (a manual start over a long weekend, a failed dependency awaiting a person).
 */
export const LONG_WAIT_CHECK_SECONDS = 300;

/**
 * A run's wait note for `code`: `since` kept while it waits for the same reason, so that
 * nextCheckAt can slow down a long wait.
 */
export function waitNote(run: Pick<Run, 'waitingReason'>, code: WaitingReason, message: string, now: Date, waitingFor?: WaitTarget[]): RunNote {
  const since = run.waitingReason?.code === code && run.waitingReason.since ? run.waitingReason.since : now.toISOString();
  return { code, message, since, ...(waitingFor ? { waitingFor } : {}) };
}

/** When a waiting run checks again: after `checkSeconds` during its first hour of waiting, then after at least LONG_WAIT_CHECK_SECONDS. */
export function nextCheckAt(note: RunNote, now: Date, checkSeconds: number): string {
  const waitedMs = now.getTime() - Date.parse(note.since ?? now.toISOString());
  const seconds = waitedMs < SHORT_WAIT_MS ? checkSeconds : Math.max(checkSeconds, LONG_WAIT_CHECK_SECONDS);
  return new Date(now.getTime() + seconds * 1000).toISOString();
}
