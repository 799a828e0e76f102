import type { JobRegistry } from '../../domain/job-registry';
import { DEFAULT_OVERLAP_POLICY, type Run, type WaitTarget } from '../../domain/model';
import { dependencyScheduleIds, newRunDraft, nextCheckAt, waitNote } from '../../domain/run';
import { announced } from '../../domain/run-events';
import { occurrenceForScheduledTime } from '../../domain/scheduled-time';
import type { Clock } from '../../ports/clock';
import type { ConfigStore } from '../../ports/config-store';
import type { ActiveRunHeader, RunStore } from '../../ports/run-store';
import { calendarSpecOf } from '../calendar-service';
import type { ScheduleFiringService } from '../schedule-firing-service';
import { loadOwnedRun } from './owned-run';
import { DEFAULT_QUEUE_POLL_SECONDS, type BeginRunInput, type BeginRunOutput, type StepSettings } from './step-io';

export interface BeginRunDeps {
  runs: RunStore;
  config: ConfigStore;
  registry: JobRegistry;
  clock: Clock;
  settings: StepSettings;
  /** A scheduler's fire re-arms its trigger; the other steps' Lambdas are built without it. */
  scheduling?: Pick<ScheduleFiringService, 'fired'>;
}

/**
 * Starts or resumes the run of this execution. A scheduler's fire (no runId) re-arms the
 * schedule's trigger first, then maps its scheduled time to the calendar's occurrence and claims
 * the run for that processing date; a fire that is no occurrence, or finds its date held by
 * another run, leaves nothing behind. A run that has not started yet passes the overlap policy,
 * then waits for the schedules it depends on.
 */
export async function beginRun(deps: BeginRunDeps, { input, executionName }: BeginRunInput): Promise<BeginRunOutput> {
  const { runs, clock, settings } = deps;
  const runId = input.runId ?? input.run?.runId;
  if (runId) return startRun(deps, await loadOwnedRun(runs, runId, executionName), executionName);

  const key = { clientId: input.clientId, scheduleId: input.scheduleId };
  const schedule = await deps.config.getSchedule(key.clientId, key.scheduleId);
  if (input.scheduledTime) {
    if (!deps.scheduling) throw new Error('a scheduler fire reached a StepService built without scheduling');
    await deps.scheduling.fired(key, schedule, input.scheduledTime);
  }
  if (!schedule) return answer(settings, undefined, 'DONE', 'schedule no longer exists');
  if (!schedule.enabled) return answer(settings, undefined, 'DONE', 'schedule is disabled');
  let processingDate = input.processingDate;
  let scheduledTime: string | undefined;
  if (!processingDate) {
    const firedAt = input.scheduledTime ?? clock.now().toISOString();
    // By the schedule's business-day calendar too: the one the trigger was armed by.
    const occurrence = occurrenceForScheduledTime(await calendarSpecOf(deps.config, schedule.clientId, schedule), new Date(firedAt));
    if (!occurrence) return answer(settings, undefined, 'DONE', `${firedAt} is not an occurrence of this schedule`);
    processingDate = occurrence.processingDate;
    scheduledTime = occurrence.at;
  }
  const now = clock.now().toISOString();
  const draft = newRunDraft({ schedule, processingDate, trigger: input.trigger, now, registry: deps.registry });
  const { run, created } = await runs.claimRun({ ...draft, ...(scheduledTime ? { scheduledTime } : {}), executionName });
  // Claimed by this very execution before (a retry of this step): carry on with it.
  if (!created && run.executionName !== executionName) return answer(settings, undefined, 'DONE', `run ${run.runId} already holds ${processingDate}`);
  return startRun(deps, run, executionName);
}

function answer(settings: StepSettings, run: Run | undefined, action: BeginRunOutput['action'], reason?: string): BeginRunOutput {
  return {
    ...(run ? { runId: run.runId } : {}),
    index: run ? Math.max(0, run.jobs.findIndex((job) => job.seq >= run.plan.startSeq)) : 0,
    action,
    maxConcurrency: settings.maxConcurrency,
    batchTimeoutSeconds: settings.batchTimeoutSeconds,
    ...(reason ? { reason } : {}),
  };
}

async function startRun(deps: BeginRunDeps, run: Run, executionName: string): Promise<BeginRunOutput> {
  const { runs, clock, settings } = deps;
  if (run.status === 'COMPLETED' || run.status === 'SKIPPED') return answer(settings, run, 'DONE', `run is ${run.status}`);
  const isNew = run.status === 'PENDING' && !run.startedAt && run.executionCount === 1;
  if (isNew) {
    const held = (await overlapGate(deps, run, executionName)) ?? (await dependencyGate(deps, run, executionName));
    if (held) return held;
  }
  const now = clock.now().toISOString();
  await runs.transitionRun(
    run.runId,
    announced(
      run,
      {
        from: ['PENDING', 'RUNNING', 'FAILED'],
        executionName,
        set: { status: 'RUNNING', startedAt: run.startedAt ?? now },
        remove: ['endedAt', 'error', 'waitingUntil', 'waitingReason'],
      },
      now,
    ),
  );
  const index = run.jobs.findIndex((job) => job.seq >= run.plan.startSeq);
  return { ...answer(settings, run, 'RUN'), index: index < 0 ? run.jobs.length : index };
}

/**
 * The overlap policy of a run that has not started, while another run of its schedule is
 * active: one that is RUNNING, or PENDING for an earlier date (runs queue in date order, so two
 * new runs never wait for each other). QUEUE answers WAIT, SKIP ends the run as SKIPPED,
 * ALLOW (or no such run) lets it start.
 */
async function overlapGate(deps: BeginRunDeps, run: Run, executionName: string): Promise<BeginRunOutput | undefined> {
  const { runs, clock, settings } = deps;
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
    const skipped = await runs.transitionRun(
      run.runId,
      announced(
        run,
        {
          from: ['PENDING'],
          executionName,
          set: { status: 'SKIPPED', endedAt: now.toISOString(), skipReason: { code: 'OVERLAP', message: reason } },
          remove: ['waitingUntil', 'waitingReason'],
        },
        now.toISOString(),
      ),
    );
    if (skipped) for (const job of run.jobs) await runs.putJob(run.runId, { ...job, status: 'SKIPPED' });
    return answer(settings, run, 'DONE', reason);
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
  return { ...answer(settings, run, 'WAIT', `queued behind ${previous}`), waitUntil };
}

/** Whether an active run comes before `run` in its schedule's queue: an earlier date, or the same date claimed earlier. */
function isBefore(other: ActiveRunHeader, run: Run): boolean {
  if (other.processingDate !== run.processingDate) return other.processingDate < run.processingDate;
  return other.createdAt < run.createdAt || (other.createdAt === run.createdAt && other.runId < run.runId);
}

/**
 * A run that has not started waits (PENDING, DEPENDENCY) until the run of each schedule in its
 * snapshot's dependsOn for the same processing date is COMPLETED. No run yet, or one that is
 * PENDING, RUNNING, FAILED, SKIPPED or RESET, keeps it waiting: a FAILED one until it is
 * reprocessed to COMPLETED, a RESET one until the date's next attempt completes.
 */
async function dependencyGate(deps: BeginRunDeps, run: Run, executionName: string): Promise<BeginRunOutput | undefined> {
  const scheduleIds = dependencyScheduleIds(run);
  if (scheduleIds.length === 0) return undefined;
  const { runs, clock, settings } = deps;
  const targets: WaitTarget[] = await Promise.all(
    scheduleIds.map(async (scheduleId) => {
      const current = await runs.getCurrentRun(run.clientId, scheduleId, run.processingDate);
      return { scheduleId, ...(current ? { runId: current.runId, status: current.status } : {}) };
    }),
  );
  const open = targets.filter((target) => target.status !== 'COMPLETED');
  if (open.length === 0) return undefined;
  const now = clock.now();
  const waited = open.map((target) => `${target.scheduleId} (${target.status ?? 'no run yet'})`).join(', ');
  const note = waitNote(run, 'DEPENDENCY', `waits until the runs of ${run.processingDate} of ${waited} are COMPLETED`, now, targets);
  const waitUntil = nextCheckAt(note, now, settings.queuePollSeconds ?? DEFAULT_QUEUE_POLL_SECONDS);
  await runs.transitionRun(run.runId, { from: ['PENDING'], executionName, set: { waitingUntil: waitUntil, waitingReason: { ...note, message: `${note.message}; checks again at ${waitUntil}` } } });
  return { ...answer(settings, run, 'WAIT_DEPENDENCY', `waits for ${waited}`), waitUntil };
}
