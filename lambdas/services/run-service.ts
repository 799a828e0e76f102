import type { Logger } from '@aws-lambda-powertools/logger';
import { z } from 'zod';
import { mapConcurrently } from '../domain/concurrency';
import { decodePageToken, encodePageToken } from '../domain/page-token';
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors';
import type { JobRegistry } from '../domain/job-registry';
import { ClientIdSchema, ProcessingDateSchema, type ItemStatus, type Run, type RunStatus } from '../domain/model';
import {
  executionInputOf,
  isTerminal,
  newRunDraft,
  reopenedJobs,
  reprocessPlan,
  resolveScheduleId,
  toRunView,
  type ReprocessRequest,
  type RunView,
} from '../domain/run';
import { announced } from '../domain/run-events';
import { executionNameFor } from '../domain/run-naming';
import { compareRunPositions, type RunPosition } from '../domain/run-position';
import type { Clock } from '../ports/clock';
import type { ConfigStore } from '../ports/config-store';
import type { Orchestrator } from '../ports/orchestrator';
import type { ItemPage } from '../ports/item-pages';
import type { RunStore } from '../ports/run-store';
import type { ClientScope, RunOperations, RunPage, RunRangeRequest, TriggerRequest } from './run-operations';
import { RunReadCache, type RunReadCacheSettings } from './run-read-cache';

/** Queries and reads a run list sends at once. */
const PARALLEL_READS = 16;

const RunPositionTokenSchema = z.tuple([ProcessingDateSchema, ClientIdSchema, z.string().regex(/^[\w-]{1,64}$/), z.number().int().min(1).max(9999)]);

function encodeRunPosition(position: RunPosition): string {
  return encodePageToken([position.processingDate, position.clientId, position.scheduleId, position.attempt]);
}

function decodeRunPosition(token: string | undefined): RunPosition | undefined {
  if (token === undefined) return undefined;
  const position = decodePageToken(token, RunPositionTokenSchema);
  if (!position) throw new ValidationError('nextToken is not a token this API issued', [{ path: 'nextToken', message: 'invalid token' }]);
  const [processingDate, clientId, scheduleId, attempt] = position;
  return { processingDate, clientId, scheduleId, attempt };
}

/** Claims of a trigger whose found run is reset under it before it gives up (409). */
const TRIGGER_ROUNDS = 5;

/**
 * Runs as the API sees them: trigger (idempotent per schedule and date), look up, list,
 * reprocess and reset. Every state change that the API answers 202 for is written before the
 * answer, so a poller never sees the previous terminal status afterwards.
 */
export class RunService implements RunOperations {
  constructor(
    private readonly deps: {
      runs: RunStore;
      config: ConfigStore;
      registry: JobRegistry;
      orchestrator: Orchestrator;
      clock: Clock;
      logger: Logger;
      /** Keep status reads of working runs for a moment (the API's; see RunReadCache); without it every read goes to the table. */
      readCache?: RunReadCacheSettings;
    },
  ) {
    this.readCache = deps.readCache ? new RunReadCache((runId) => deps.runs.getRun(runId), deps.readCache) : undefined;
  }

  private readonly readCache: RunReadCache | undefined;

  async trigger(clientId: string, scheduleId: string, request: TriggerRequest): Promise<{ run: RunView; created: boolean }> {
    const { runs, config, registry, clock } = this.deps;
    const schedule = await config.getSchedule(clientId, resolveScheduleId(scheduleId));
    if (!schedule) throw new NotFoundError(`schedule ${scheduleId} does not exist for client ${clientId}`);
    const draft = newRunDraft({
      schedule,
      processingDate: request.processingDate,
      trigger: request.trigger ?? 'API',
      now: clock.now().toISOString(),
      registry,
      ...(request.jobs ? { jobs: request.jobs } : {}),
    });
    for (let round = 0; round < TRIGGER_ROUNDS; round++) {
      const { run, created } = await runs.claimRun(draft);
      if (created || run.status === 'PENDING') {
        // A PENDING run found here is one whose first start may have been lost (a crash between
        // the claim and StartExecution): starting the same execution name again is idempotent.
        await this.start(run);
      }
      if (created) return { run: toRunView(run), created };
      const current = (await runs.getRun(run.runId, true)) ?? run;
      // Reset after the claim found it: the date is free again. A trigger never answers with a
      // RESET run — core billing polls until COMPLETED, FAILED or SKIPPED and would poll it forever.
      if (current.status !== 'RESET') return { run: toRunView(current), created: false };
    }
    throw new ConflictError(`the run of ${request.processingDate} was reset again and again while it was triggered; trigger again`, 'RUN_CHANGED');
  }

  /** A change made elsewhere in this process (a manual job start): the next read of the run goes to the table. */
  forgetRun(runId: string): void {
    this.readCache?.forget(runId);
  }

  async getRun(clientId: string, runId: string): Promise<RunView> {
    return toRunView(await this.ownRun(clientId, runId));
  }

  async getRunByDate(clientId: string, scheduleId: string, processingDate: string): Promise<RunView> {
    const resolved = resolveScheduleId(scheduleId);
    const run = await this.deps.runs.getCurrentRun(clientId, resolved, processingDate);
    if (!run || run.clientId !== clientId) throw new NotFoundError(`no run of schedule ${scheduleId} for ${processingDate}`);
    return toRunView(run);
  }

  async listRuns(clientId: string, query: { date: string; scheduleId?: string; status?: RunStatus }): Promise<RunView[]> {
    const runs = await this.deps.runs.listRuns(clientId, query.date, {
      ...(query.scheduleId ? { scheduleId: resolveScheduleId(query.scheduleId) } : {}),
      ...(query.status ? { status: query.status } : {}),
    });
    return runs.map(toRunView);
  }

  async listRunRange(scope: ClientScope, query: RunRangeRequest): Promise<RunPage> {
    const { runs, config } = this.deps;
    const after = decodeRunPosition(query.nextToken);
    const clientIds = scope === 'EVERY_CLIENT' ? (await config.listClients()).map((client) => client.clientId) : [...new Set(scope.clientIds)];
    const filter = {
      from: query.from,
      to: query.to,
      limit: query.limit,
      ...(after ? { after } : {}),
      ...(query.scheduleId ? { scheduleId: resolveScheduleId(query.scheduleId) } : {}),
      ...(query.status ? { status: query.status } : {}),
    };
    // Each client's next `limit` runs, merged: the page is the first `limit` of them all.
    const lists = await mapConcurrently(clientIds, PARALLEL_READS, (clientId) => runs.listRunPositions(clientId, filter));
    const merged = lists.flatMap((list) => list.positions).sort(compareRunPositions);
    const page = merged.slice(0, query.limit);
    const more = merged.length > query.limit || lists.some((list) => list.more);
    const found = await mapConcurrently(page, PARALLEL_READS, (position) => runs.getRun(position.runId));
    const items = found.filter((run): run is Run => run !== undefined).map(toRunView);
    const last = page.at(-1);
    return { items, ...(more && last ? { nextToken: encodeRunPosition(last) } : {}) };
  }

  async listItems(clientId: string, runId: string, seq: number, query: { status?: ItemStatus; limit: number; nextToken?: string }): Promise<ItemPage> {
    const run = await this.ownRun(clientId, runId);
    if (!run.jobs.some((job) => job.seq === seq)) throw new NotFoundError(`run ${runId} has no job ${seq}`);
    return this.deps.runs.listItems(runId, seq, query);
  }

  async reprocess(clientId: string, runId: string, request: ReprocessRequest): Promise<RunView> {
    const { runs, clock } = this.deps;
    const run = await this.ownRun(clientId, runId, true);
    const plan = reprocessPlan(run, request);
    const executionCount = run.executionCount + 1;
    const executionName = executionNameFor(runId, executionCount);
    const moved = await runs.reopenRun(
      runId,
      {
        from: [run.status],
        executionName: run.executionName,
        set: { status: 'PENDING', executionName, executionCount, redriveCount: 0, plan, heal: plan.heal },
        remove: ['error', 'endedAt', 'waitingUntil', 'waitingReason'],
      },
      reopenedJobs(run, plan),
      executionName,
    );
    if (!moved) throw new ConflictError(`run ${runId} changed while the reprocess was requested; read it again`, 'RUN_CHANGED');
    const updated = { ...run, status: 'PENDING' as const, executionName, executionCount, plan, heal: plan.heal, updatedAt: clock.now().toISOString() };
    await this.start(updated);
    this.readCache?.forget(runId);
    return toRunView((await runs.getRun(runId, true)) ?? updated);
  }

  async reset(clientId: string, runId: string): Promise<RunView> {
    const { runs, orchestrator, clock, logger } = this.deps;
    const run = await this.ownRun(clientId, runId, true);
    if (run.status !== 'RESET') {
      const wasActive = !isTerminal(run.status);
      const reset = await runs.resetRun(runId, clock.now().toISOString());
      if (reset && wasActive) {
        await orchestrator.stopExecution(run.executionName, 'run reset by an operator').catch((error: unknown) => {
          logger.warn('could not stop the execution of a reset run; its steps will stop by themselves', { runId, error: error as Error });
        });
      }
    }
    this.readCache?.forget(runId);
    return toRunView((await runs.getRun(runId, true)) ?? run);
  }

  private async start(run: Run): Promise<void> {
    try {
      await this.deps.orchestrator.startExecution(run.executionName, executionInputOf(run));
    } catch (error) {
      this.deps.logger.error('could not start the execution', { runId: run.runId, error: error as Error });
      const endedAt = this.deps.clock.now().toISOString();
      await this.deps.runs.transitionRun(
        run.runId,
        announced(
          run,
          {
            from: ['PENDING'],
            executionName: run.executionName,
            set: { status: 'FAILED', endedAt, error: { code: 'EXECUTION_NOT_STARTED', message: 'the orchestrator did not start the run; reprocess it' } },
          },
          endedAt,
        ),
      );
      throw error;
    }
  }

  /** A consistent read goes to the table; another may be answered from the read cache. */
  private async ownRun(clientId: string, runId: string, consistent = false): Promise<Run> {
    const run = !consistent && this.readCache ? await this.readCache.get(runId) : await this.deps.runs.getRun(runId, consistent);
    if (!run || run.clientId !== clientId) throw new NotFoundError(`run ${runId} does not exist for client ${clientId}`);
    return run;
  }
}
