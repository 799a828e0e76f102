import { ConflictError, NotFoundError } from '../domain/errors';
import { toRunView, type RunView } from '../domain/run';
import type { Clock } from '../ports/clock';
import type { RunStore } from '../ports/run-store';
import type { JobStartOperations } from './run-operations';

/**
 * The operator's start of a MANUAL job. It records the start on the job; the run's BeginJob,
 * which waits in a Wait loop (WaitForManualStart), sees it at its next check and runs the job.
 */
export class JobStartService implements JobStartOperations {
  constructor(
    private readonly deps: {
      runs: RunStore;
      clock: Clock;
      /** Told of every run this changes (the API's RunService forgets its kept read of it, RunReadCache). */
      onRunChanged?: (runId: string) => void;
    },
  ) {}

  async startJob(clientId: string, runId: string, seq: number, actor: string): Promise<RunView> {
    const { runs, clock } = this.deps;
    const run = await runs.getRun(runId, true);
    if (!run || run.clientId !== clientId) throw new NotFoundError(`run ${runId} does not exist for client ${clientId}`);
    const job = run.jobs.find((candidate) => candidate.seq === seq);
    if (!job) throw new NotFoundError(`run ${runId} has no job ${seq}`);
    const waitsHere = run.status === 'RUNNING' && run.waitingReason?.code === 'MANUAL_JOB' && run.waitingReason.waitingFor?.some((target) => target.seq === seq);
    if (!waitsHere || job.manualStart) {
      const now = job.manualStart ? `job ${seq} was already started by ${job.manualStart.by}` : `the run is ${run.status}${run.waitingReason ? ` (${run.waitingReason.code})` : ''}`;
      throw new ConflictError(`run ${runId} is not waiting for job ${seq} to be started: ${now}`, 'NOT_WAITING_AT_JOB', [{ path: 'seq', message: 'not the job the run waits at' }]);
    }
    const at = clock.now().toISOString();
    const message = `job ${seq} (${job.type}) was started by ${actor} at ${at}; it begins at the run's next check${run.waitingUntil ? `, by ${run.waitingUntil}` : ''}`;
    // Conditional on the job still PENDING without a start: of two starts at once, one wins.
    const started = await runs.startManualJob(runId, { ...job, manualStart: { at, by: actor } }, {
      from: ['RUNNING'],
      executionName: run.executionName,
      set: { waitingReason: { ...run.waitingReason, code: 'MANUAL_JOB', message } },
    });
    if (!started) return this.startJob(clientId, runId, seq, actor);
    this.deps.onRunChanged?.(runId);
    return toRunView((await runs.getRun(runId, true)) ?? run);
  }
}
