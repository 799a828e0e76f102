import type { Logger } from '@aws-lambda-powertools/logger';
import type { JobRegistry } from '../domain/job-registry';
import type { Clock } from '../ports/clock';
import type { ConfigStore } from '../ports/config-store';
import type { LedgerLocks } from '../ports/ledger-lock';
import type { Orchestrator, TaskCallbacks } from '../ports/orchestrator';
import type { RunStore } from '../ports/run-store';
import type { WorkQueue } from '../ports/work-queue';
import type { ScheduleCursorStore, ScheduleTrigger } from '../ports/schedule-trigger';
import { ExecutionStatusService } from '../services/execution-status-service';
import { ReconcileService } from '../services/reconcile-service';
import { RunService } from '../services/run-service';
import type { RunReadCacheSettings } from '../services/run-read-cache';
import { ScheduleFiringService, type ScheduleFiringSettings } from '../services/schedule-firing-service';
import type { StepSettings } from '../services/steps/step-io';
import { StepService } from '../services/steps/step-service';
import { WorkerService, type WorkerSettings } from '../services/worker-service';

export interface EngineDependencies {
  runs: RunStore;
  config: ConfigStore;
  registry: JobRegistry;
  orchestrator: Orchestrator;
  callbacks: TaskCallbacks;
  /** The queue the worker's batch messages arrive on (SQS, or the local queue). */
  workQueue: WorkQueue;
  clock: Clock;
  logger: Logger;
  steps: StepSettings;
  worker: WorkerSettings;
  /** The deployment's scheduler (EventBridge Scheduler, or the local scheduler). */
  trigger: ScheduleTrigger;
  cursors: ScheduleCursorStore;
  scheduling?: ScheduleFiringSettings;
  /** The API's status reads of working runs, kept for a moment (RunReadCache); omitted, every read goes to the table. */
  readCache?: RunReadCacheSettings;
  /** One ledger writer per client (BeginJob/FinalizeJob); a test engine without it lets ledger jobs overlap. */
  ledgerLocks?: LedgerLocks;
}

export interface Engine {
  steps: StepService;
  worker: WorkerService;
  executionStatus: ExecutionStatusService;
  runs: RunService;
  reconcile: ReconcileService;
  scheduling: ScheduleFiringService;
}

/** leaseMs: the deployed worker's timeout (lib/constructs/orchestration.ts) is below the queue's visibility timeout. */
export const DEFAULT_WORKER_SETTINGS: WorkerSettings = { chunkSize: 50, chunkConcurrency: 4, checkpointMs: 5_000, leaseMs: 5 * 60_000 };
export const DEFAULT_STEP_SETTINGS: StepSettings = { maxConcurrency: 40, batchTimeoutSeconds: 900 };

/** An API call claims a run and starts its execution within seconds; after this, a PENDING run without an execution was orphaned. */
export const RECONCILE_START_GRACE_MS = 2 * 60_000;

/** The run engine's services over whichever adapters the caller chose (AWS or local). */
export function createEngine(deps: EngineDependencies): Engine {
  const { runs, config, registry, orchestrator, callbacks, clock, logger } = deps;
  const executionStatus = new ExecutionStatusService({ runs, clock, logger });
  const scheduling = new ScheduleFiringService({
    trigger: deps.trigger,
    cursors: deps.cursors,
    config,
    runs,
    registry,
    orchestrator,
    clock,
    logger,
    ...(deps.scheduling ? { settings: deps.scheduling } : {}),
  });
  return {
    steps: new StepService({ runs, config, registry, clock, settings: deps.steps, scheduling, ...(deps.ledgerLocks ? { ledgerLocks: deps.ledgerLocks } : {}) }),
    worker: new WorkerService({ runs, registry, callbacks, queue: deps.workQueue, clock, logger, settings: deps.worker }),
    executionStatus,
    runs: new RunService({ runs, config, registry, orchestrator, clock, logger, ...(deps.readCache ? { readCache: deps.readCache } : {}) }),
    reconcile: new ReconcileService({ runs, orchestrator, executionStatus, scheduling, clock, logger, startGraceMs: RECONCILE_START_GRACE_MS }),
    scheduling,
  };
}
