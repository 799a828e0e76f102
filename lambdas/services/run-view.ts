import type { Run } from '../domain/model';
import type { RunView } from './run-operations';

/** A run as the API shows it: statistics over jobs and items, internal bookkeeping left out. */
export function toRunView(run: Run): RunView {
  const { executionCount: _ec, redriveCount: _rc, plan: _plan, heal: _heal, ...shown } = run;
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
