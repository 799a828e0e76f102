import type { Logger } from '@aws-lambda-powertools/logger';
import type { Run, RunJob } from '../domain/model';
import { isTerminal, jobStatsFromOutcomes } from '../domain/run';
import { announced } from '../domain/run-events';
import type { Clock } from '../ports/clock';
import type { RunMetrics } from '../ports/run-metrics';
import type { RunStore } from '../ports/run-store';

/** The part of EventBridge's "Step Functions Execution Status Change" detail this service reads. */
export interface ExecutionStatusDetail {
  name: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE' | string;
  error?: string | null;
  cause?: string | null;
  redriveCount?: number;
}

/**
 * Keeps a run's status true to its execution: a failed, timed-out or aborted execution makes its
 * run FAILED with the failing job and error visible; a console redrive makes it RUNNING again.
 * Events of superseded executions and of reset runs change nothing. Events may arrive late or
 * out of order: the redrive count orders them.
 */
export class ExecutionStatusService {
  private readonly runEndListeners: Array<(run: Run) => Promise<void>> = [];

  constructor(private readonly deps: { runs: RunStore; clock: Clock; logger: Logger; metrics?: RunMetrics }) {}

  /** Called after a run's execution ended with the run terminal (a backfill starts its next date). */
  onRunEnded(listener: (run: Run) => Promise<void>): void {
    this.runEndListeners.push(listener);
  }

  async handle(detail: ExecutionStatusDetail): Promise<void> {
    const { runs, clock, logger } = this.deps;
    const runId = await runs.findRunIdByExecution(detail.name);
    const run = runId ? await runs.getRun(runId, true) : undefined;
    if (!run || run.executionName !== detail.name || run.status === 'RESET') {
      logger.info('execution status ignored: no run, a superseded execution or a reset run', { execution: detail.name, status: detail.status });
      if (run?.status === 'RESET') await this.runEnded(run);
      return;
    }
    const redriveCount = detail.redriveCount ?? 0;
    const now = clock.now().toISOString();

    if (detail.status === 'FAILED' || detail.status === 'TIMED_OUT' || detail.status === 'ABORTED') {
      const job = run.jobs.find((j) => j.status === 'RUNNING') ?? run.jobs.find((j) => j.status === 'FAILED');
      let failedJob: RunJob | undefined;
      if (job) {
        const stats = await jobStatsFromOutcomes(job, () => runs.batchSummaries(run.runId, job.seq));
        const error = stats.failed > 0
          ? { code: 'ITEMS_FAILED', message: `${stats.failed} of ${stats.total} work items failed` }
          : { code: detail.error || detail.status, message: detail.cause || `execution ${detail.status.toLowerCase()}` };
        failedJob = { ...job, status: 'FAILED', stats, endedAt: now, error };
        await runs.putJob(run.runId, failedJob);
      }
      const error = failedJob?.error && failedJob.stats.failed > 0
        ? { code: 'ITEMS_FAILED', message: `${failedJob.stats.failed} work items of job ${failedJob.seq} (${failedJob.type}) failed`, seq: failedJob.seq }
        : { code: detail.error || `EXECUTION_${detail.status}`, message: detail.cause || `the execution ${detail.status.toLowerCase()}`, ...(failedJob ? { seq: failedJob.seq } : {}) };
      const failed = await runs.transitionRun(
        run.runId,
        announced(
          run,
          {
            from: ['PENDING', 'RUNNING', 'FAILED'],
            executionName: detail.name,
            redriveBelow: redriveCount + 1,
            set: { status: 'FAILED', endedAt: now, error, redriveCount },
            remove: ['waitingUntil', 'waitingReason'],
          },
          now,
        ),
      );
      // A repeated event for a run already FAILED is not another failure.
      if (failed && run.status !== 'FAILED') this.deps.metrics?.runEnded({ clientId: run.clientId, status: 'FAILED' });
      if (failed) await this.runEnded({ ...run, status: 'FAILED' });
      return;
    }

    // CompleteRun wrote COMPLETED before the execution succeeded.
    if (detail.status === 'SUCCEEDED' && isTerminal(run.status)) {
      await this.runEnded(run);
      return;
    }

    if (detail.status === 'RUNNING' && redriveCount > 0) {
      const moved = await runs.transitionRun(
        run.runId,
        announced(
          run,
          {
            from: ['FAILED'],
            executionName: detail.name,
            redriveBelow: redriveCount,
            set: { status: 'RUNNING', redriveCount },
            remove: ['endedAt', 'error'],
          },
          now,
        ),
      );
      const failedJob = run.jobs.find((j) => j.status === 'FAILED');
      if (moved && failedJob) {
        const { endedAt: _endedAt, error: _error, ...rest } = failedJob;
        await runs.putJob(run.runId, { ...rest, status: 'RUNNING' });
      }
    }
  }

  /** A listener's failure is logged, not thrown: the run's status is settled, and the backfill's safety tick retries. */
  private async runEnded(run: Run): Promise<void> {
    for (const listener of this.runEndListeners) {
      await listener(run).catch((error: unknown) => this.deps.logger.warn('a run-end listener failed', { runId: run.runId, error: error as Error }));
    }
  }
}
