import type { JobRegistry } from '../../domain/job-registry';
import type { Clock } from '../../ports/clock';
import type { ConfigStore } from '../../ports/config-store';
import type { LedgerLocks } from '../../ports/ledger-lock';
import type { RunMetrics } from '../../ports/run-metrics';
import type { RunStore } from '../../ports/run-store';
import { beginJob } from './begin-job';
import { beginRun, type BeginRunDeps } from './begin-run';
import { collectWorkItems } from './collect-work-items';
import { completeRun } from './complete-run';
import { finalizeJob } from './finalize-job';
import type { BeginJobInput, BeginJobOutput, BeginRunInput, BeginRunOutput, CompleteRunInput, CompleteRunOutput, FinalizeJobInput, JobStepInput, StepSettings } from './step-io';

/**
 * The tasks of statemachines/schedule-run.asl.json, one file each. Each is idempotent: run twice,
 * it leaves the same state and returns the same answer, so a redrive or a re-run equals the first run.
 */
export class StepService {
  constructor(
    private readonly deps: {
      runs: RunStore;
      config: ConfigStore;
      registry: JobRegistry;
      clock: Clock;
      settings: StepSettings;
      scheduling?: BeginRunDeps['scheduling'];
      metrics?: RunMetrics;
      /** The per-client ledger lock BeginJob takes and FinalizeJob frees; BeginRun's function does without. */
      ledgerLocks?: LedgerLocks;
    },
  ) {}

  beginRun(input: BeginRunInput): Promise<BeginRunOutput> {
    return beginRun(this.deps, input);
  }

  beginJob(input: BeginJobInput): Promise<BeginJobOutput> {
    return beginJob(this.deps, input);
  }

  collectWorkItems(input: JobStepInput): Promise<{ batches: number[] }> {
    return collectWorkItems(this.deps, input);
  }

  finalizeJob(input: FinalizeJobInput): Promise<number> {
    return finalizeJob(this.deps, input);
  }

  completeRun(input: CompleteRunInput): Promise<CompleteRunOutput> {
    return completeRun(this.deps, input);
  }
}
