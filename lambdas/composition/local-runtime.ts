import { Logger } from '@aws-lambda-powertools/logger';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { DynamoConfigStore } from '../adapters/aws/dynamo-config-store';
import { DynamoRunStore } from '../adapters/aws/dynamo-run-store';
import { DynamoScheduleCursorStore } from '../adapters/aws/dynamo-schedule-cursor-store';
import { DynamoLedger } from '../adapters/aws/dynamo-ledger';
import { HttpCoreBilling, staticCredentials } from '../adapters/aws/http-core-billing';
import { LEDGER_TABLE, TABLES, type TableDefinition } from '../adapters/aws/table-definitions';
import { toDocumentClient } from '../adapters/aws/dynamo-toolkit';
import { CoreBillingStandIn } from '../adapters/local/core-billing-stand-in';
import { meterConsumedCapacity } from '../adapters/local/dynamo-capacity-meter';
import { injectDynamoThrottling, type DynamoThrottling, type DynamoThrottlingOptions } from '../adapters/local/dynamo-throttling';
import { ensureTables, localDynamoClient, startDynamoLocal, type DynamoLocal } from '../adapters/local/dynamo-local';
import { startHttpServer, type LocalHttpServer } from '../adapters/local/http-server';
import { LocalOrchestrator } from '../adapters/local/local-orchestrator';
import { LocalQueue } from '../adapters/local/local-queue';
import { LocalScheduler } from '../adapters/local/local-scheduler';
import { LocalStateMachine, type StepFunctions } from '../adapters/local/local-state-machine';
import { TokenAuthorizer, type ApiTokens } from '../api/auth';
import { createApi } from '../api/router';
import { JobRegistry, type JobHandler } from '../domain/job-registry';
import { JOB_TYPES } from '../domain/model';
import { createJobRegistry } from '../jobs/job-catalogue';
import type { Clock } from '../ports/clock';
import { systemClock } from '../domain/system-clock';
import type { ExecutionInput, Orchestrator, TaskCallbacks } from '../ports/orchestrator';
import type { UsageMeter } from '../ports/usage-meter';
import { InMemoryUsageMeter } from '../adapters/local/usage-meter';
import type { BeginJobInput, BeginRunInput, CompleteRunInput, FinalizeJobInput, JobStepInput } from '../services/step-service';
import type { ExecutionStatusDetail } from '../services/execution-status-service';
import { ScheduleService } from '../services/schedule-service';
import { createEngine, DEFAULT_STEP_SETTINGS, DEFAULT_WORKER_SETTINGS, type Engine } from './engine';

export interface LocalRuntimeOptions {
  /** HTTP port; 0 picks a free one. */
  port: number;
  host?: string;
  /** DynamoDB Local keeps its database under `<dataDir>/dynamodb`. */
  dataDir: string;
  adminToken: string;
  /** Client-scoped tokens (API_TOKENS). */
  apiTokens?: ApiTokens;
  /** Use an already running DynamoDB Local (tests share one) instead of starting one. */
  dynamoEndpoint?: string;
  /** Prefix of the table names; lets tests share one DynamoDB Local. @default 'local' */
  tablePrefix?: string;
  /** Static files served at `/` (the operator console). */
  consoleDir?: string;
  /** The worker's event source mapping. */
  worker?: { maxConcurrency?: number; visibilityTimeoutMs?: number; maxReceiveCount?: number; duplicateRate?: number; checkpointMs?: number };
  /** Map children in flight per execution. */
  mapMaxConcurrency?: number;
  /** Seconds a Map child waits for its worker before it sends the batch again. */
  batchTimeoutSeconds?: number;
  /**
   * GET /health answers 503 until `markReady()`: for a caller with more to do before every request
   * is served (npm start: the demo data, runtime.json). @default false: ready once started
   */
  holdReadiness?: boolean;
  /** Re-run the executions of runs that were PENDING or RUNNING when the runtime stopped. @default true */
  resume?: boolean;
  /**
   * Fire schedules at their occurrences (the local scheduler's own timer). Without it,
   * `scheduler.tick()` still fires what is due at the clock's now (tests with an injected clock).
   * @default true
   */
  schedule?: boolean;
  /** Milliseconds to wait in the named Wait states of the ASL instead of their timestamps (tests with an injected clock). */
  waitTimeOverrides?: Record<string, number>;
  meter?: UsageMeter;
  /**
   * The stand-in for core billing that SYNC_TRANSACTIONS calls over HTTP, and how the client
   * calls it (timeouts and retries as deployed unless set).
   */
  coreBilling?: { port?: number; storePath?: string; timeoutMs?: number; maxAttempts?: number; backoffMs?: number };
  /** The job types to run; tests inject instrumented ones. @default the catalogue, SYNTHETIC included */
  registry?: JobRegistry;
  /**
   * Fault injection (the chaos suite): `jobs` wraps every job type's handler (e.g. to fail some
   * items), `dynamoThrottling` throttles a share of the runtime's DynamoDB requests the way the
   * SDK surfaces throttling (see dynamo-throttling.ts).
   */
  faults?: { jobs?: (handler: JobHandler) => JobHandler; dynamoThrottling?: DynamoThrottlingOptions };
  clock?: Clock;
  logger?: Logger;
  statemachinePath?: string;
}

export interface LocalRuntime {
  url: string;
  port: number;
  engine: Engine;
  schedules: ScheduleService;
  runStore: DynamoRunStore;
  configStore: DynamoConfigStore;
  orchestrator: LocalOrchestrator;
  workQueue: LocalQueue;
  deadLetterQueue: LocalQueue;
  scheduler: LocalScheduler;
  /** The billing ledger the billing jobs work on (seed it, fix it, inspect it). */
  ledger: DynamoLedger;
  /** DynamoDB Local's endpoint, for the operator commands (scripts/). */
  dynamoEndpoint: string;
  /** Core billing's stand-in: tell it to reject accounts or fail for a while. */
  coreBilling: CoreBillingStandIn;
  meter: UsageMeter;
  tablePrefix: string;
  /** Runs that were resumed at start-up. */
  resumed: string[];
  /** The switches of the injected faults that have one. */
  faults: { dynamoThrottling?: DynamoThrottling };
  /** Lets GET /health answer 200 (see `holdReadiness`). */
  markReady(): void;
  stop(): Promise<void>;
}

/**
 * How long a batch stays invisible, and so how long a worker holds it (its lease ends just before
 * the message reappears). Short, so that batches a killed runtime held are free again soon after a
 * restart.
 */
const LOCAL_VISIBILITY_TIMEOUT_MS = 30_000;
const ROOT = resolve(import.meta.dirname, '..', '..');
/** Waits before each new delivery of an execution status event that failed (about a minute in all). */
const STATUS_EVENT_RETRY_DELAYS_MS = [250, 500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000];
/** The API key the local core billing stand-in expects; deployed, the key is in Secrets Manager. */
const LOCAL_CORE_BILLING_KEY = 'local-core-billing-key';

/**
 * The local composition root: the same handlers, ASL file and table definitions as the deployed
 * stack, on DynamoDB Local, the ASL interpreter, an in-process queue and a node:http server.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const started: Array<() => Promise<void>> = [];
  try {
    return await startParts(options, started);
  } catch (error) {
    // Nothing started may outlive a failed start: DynamoDB Local is a separate Java process.
    for (const stop of started.reverse()) await stop().catch(() => undefined);
    throw error;
  }
}

async function startParts(options: LocalRuntimeOptions, started: Array<() => Promise<void>>): Promise<LocalRuntime> {
  const logger = options.logger ?? new Logger({ serviceName: 'job-schedule-manager-local' });
  const meter = options.meter ?? new InMemoryUsageMeter();
  const clock = options.clock ?? systemClock;
  let dynamo: DynamoLocal | undefined;
  if (!options.dynamoEndpoint) {
    dynamo = await startDynamoLocal({ dataDir: join(options.dataDir, 'dynamodb') });
    started.push(dynamo.stop);
  }
  const endpoint = options.dynamoEndpoint ?? (dynamo as DynamoLocal).endpoint;
  const prefix = options.tablePrefix ?? 'local';
  const tableName = (definition: TableDefinition): string => `${prefix}-${definition.id}`;
  const client = localDynamoClient(endpoint);
  meterConsumedCapacity(client, meter);
  await ensureTables(client, TABLES, tableName);
  const dynamoThrottling = options.faults?.dynamoThrottling ? injectDynamoThrottling(client, options.faults.dynamoThrottling) : undefined;
  const document = toDocumentClient(client);
  const [configTable, runsTable] = TABLES;
  const runStore = new DynamoRunStore(document, tableName(runsTable));
  const configStore = new DynamoConfigStore(document, tableName(configTable));
  const ledger = new DynamoLedger(document, tableName(LEDGER_TABLE));
  const coreBilling = await CoreBillingStandIn.start({
    port: options.coreBilling?.port ?? 0,
    host: '127.0.0.1',
    apiKey: LOCAL_CORE_BILLING_KEY,
    // A fresh secret per start: only whoever can read it (runtime.json, mode 600) drives the stand-in.
    controlToken: randomBytes(24).toString('base64url'),
    ...(options.coreBilling?.storePath ? { storePath: options.coreBilling.storePath } : {}),
  });
  started.push(() => coreBilling.stop());
  const coreBillingClient = new HttpCoreBilling({
    endpoint: coreBilling.endpoint,
    credentials: staticCredentials(LOCAL_CORE_BILLING_KEY),
    ...(options.coreBilling?.timeoutMs !== undefined ? { timeoutMs: options.coreBilling.timeoutMs } : {}),
    ...(options.coreBilling?.maxAttempts !== undefined ? { maxAttempts: options.coreBilling.maxAttempts } : {}),
    ...(options.coreBilling?.backoffMs !== undefined ? { backoffMs: options.coreBilling.backoffMs } : {}),
  });
  const catalogue = options.registry ?? createJobRegistry({ allowSynthetic: true, billing: { ledger, coreBilling: coreBillingClient, clock } });
  const registry = options.faults?.jobs ? decorated(catalogue, options.faults.jobs) : catalogue;

  const deadLetterQueue = new LocalQueue({ name: 'work-dlq', meter });
  const workQueue = new LocalQueue({ name: 'work', meter, ...(options.worker?.duplicateRate ? { duplicateRate: options.worker.duplicateRate } : {}) });

  // The engine and the state machine need each other: the worker answers task tokens the
  // state machine minted, and the state machine calls the engine's steps.
  const late: { stateMachine?: LocalStateMachine; orchestrator?: LocalOrchestrator } = {};
  const callbacks: TaskCallbacks = {
    sendTaskSuccess: (token, output) => stateMachineOf().callbacks.sendTaskSuccess(token, output),
    sendTaskFailure: (token, error, cause) => stateMachineOf().callbacks.sendTaskFailure(token, error, cause),
    sendTaskHeartbeat: (token) => stateMachineOf().callbacks.sendTaskHeartbeat(token),
  };
  const stateMachineOf = (): LocalStateMachine => {
    if (!late.stateMachine) throw new Error('the state machine is not ready');
    return late.stateMachine;
  };
  const idempotentOrchestrator: Orchestrator = {
    // As with AWS (SfnOrchestrator), the execution name is the idempotency key: a name that is
    // already taken is the execution we asked for.
    startExecution: (name: string, input: ExecutionInput) =>
      orchestratorOf()
        .startExecution(name, input)
        .catch((error: unknown) => {
          if ((error as Error).name !== 'ExecutionAlreadyExists') throw error;
        }),
    describeExecution: (name) => orchestratorOf().describeExecution(name),
    stopExecution: (name, cause) =>
      orchestratorOf()
        .stopExecution(name, cause)
        .catch((error: unknown) => {
          if ((error as Error).name !== 'ExecutionDoesNotExist') throw error;
        }),
  };
  const orchestratorOf = (): LocalOrchestrator => {
    if (!late.orchestrator) throw new Error('the orchestrator is not ready');
    return late.orchestrator;
  };

  const scheduler = new LocalScheduler({
    config: configStore,
    settle: (schedule, upTo) => engine.scheduling.settleDue(schedule, upTo),
    nextOccurrence: (schedule, after) => engine.scheduling.nextOccurrence(schedule, after),
    clock,
    logger,
  });
  const engine = createEngine({
    trigger: scheduler,
    cursors: new DynamoScheduleCursorStore(document, tableName(runsTable)),
    runs: runStore,
    config: configStore,
    registry,
    orchestrator: idempotentOrchestrator,
    callbacks,
    workQueue,
    clock,
    logger,
    steps: {
      maxConcurrency: options.mapMaxConcurrency ?? DEFAULT_STEP_SETTINGS.maxConcurrency,
      batchTimeoutSeconds: options.batchTimeoutSeconds ?? DEFAULT_STEP_SETTINGS.batchTimeoutSeconds,
    },
    worker: {
      ...DEFAULT_WORKER_SETTINGS,
      ...(options.worker?.checkpointMs !== undefined ? { checkpointMs: options.worker.checkpointMs } : {}),
      // A batch is held no longer than its message stays invisible (see WorkerSettings.leaseMs).
      leaseMs: options.worker?.visibilityTimeoutMs ?? LOCAL_VISIBILITY_TIMEOUT_MS,
    },
  });
  const steps: StepFunctions = {
    BeginRun: (input) => engine.steps.beginRun(input as BeginRunInput),
    BeginJob: (input) => engine.steps.beginJob(input as BeginJobInput),
    CollectWorkItems: (input) => engine.steps.collectWorkItems(input as JobStepInput),
    FinalizeJob: (input) => engine.steps.finalizeJob(input as FinalizeJobInput),
    CompleteRun: (input) => engine.steps.completeRun(input as CompleteRunInput),
  };
  const stateMachine = new LocalStateMachine({
    definitionPath: options.statemachinePath ?? join(ROOT, 'statemachines', 'schedule-run.asl.json'),
    steps,
    workQueue,
    meter,
    ...(options.waitTimeOverrides ? { waitTimeOverrides: options.waitTimeOverrides } : {}),
  });
  const orchestrator = new LocalOrchestrator(stateMachine);
  late.stateMachine = stateMachine;
  late.orchestrator = orchestrator;
  // What the EventBridge rule on execution status changes does in AWS.
  // EventBridge retries a target that fails (with backoff, for up to a day), and the deployed
  // reconciler settles what is still lost every 5 minutes; locally there is no reconciler between
  // restarts, so a status event the store could not take (throttled, say) must be delivered again
  // or its run stays RUNNING until the next start.
  const deliver = (detail: ExecutionStatusDetail): Promise<void> =>
    withRetries(() => engine.executionStatus.handle(detail), STATUS_EVENT_RETRY_DELAYS_MS, (error, attempt) =>
      logger.warn('execution status event not taken; delivering it again', { execution: detail.name, status: detail.status, attempt, error: error as Error }),
    );
  orchestrator.onExecutionEnd((event) =>
    deliver({ name: event.executionName, status: event.status, error: event.error ?? null, cause: event.cause ?? null, redriveCount: event.redriveCount }),
  );
  orchestrator.onExecutionRedriven((event) => deliver({ name: event.executionName, status: 'RUNNING', redriveCount: event.redriveCount }));

  const worker = options.worker ?? {};
  workQueue.startConsumer({
    handler: async (event) => {
      return engine.worker.handleSqsEvent(event);
    },
    // One message is a batch of hundreds of work items, as with the deployed event source mapping.
    batchSize: 1,
    maxConcurrency: worker.maxConcurrency ?? 4,
    visibilityTimeoutMs: worker.visibilityTimeoutMs ?? LOCAL_VISIBILITY_TIMEOUT_MS,
    maxReceiveCount: worker.maxReceiveCount ?? 5,
    deadLetter: deadLetterQueue,
  });

  const schedules = new ScheduleService({ store: configStore, registry, clock, scheduling: engine.scheduling });
  const api = createApi({
    schedules,
    runs: engine.runs,
    authorizer: new TokenAuthorizer(options.adminToken, options.apiTokens ?? new Map()),
    logger,
  });
  let ready = false;
  const server: LocalHttpServer = await startHttpServer({
    port: options.port,
    host: options.host ?? '127.0.0.1',
    api,
    ready: () => ready,
    ...(options.consoleDir ? { staticDir: options.consoleDir } : {}),
  });

  const resumed: string[] = [];
  if (options.resume ?? true) {
    for (const run of await runStore.listActiveRuns()) {
      // The interpreter keeps no history: starting the run's current execution again from the
      // beginning is the local redrive; every step is idempotent.
      await idempotentOrchestrator.startExecution(run.executionName, {
        clientId: run.clientId,
        scheduleId: run.scheduleId,
        runId: run.runId,
        processingDate: run.processingDate,
        trigger: run.trigger,
      });
      resumed.push(run.runId);
    }
    if (resumed.length > 0) logger.info('resumed runs that were active when the runtime stopped', { runs: resumed });
  }
  ready = !options.holdReadiness;
  if (options.schedule ?? true) scheduler.start();

  let stopped = false;
  return {
    url: server.url,
    port: server.port,
    engine,
    schedules,
    runStore,
    configStore,
    orchestrator,
    workQueue,
    deadLetterQueue,
    scheduler,
    ledger,
    dynamoEndpoint: endpoint,
    coreBilling,
    meter,
    tablePrefix: prefix,
    resumed,
    faults: { ...(dynamoThrottling ? { dynamoThrottling } : {}) },
    markReady: () => {
      ready = !stopped;
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      ready = false;
      await scheduler.stop();
      await server.close();
      await orchestratorOf().shutdown();
      await workQueue.stop(10_000);
      await coreBilling.stop();
      client.destroy();
      await dynamo?.stop();
    },
  };
}

/** The same job types, each handler wrapped by `decorate`. */
function decorated(registry: JobRegistry, decorate: (handler: JobHandler) => JobHandler): JobRegistry {
  return new JobRegistry(JOB_TYPES.filter((type) => registry.has(type)).map((type) => decorate(registry.get(type))));
}

/** Runs `call`, and again after each delay while it fails; the last failure is thrown. */
async function withRetries(call: () => Promise<void>, delaysMs: readonly number[], onRetry: (error: unknown, attempt: number) => void): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const delay = delaysMs[attempt];
      if (delay === undefined) throw error;
      onRetry(error, attempt + 1);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
