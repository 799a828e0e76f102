import { Logger } from '@aws-lambda-powertools/logger';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { DynamoBackfillStore } from '../adapters/aws/dynamo-backfill-store';
import { DynamoConfigStore } from '../adapters/aws/dynamo-config-store';
import { DynamoLedgerLock } from '../adapters/aws/dynamo-ledger-lock';
import { DynamoRunStore } from '../adapters/aws/dynamo-run-store';
import { DynamoRunEventOutbox } from '../adapters/aws/dynamo-run-events';
import { DynamoNotificationStore } from '../adapters/aws/dynamo-notification-store';
import { DnsUrlPolicy } from '../adapters/aws/dns-url-policy';
import { HttpWebhookSender } from '../adapters/aws/http-webhook-sender';
import { LocalDeliveryQueue, LocalEventBus, LocalNotifier, LocalSecretSealer } from '../adapters/local/local-notifications';
import { NotificationDispatchService } from '../services/notification-dispatch-service';
import { NotificationService } from '../services/notification-service';
import { WebhookDeliveryService } from '../services/webhook-delivery-service';
import { DynamoScheduleCursorStore } from '../adapters/aws/dynamo-schedule-cursor-store';
import { DynamoLedger } from '../adapters/aws/dynamo-ledger';
import { DynamoLedgerMaintenance } from '../adapters/aws/dynamo-ledger-maintenance';
import { HttpCoreBilling, staticCredentials } from '../adapters/aws/http-core-billing';
import { AUDIT_TABLE, LEDGER_TABLE, RUNS_TABLE, TABLES, type TableDefinition } from '../adapters/aws/table-definitions';
import { DynamoAuditLog } from '../adapters/aws/dynamo-audit-log';
import { toDocumentClient } from '../adapters/aws/dynamo-toolkit';
import { CoreBillingStandIn } from '../adapters/local/core-billing-stand-in';
import { meterConsumedCapacity } from '../adapters/local/dynamo-capacity-meter';
import { ensureTables, localDynamoClient, startDynamoLocal, type DynamoLocal } from '../adapters/local/dynamo-local';
import { startHttpServer } from '../adapters/local/http-server';
import { injectJobFaults, injectStoreFaults, type FaultSwitches, type LocalFaults } from '../adapters/local/local-fault-injection';
import { idempotentOrchestrator, LocalOrchestrator } from '../adapters/local/local-orchestrator';
import { LocalQueue } from '../adapters/local/local-queue';
import { resumeActiveRuns } from '../adapters/local/local-run-resumer';
import { LocalScheduler } from '../adapters/local/local-scheduler';
import { LocalStateMachine } from '../adapters/local/local-state-machine';
import { LocalWorkerPool } from '../adapters/local/local-worker-pool';
import { forwardStatusEvents, SerialTicker } from '../adapters/local/local-status-events';
import { Readiness } from '../adapters/local/readiness';
import { InMemoryUsageMeter } from '../adapters/local/usage-meter';
import { TokenAuthorizer, type ApiTokens } from '../api/auth';
import { createApi } from '../api/router';
import type { JobRegistry } from '../domain/job-registry';
import { systemClock } from '../domain/system-clock';
import { createJobRegistry } from '../jobs/job-catalogue';
import type { Clock } from '../ports/clock';
import type { UsageMeter } from '../ports/usage-meter';
import type { BeginJobInput, BeginRunInput, CompleteRunInput, FinalizeJobInput, JobStepInput } from '../services/steps/step-io';
import { BackfillService } from '../services/backfill-service';
import { JobStartService } from '../services/job-start-service';
import { LedgerService } from '../services/ledger-service';
import { ScheduleConfigService } from '../services/schedule-config-service';
import { DEFAULT_RUN_READ_CACHE, type RunReadCacheSettings } from '../services/run-read-cache';
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
  worker?: { maxConcurrency?: number; visibilityTimeoutMs?: number; maxReceiveCount?: number; duplicateRate?: number; checkpointMs?: number; threads?: number };
  /** Map children in flight per execution. */
  mapMaxConcurrency?: number;
  /** The API's status reads of working runs, kept for a moment, as deployed (RunReadCache); false reads the table every time. @default DEFAULT_RUN_READ_CACHE */
  runReadCache?: RunReadCacheSettings | false;
  /** Seconds a Map child waits for its worker before it sends the batch again. */
  batchTimeoutSeconds?: number;
  /** GET /health answers 503 until `markReady()` (npm start: demo data, runtime.json first). @default false */
  holdReadiness?: boolean;
  /** Re-run the executions of runs that were PENDING or RUNNING when the runtime stopped. @default true */
  resume?: boolean;
  /** Fire schedules on the local scheduler's own timer; without it, `scheduler.tick()` fires what is due. @default true */
  schedule?: boolean;
  /** Milliseconds to wait in the named Wait states of the ASL instead of their timestamps (tests with an injected clock). */
  waitTimeOverrides?: Record<string, number>;
  meter?: UsageMeter;
  /** Core billing's stand-in (SYNC_TRANSACTIONS calls it over HTTP) and the client's timeouts and retries (as deployed unless set). */
  coreBilling?: { port?: number; storePath?: string; timeoutMs?: number; maxAttempts?: number; backoffMs?: number };
  /** The job types to run; tests inject instrumented ones. @default the catalogue, SYNTHETIC included */
  registry?: JobRegistry;
  /** Fault injection (the chaos suite). */
  faults?: LocalFaults;
  /** How often the notifier sweeps deadlines and the outbox and sends due webhooks; false: only `notifications.notifier.tick()`. @default 1_000 */
  notifyEveryMs?: number | false;
  clock?: Clock;
  logger?: Logger;
  statemachinePath?: string;
  /** How often running backfills are pumped besides each run's end (the deployed reconciler's part). @default 30_000 */
  backfillTickMs?: number;
}

export interface LocalRuntime {
  url: string;
  port: number;
  engine: Engine;
  schedules: ScheduleConfigService;
  backfills: BackfillService;
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
  /** The worker threads the queue's handler runs in (`worker.threads`); absent when the worker runs on the main thread. */
  workerThreads?: LocalWorkerPool;
  /** Runs that were resumed at start-up. */
  resumed: string[];
  faults: FaultSwitches;
  /** Run events and webhooks: the notifier (tick it with an injected clock), the stand-in bus, the delivery queue. */
  notifications: { notifier: LocalNotifier; bus: LocalEventBus; deliveries: LocalDeliveryQueue };
  /** Lets GET /health answer 200 (see `holdReadiness`). */
  markReady(): void;
  stop(): Promise<void>;
}

/** The deployed reconciler pumps backfills every 5 minutes; locally a run's end is always heard, so this is only the safety net. */
const BACKFILL_TICK_MS = 30_000;
/** Short, so that batches a killed runtime held are free again soon after a restart. */
const LOCAL_VISIBILITY_TIMEOUT_MS = 30_000;
const ROOT = resolve(import.meta.dirname, '..', '..');
/** The API key the local core billing stand-in expects; deployed, the key is in Secrets Manager. */
const LOCAL_CORE_BILLING_KEY = 'local-core-billing-key';

/**
 * The local composition root: the deployed stack's handlers, ASL file and table definitions on
 * DynamoDB Local, the ASL interpreter, an in-process queue and a node:http server.
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

  const stores = await startStores(options, meter, started);
  const coreBilling = await startCoreBilling(options.coreBilling, started);
  const catalogue = options.registry ?? createJobRegistry({ allowSynthetic: true, billing: { ledger: stores.ledger, coreBilling: coreBilling.client, clock } });
  const registry = injectJobFaults(catalogue, options.faults);

  const workerSettings = {
    ...DEFAULT_WORKER_SETTINGS,
    ...(options.worker?.checkpointMs !== undefined ? { checkpointMs: options.worker.checkpointMs } : {}),
    // A batch is held no longer than its message stays invisible (see WorkerSettings.leaseMs).
    leaseMs: options.worker?.visibilityTimeoutMs ?? LOCAL_VISIBILITY_TIMEOUT_MS,
  };
  const deadLetterQueue = new LocalQueue({ name: 'work-dlq', meter });
  const workQueue = new LocalQueue({ name: 'work', meter, ...(options.worker?.duplicateRate ? { duplicateRate: options.worker.duplicateRate } : {}) });

  // The state machine calls the engine's steps, which exist once the engine below does.
  const stateMachine = new LocalStateMachine({
    definitionPath: options.statemachinePath ?? join(ROOT, 'statemachines', 'schedule-run.asl.json'),
    steps: {
      BeginRun: (input) => engine.steps.beginRun(input as BeginRunInput),
      BeginJob: (input) => engine.steps.beginJob(input as BeginJobInput),
      CollectWorkItems: (input) => engine.steps.collectWorkItems(input as JobStepInput),
      FinalizeJob: (input) => engine.steps.finalizeJob(input as FinalizeJobInput),
      CompleteRun: (input) => engine.steps.completeRun(input as CompleteRunInput),
    },
    workQueue,
    meter,
    ...(options.waitTimeOverrides ? { waitTimeOverrides: options.waitTimeOverrides } : {}),
  });
  const orchestrator = new LocalOrchestrator(stateMachine);
  const executions = idempotentOrchestrator(orchestrator);

  const scheduler = new LocalScheduler({
    config: stores.configStore,
    settle: (schedule, upTo) => engine.scheduling.settleDue(schedule, upTo),
    nextOccurrence: (schedule, after) => engine.scheduling.nextOccurrence(schedule, after),
    clock,
    logger,
  });
  const engine = createEngine({
    trigger: scheduler,
    cursors: stores.cursors,
    ledgerLocks: stores.ledgerLocks,
    runs: stores.runStore,
    config: stores.configStore,
    registry,
    orchestrator: executions,
    callbacks: stateMachine.callbacks,
    workQueue,
    clock,
    logger,
    steps: {
      maxConcurrency: options.mapMaxConcurrency ?? DEFAULT_STEP_SETTINGS.maxConcurrency,
      batchTimeoutSeconds: options.batchTimeoutSeconds ?? DEFAULT_STEP_SETTINGS.batchTimeoutSeconds,
    },
    worker: workerSettings,
    ...(options.runReadCache === false ? {} : { readCache: options.runReadCache ?? DEFAULT_RUN_READ_CACHE }),
  });
  forwardStatusEvents(orchestrator, (detail) => engine.executionStatus.handle(detail), logger);
  const backfills = new BackfillService({
    store: stores.backfills,
    config: stores.configStore,
    runs: engine.runs,
    clock,
    logger,
  });
  // A pump under way when the runtime stops is awaited before the orchestrator closes (its trigger
  // would fail the run it starts); a run that ends after that is left to the next start's tick.
  const pumping = new Set<Promise<void>>();
  let pumpOnRunEnd = true;
  engine.executionStatus.onRunEnded((run) => {
    if (!pumpOnRunEnd) return Promise.resolve();
    const pump = backfills.runEnded(run).finally(() => pumping.delete(pump));
    pumping.add(pump);
    return pump;
  });

  const worker = options.worker ?? {};
  const workerThreads = worker.threads ? startWorkerThreads(worker.threads, options, stores, coreBilling, workerSettings, { callbacks: stateMachine.callbacks, queue: workQueue, meter, logger }) : undefined;
  if (workerThreads) started.push(() => workerThreads.stop());
  workQueue.startConsumer({
    handler: workerThreads ? (event) => workerThreads.handle(event) : (event) => engine.worker.handleSqsEvent(event),
    // One message is a batch of hundreds of work items, as with the deployed event source mapping.
    batchSize: 1,
    maxConcurrency: worker.maxConcurrency ?? 4,
    visibilityTimeoutMs: worker.visibilityTimeoutMs ?? LOCAL_VISIBILITY_TIMEOUT_MS,
    maxReceiveCount: worker.maxReceiveCount ?? 5,
    deadLetter: deadLetterQueue,
  });

  const schedules = new ScheduleConfigService({ store: stores.configStore, registry, clock, scheduling: engine.scheduling });
  const notifications = localNotifications(stores, clock, logger);
  const readiness = new Readiness();
  const server = await startHttpServer({
    port: options.port,
    host: options.host ?? '127.0.0.1',
    api: createApi({
      schedules,
      runs: engine.runs,
      jobStarts: new JobStartService({ runs: stores.runStore, clock, onRunChanged: (runId) => engine.runs.forgetRun(runId) }),
      ledger: new LedgerService({ ledger: stores.ledger, maintenance: stores.ledgerMaintenance, clock }),
      notifications: notifications.service,
      backfills,
      authorizer: new TokenAuthorizer(options.adminToken, options.apiTokens ?? new Map()),
      audit: stores.audit,
      clock,
      logger,
    }),
    ready: readiness.isReady,
    ...(options.consoleDir ? { staticDir: options.consoleDir } : {}),
  });

  const resumed = (options.resume ?? true) ? await resumeActiveRuns(stores.runStore, executions, logger) : [];
  if (!options.holdReadiness) readiness.markReady();
  if (options.schedule ?? true) scheduler.start();
  if (options.notifyEveryMs !== false) notifications.notifier.start(options.notifyEveryMs ?? NOTIFY_EVERY_MS);
  // Backfills advance on each run's end; the tick (and one now, after a restart) catches an end nobody heard.
  const backfillTicker = new SerialTicker(() => backfills.tick(), options.backfillTickMs ?? BACKFILL_TICK_MS, logger);
  backfillTicker.start();

  let stopped = false;
  return {
    url: server.url,
    port: server.port,
    engine,
    schedules,
    backfills,
    runStore: stores.runStore,
    configStore: stores.configStore,
    orchestrator,
    workQueue,
    deadLetterQueue,
    scheduler,
    ledger: stores.ledger,
    dynamoEndpoint: stores.endpoint,
    coreBilling: coreBilling.standIn,
    meter,
    tablePrefix: stores.prefix,
    resumed,
    ...(workerThreads ? { workerThreads } : {}),
    faults: stores.faults,
    notifications: { notifier: notifications.notifier, bus: notifications.bus, deliveries: notifications.deliveries },
    markReady: () => readiness.markReady(),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      readiness.markStopped();
      pumpOnRunEnd = false;
      await backfillTicker.stop();
      await Promise.allSettled([...pumping]);
      await scheduler.stop();
      await notifications.notifier.stop();
      await server.close();
      await orchestrator.shutdown();
      await workQueue.stop(10_000);
      await workerThreads?.stop();
      await coreBilling.standIn.stop();
      await stores.stop();
    },
  };
}

/** DynamoDB Local (unless the caller runs one), the tables, and the stores on them. */
async function startStores(options: LocalRuntimeOptions, meter: UsageMeter, started: Array<() => Promise<void>>) {
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
  // After the tables: start-up itself is never throttled.
  const faults = injectStoreFaults(client, options.faults);
  const document = toDocumentClient(client);
  const [configTable, runsTable] = TABLES;
  return {
    endpoint,
    prefix,
    faults,
    runStore: new DynamoRunStore(document, tableName(runsTable)),
    outbox: new DynamoRunEventOutbox(document, tableName(runsTable)),
    subscriptions: new DynamoNotificationStore(document, { config: tableName(configTable), runs: tableName(runsTable) }),
    configStore: new DynamoConfigStore(document, tableName(configTable)),
    cursors: new DynamoScheduleCursorStore(document, tableName(runsTable)),
    ledgerLocks: new DynamoLedgerLock(document, tableName(runsTable)),
    backfills: new DynamoBackfillStore(document, tableName(runsTable)),
    ledger: new DynamoLedger(document, tableName(LEDGER_TABLE)),
    ledgerMaintenance: new DynamoLedgerMaintenance(document, tableName(LEDGER_TABLE)),
    audit: new DynamoAuditLog(document, tableName(AUDIT_TABLE)),
    /** Where the local delivery queue keeps its messages (in place of SQS). */
    deliveryQueueTable: { document, tableName: tableName(runsTable) },
    stop: async () => {
      client.destroy();
      await dynamo?.stop();
    },
  };
}

/**
 * The worker in `threads` worker threads, each with its own DynamoDB and core billing clients, as
 * the deployed workers are other Lambdas: the main thread keeps the HTTP API and the state machine.
 * A thread builds the catalogue's job types on the system clock, so injected ones cannot go there.
 */
function startWorkerThreads(
  threads: number,
  options: LocalRuntimeOptions,
  stores: Awaited<ReturnType<typeof startStores>>,
  coreBilling: Awaited<ReturnType<typeof startCoreBilling>>,
  settings: typeof DEFAULT_WORKER_SETTINGS,
  main: Pick<ConstructorParameters<typeof LocalWorkerPool>[0], 'callbacks' | 'queue' | 'meter' | 'logger'>,
): LocalWorkerPool {
  if (options.registry || options.faults || options.clock) throw new Error('worker.threads cannot run an injected registry, faults or clock: leave it unset');
  const tableName = (definition: TableDefinition): string => `${stores.prefix}-${definition.id}`;
  return new LocalWorkerPool({
    threads,
    data: {
      dynamoEndpoint: stores.endpoint,
      runsTable: tableName(RUNS_TABLE),
      ledgerTable: tableName(LEDGER_TABLE),
      coreBilling: { endpoint: coreBilling.standIn.endpoint, apiKey: LOCAL_CORE_BILLING_KEY, ...options.coreBilling },
      settings,
      logLevel: main.logger instanceof Logger ? main.logger.getLevelName() : 'WARN',
    },
    ...main,
  });
}

/** Core billing's stand-in, and the HTTP client SYNC_TRANSACTIONS calls it with. */
async function startCoreBilling(settings: LocalRuntimeOptions['coreBilling'] = {}, started: Array<() => Promise<void>>) {
  const standIn = await CoreBillingStandIn.start({
    port: settings.port ?? 0,
    host: '127.0.0.1',
    apiKey: LOCAL_CORE_BILLING_KEY,
    // A fresh secret per start: only whoever can read it (runtime.json, mode 600) drives the stand-in.
    controlToken: randomBytes(24).toString('base64url'),
    ...(settings.storePath ? { storePath: settings.storePath } : {}),
  });
  started.push(() => standIn.stop());
  const client = new HttpCoreBilling({
    endpoint: standIn.endpoint,
    credentials: staticCredentials(LOCAL_CORE_BILLING_KEY),
    ...(settings.timeoutMs !== undefined ? { timeoutMs: settings.timeoutMs } : {}),
    ...(settings.maxAttempts !== undefined ? { maxAttempts: settings.maxAttempts } : {}),
    ...(settings.backoffMs !== undefined ? { backoffMs: settings.backoffMs } : {}),
  });
  return { standIn, client };
}

/** The local notifier's tick: run events reach a local receiver within about a second. */
const NOTIFY_EVERY_MS = 1_000;

/**
 * Run events and webhooks in process: the deployed dispatcher and delivery services, the stand-in
 * bus, a delivery queue on the runtime's clock. Locally a receiver on this machine may be
 * subscribed over http (the policy's explicit local setting); deployed only public https.
 */
function localNotifications(stores: Awaited<ReturnType<typeof startStores>>, clock: Clock, logger: Logger) {
  const bus = new LocalEventBus();
  const deliveries = new LocalDeliveryQueue(clock, stores.deliveryQueueTable.document, stores.deliveryQueueTable.tableName);
  const sealer = new LocalSecretSealer();
  const urlPolicy = new DnsUrlPolicy({ allowLoopbackHttp: true });
  const { outbox, subscriptions, runStore, configStore } = stores;
  const dispatcher = new NotificationDispatchService({ outbox, runs: runStore, subscriptions, publisher: bus, deliveries, clock, logger });
  const delivery = new WebhookDeliveryService({ subscriptions, outbox, queue: deliveries, sender: new HttpWebhookSender(), sealer, urlPolicy, clock, logger });
  return {
    bus,
    deliveries,
    service: new NotificationService({ subscriptions, config: configStore, sealer, urlPolicy, clock }),
    notifier: new LocalNotifier({ dispatcher, delivery, deliveries, logger }),
  };
}
