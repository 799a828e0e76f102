import type { Logger } from '@aws-lambda-powertools/logger';
import { executionInputOf } from '../domain/run';
import type { Clock } from '../ports/clock';
import type { Orchestrator } from '../ports/orchestrator';
import type { ActiveRunRef, RunStore } from '../ports/run-store';
import { continuePass, type ResumableList } from './resumable-pass';
import type { BackfillService } from './backfill-service';
import type { ExecutionStatusService } from './execution-status-service';
import type { ScheduleFiringService, TriggerReport } from './schedule-firing-service';

/** Active runs read per index page. */
const ACTIVE_PAGE_SIZE = 100;
/**
 * Active runs compared per invocation: each costs a DescribeExecution (Step Functions refills
 * that bucket at about 15 calls a second), so 1,000 fit a 5-minute invocation with room; a pass
 * over more continues in the next invocation from the saved cursor.
 */
const DEFAULT_RUNS_PER_INVOCATION = 1_000;

export interface ReconcileReport {
  checked: number;
  /** Index pages of active runs read in this invocation. */
  pages: number;
  /** False when the pass over the active runs stopped at its budget and continues next time. */
  passComplete: boolean;
  /** Runs whose execution had ended without the run knowing: the status event was lost. */
  settled: string[];
  /** PENDING runs whose execution never started (a crash between the claim and the start). */
  started: string[];
  /** Schedule triggers: re-armed where the chain of fires broke, missed occurrences caught up. */
  triggers?: TriggerReport;
  /** Running backfills pumped: the safety net for a run's end that no status event reported. */
  backfills?: string[];
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
      /** When set, every running backfill is pumped too. */
      backfills?: Pick<BackfillService, 'tick'>;
      clock: Clock;
      logger: Logger;
      /** A PENDING run younger than this may still be being started by its API call. */
      startGraceMs: number;
      /** @default DEFAULT_RUNS_PER_INVOCATION */
      runsPerInvocation?: number;
    },
  ) {}

  async reconcile(): Promise<ReconcileReport> {
    const { runs, logger } = this.deps;
    const budget = this.deps.runsPerInvocation ?? DEFAULT_RUNS_PER_INVOCATION;
    const report: ReconcileReport = { checked: 0, pages: 0, passComplete: false, settled: [], started: [] };
    // Pages of the sharded active-runs index, from where the last invocation stopped: the pass
    // costs reads in proportion to the active runs, never to every schedule or run ever kept.
    const activeRuns: ResumableList<ActiveRunRef> = {
      savedCursor: () => runs.getReconcileCursor(),
      page: async (limit, cursor) => {
        const page = await runs.activeRunPage(limit, cursor);
        return { entries: page.runs, cursor: page.cursor };
      },
      saveCursor: (cursor) => runs.saveReconcileCursor(cursor),
    };
    await continuePass(activeRuns, { pageSize: ACTIVE_PAGE_SIZE, budget }, report, (run) => this.reconcileRun(run, report));
    if (report.settled.length > 0 || report.started.length > 0) logger.warn('reconciled runs with their executions', { ...report });
    if (this.deps.scheduling) report.triggers = await this.deps.scheduling.reconcileTriggers();
    if (this.deps.backfills) report.backfills = await this.deps.backfills.tick();
    return report;
  }

  private async reconcileRun(run: ActiveRunRef, report: ReconcileReport): Promise<void> {
    const { runs, orchestrator, executionStatus, clock, startGraceMs } = this.deps;
    report.checked++;
    const execution = await orchestrator.describeExecution(run.executionName);
    if (!execution) {
      const age = clock.now().getTime() - Date.parse(run.updatedAt);
      if (run.status !== 'PENDING' || age <= startGraceMs) return;
      // The index is eventually consistent: start what the run holds now, if it still waits.
      const current = await runs.getRun(run.runId, true);
      if (current?.status !== 'PENDING') return;
      await orchestrator.startExecution(current.executionName, executionInputOf(current));
      report.started.push(run.runId);
      return;
    }
    if (execution.status === 'FAILED' || execution.status === 'TIMED_OUT' || execution.status === 'ABORTED') {
      await executionStatus.handle({ name: run.executionName, status: execution.status, error: execution.error ?? null, cause: execution.cause ?? null, redriveCount: execution.redriveCount });
      report.settled.push(run.runId);
    }
  }
}
