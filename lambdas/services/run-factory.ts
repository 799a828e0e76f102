import { ValidationError } from '../domain/errors';
import type { JobRegistry } from '../domain/job-registry';
import { emptyStats, type JobSpec, type RunJob, type Schedule, type Trigger } from '../domain/model';
import type { RunDraft } from '../ports/run-store';

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
}): RunDraft {
  const specs = args.jobs ?? args.schedule.jobs;
  const jobs: RunJob[] = specs.map((spec, i) => {
    let settings: Record<string, unknown>;
    try {
      settings = args.registry.get(spec.type).parseSettings(spec.settings);
    } catch (error) {
      if (error instanceof ValidationError) {
        const details = error.details.length > 0 ? error.details : [{ message: error.message }];
        throw new ValidationError(
          error.message,
          details.map((detail) => ({ ...detail, path: [`jobs.${i}`, detail.path].filter(Boolean).join('.') })),
        );
      }
      throw error;
    }
    return { seq: i + 1, type: spec.type, settings, status: 'PENDING', stats: emptyStats(), generation: 0 };
  });
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
