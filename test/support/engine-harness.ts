import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoConfigStore } from '../../lambdas/adapters/aws/dynamo-config-store';
import { DynamoRunStore } from '../../lambdas/adapters/aws/dynamo-run-store';
import { DynamoScheduleCursorStore } from '../../lambdas/adapters/aws/dynamo-schedule-cursor-store';
import { CONFIG_TABLE, RUNS_TABLE } from '../../lambdas/adapters/aws/table-definitions';
import { createEngine, DEFAULT_WORKER_SETTINGS, type Engine } from '../../lambdas/composition/engine';
import type { JobRegistry } from '../../lambdas/domain/job-registry';
import { createJobRegistry } from '../../lambdas/jobs/job-catalogue';
import type { Schedule } from '../../lambdas/domain/model';
import type { Clock } from '../../lambdas/ports/clock';
import type { ExecutionDescription, ExecutionInput, Orchestrator, TaskCallbacks } from '../../lambdas/ports/orchestrator';
import type { ScheduleKey, ScheduleTrigger } from '../../lambdas/ports/schedule-trigger';
import type { Occurrence } from '../../lambdas/domain/schedule-calendar';
import type { WorkQueue } from '../../lambdas/ports/work-queue';
import { createTestTables } from './dynamo';
import { scheduleFixture } from './fixtures';

export const silentLogger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });

/** Records the answers workers give to Map children. */
export class RecordingCallbacks implements TaskCallbacks {
  readonly answers: Array<{ token: string; ok: boolean; error?: string; cause?: string }> = [];

  async sendTaskSuccess(token: string): Promise<void> {
    this.answers.push({ token, ok: true });
  }

  async sendTaskFailure(token: string, error: string, cause: string): Promise<void> {
    this.answers.push({ token, ok: false, error, cause });
  }

  /** Tokens heartbeaten, in order. */
  readonly heartbeats: string[] = [];

  async sendTaskHeartbeat(token: string): Promise<void> {
    this.heartbeats.push(token);
  }
}

/** Records the visibility changes the worker asks of the queue. */
export class RecordingWorkQueue implements WorkQueue {
  readonly visibilityChanges: Array<{ queueArn: string; receiptHandle: string; seconds: number }> = [];

  async changeMessageVisibility(queueArn: string, receiptHandle: string, seconds: number): Promise<void> {
    this.visibilityChanges.push({ queueArn, receiptHandle, seconds });
  }
}

/** Records the executions the run service asks for (the ASL tests run them for real). */
export class RecordingOrchestrator implements Orchestrator {
  readonly started: Array<{ name: string; input: ExecutionInput }> = [];
  readonly stopped: string[] = [];
  /** What describeExecution answers, by execution name (absent: the execution does not exist). */
  readonly executions = new Map<string, ExecutionDescription>();

  async describeExecution(name: string): Promise<ExecutionDescription | undefined> {
    return this.executions.get(name);
  }

  async startExecution(name: string, input: ExecutionInput): Promise<void> {
    this.started.push({ name, input });
  }

  async stopExecution(name: string): Promise<void> {
    this.stopped.push(name);
  }
}

/** The scheduler's triggers as a map: what is armed, by `clientId/scheduleId`. */
export class RecordingTrigger implements ScheduleTrigger {
  readonly armed = new Map<string, Occurrence>();

  async arm(schedule: ScheduleKey, occurrence: Occurrence): Promise<void> {
    this.armed.set(`${schedule.clientId}/${schedule.scheduleId}`, occurrence);
  }

  async disarm(schedule: ScheduleKey): Promise<void> {
    this.armed.delete(`${schedule.clientId}/${schedule.scheduleId}`);
  }

  async armedAt(schedule: ScheduleKey): Promise<string | undefined> {
    return this.armed.get(`${schedule.clientId}/${schedule.scheduleId}`)?.at;
  }
}

export interface EngineHarness<T extends ScheduleTrigger = RecordingTrigger> extends Engine {
  store: DynamoRunStore;
  config: DynamoConfigStore;
  registry: JobRegistry;
  callbacks: RecordingCallbacks;
  workQueue: RecordingWorkQueue;
  orchestrator: RecordingOrchestrator;
  trigger: T;
  cursors: DynamoScheduleCursorStore;
  clock: Clock & { set(iso: string): void };
  addSchedule(overrides?: Partial<Schedule>): Promise<Schedule>;
}

/** The engine's services on fresh DynamoDB Local tables, with recording callbacks and orchestrator. */
export async function createEngineHarness<T extends ScheduleTrigger = RecordingTrigger>(
  options: { registry?: JobRegistry; checkpointMs?: number; chunkSize?: number; chunkConcurrency?: number; trigger?: T } = {},
): Promise<EngineHarness<T>> {
  const tables = await createTestTables();
  const store = new DynamoRunStore(tables.document, tables.tableName(RUNS_TABLE));
  const config = new DynamoConfigStore(tables.document, tables.tableName(CONFIG_TABLE));
  const registry = options.registry ?? createJobRegistry({ allowSynthetic: true });
  const callbacks = new RecordingCallbacks();
  const workQueue = new RecordingWorkQueue();
  const orchestrator = new RecordingOrchestrator();
  const trigger = options.trigger ?? (new RecordingTrigger() as ScheduleTrigger as T);
  const cursors = new DynamoScheduleCursorStore(tables.document, tables.tableName(RUNS_TABLE));
  let now = new Date('2026-11-25T12:00:00Z');
  const clock = { now: () => now, set: (iso: string) => (now = new Date(iso)) };
  const engine = createEngine({
    trigger,
    cursors,
    runs: store,
    config,
    registry,
    orchestrator,
    callbacks,
    workQueue,
    clock,
    logger: silentLogger,
    steps: { maxConcurrency: 4, batchTimeoutSeconds: 30 },
    worker: { chunkSize: options.chunkSize ?? 50, chunkConcurrency: options.chunkConcurrency ?? DEFAULT_WORKER_SETTINGS.chunkConcurrency, checkpointMs: options.checkpointMs ?? 5_000, leaseMs: 60_000 },
  });
  await config.createClient(
    { clientId: 'acme', name: 'Acme', timezone: 'America/New_York', dailyScheduleId: 'sch_daily', createdAt: now.toISOString(), updatedAt: now.toISOString() },
    scheduleFixture({ scheduleId: 'sch_daily', name: 'Daily billing', mandatory: true, jobs: [{ type: 'BILLING' }] }),
  );
  let counter = 0;
  return {
    ...engine,
    store,
    config,
    registry,
    callbacks,
    workQueue,
    orchestrator,
    trigger,
    cursors,
    clock,
    addSchedule: async (overrides = {}) => {
      const schedule = scheduleFixture({ scheduleId: `sch_t${++counter}`, name: `Schedule ${counter}`, ...overrides });
      await config.createSchedule(schedule);
      return schedule;
    },
  };
}
