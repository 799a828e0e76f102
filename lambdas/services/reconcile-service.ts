import type { Logger } from '@aws-lambda-powertools/logger';
import { executionInputOf } from '../domain/run';
import type { Clock } from '../ports/clock';
import type { Orchestrator } from '../ports/orchestrator';
import type { RunStore } from '../ports/run-store';
import type { ExecutionStatusService } from './execution-status-service';
import type { ScheduleFiringService, TriggerReport } from './schedule-firing-service';

export interface ReconcileReport {
  checked: number;
  /** Runs whose execution had ended without the run knowing: the status event was lost. */
  settled: string[];
  /** PENDING runs whose execution never started (a crash between the claim and the start). */
  started: string[];
  /** Schedule triggers: re-armed where the chain of fires broke, missed occurrences caught up. */
  triggers?: TriggerReport;
}

/**
 * EventBridge delivers execution status changes on a best-effort basis, and an API call can die
 * between claiming a run and starting its execution. A run must never stay PENDING or RUNNING
 * for either reason, so this compares every active run with its execution, on a schedule, and
 * applies what the lost event would have.
 */
export class ReconcileService {
  constructor(
    private readonly deps: {
      runs: RunStore;
      orchestrator: Orchestrator;
      executionStatus: ExecutionStatusService;
      /** When set, every schedule's trigger is checked too. */
      scheduling?: ScheduleFiringService;
      clock: Clock;
      logger: Logger;
      /** A PENDING run younger than this may still be being started by its API call. */
      startGraceMs: number;
    },
  ) {}

  async reconcile(): Promise<ReconcileReport> {
    const { runs, orchestrator, executionStatus, clock, logger, startGraceMs } = this.deps;
    const report: ReconcileReport = { checked: 0, settled: [], started: [] };
    for (const run of await runs.listActiveRuns()) {
      report.checked++;
      const execution = await orchestrator.describeExecution(run.executionName);
      if (!execution) {
        const age = clock.now().getTime() - Date.parse(run.updatedAt);
        if (run.status === 'PENDING' && age > startGraceMs) {
          await orchestrator.startExecution(run.executionName, executionInputOf(run));
          report.started.push(run.runId);
        }
        continue;
      }
      if (execution.status === 'FAILED' || execution.status === 'TIMED_OUT' || execution.status === 'ABORTED') {
        await executionStatus.handle({ name: run.executionName, status: execution.status, error: execution.error ?? null, cause: execution.cause ?? null, redriveCount: execution.redriveCount });
        report.settled.push(run.runId);
      }
    }
    if (report.settled.length > 0 || report.started.length > 0) logger.warn('reconciled runs with their executions', { ...report });
    if (this.deps.scheduling) report.triggers = await this.deps.scheduling.reconcileTriggers();
    return report;
  }
}
