import { afterEach, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lambdas/composition/local-runtime';
import { JobRegistry, type JobContext, type JobHandler } from '../../lambdas/domain/job-registry';
import { SyntheticJob } from '../../lambdas/jobs/synthetic-job';
import { startTestRuntime } from '../support/local-runtime';

/**
 * One queue and a fixed pool of workers serve every client. A run keeps at most its Map's
 * MaxConcurrency ($.run.maxConcurrency) batches in the queue or in a worker, and the queue
 * delivers in order, so a run that starts while a big one works waits behind at most that many
 * of the big run's batches, not behind all of them (docs/cost-and-scaling.md, "Fairness").
 * Progress is compared in batches, not in time.
 */

const BIG_BATCHES = 60;
const SMALL_BATCHES = 2;
const WORKERS = 2;

/** SYNTHETIC, noting the client of every batch it processes, in the order the workers process them. */
class BatchLog extends SyntheticJob implements JobHandler {
  readonly clients: string[] = [];

  override async process(ctx: JobContext, itemIds: readonly string[]) {
    const outcomes = await super.process(ctx, itemIds);
    this.clients.push(ctx.clientId);
    return outcomes;
  }

  batchesOf(clientId: string): number {
    return this.clients.filter((client) => client === clientId).length;
  }
}

describe('two tenants on one queue', () => {
  let runtime: LocalRuntime | undefined;

  afterEach(async () => {
    await runtime?.stop();
    runtime = undefined;
  });

  /** Starts a big client's run, and a small client's once the big one has finished 5 batches; answers how far the big run was when the small one completed. */
  async function bigThenSmall(mapMaxConcurrency: number): Promise<{ bigBatchesDone: number; smallStatus: string }> {
    const log = new BatchLog();
    runtime = await startTestRuntime({ registry: new JobRegistry([log]), mapMaxConcurrency, worker: { maxConcurrency: WORKERS, checkpointMs: 0, visibilityTimeoutMs: 30_000 } });
    const rt = runtime;
    const scheduleOf = async (clientId: string, batches: number): Promise<string> => {
      await rt.schedules.putClient(clientId, { name: clientId, timezone: 'UTC' });
      const created = await rt.schedules.createSchedule(clientId, {
        name: `${clientId} nightly`,
        frequency: { type: 'MANUAL' },
        executionTime: '01:00:00',
        timezone: 'UTC',
        exceptionWindows: [],
        // A pause per batch stands in for the work, so that the big run is still busy when the small one comes.
        jobs: [{ type: 'SYNTHETIC', settings: { items: batches * 10, batchSize: 10, delayMs: 20 } }],
        enabled: true,
      });
      return created.scheduleId;
    };
    const bigSchedule = await scheduleOf('big-tenant', BIG_BATCHES);
    const smallSchedule = await scheduleOf('small-tenant', SMALL_BATCHES);

    await rt.engine.runs.trigger('big-tenant', bigSchedule, { processingDate: '2026-11-25' });
    while (log.batchesOf('big-tenant') < 5) await new Promise((resolve) => setTimeout(resolve, 20));
    const small = (await rt.engine.runs.trigger('small-tenant', smallSchedule, { processingDate: '2026-11-25' })).run;
    // Not waitForRun: it also waits until the runtime is idle, which is after the big run.
    let smallStatus = small.status as string;
    while (smallStatus !== 'COMPLETED' && smallStatus !== 'FAILED') {
      await new Promise((resolve) => setTimeout(resolve, 20));
      smallStatus = (await rt.engine.runs.getRun('small-tenant', small.runId)).status;
    }

    expect(log.batchesOf('small-tenant')).toBe(SMALL_BATCHES);
    return { bigBatchesDone: log.batchesOf('big-tenant'), smallStatus };
  }

  it('finishes a small run while a big run that started first has done less than half its batches', async () => {
    const { bigBatchesDone, smallStatus } = await bigThenSmall(4);

    expect(smallStatus).toBe('COMPLETED');
    expect(bigBatchesDone).toBeLessThan(BIG_BATCHES / 2);
  }, 120_000);

  it('would keep the small run waiting for nearly all of the big run without the per-run bound', async () => {
    const { bigBatchesDone, smallStatus } = await bigThenSmall(BIG_BATCHES);

    expect(smallStatus).toBe('COMPLETED');
    expect(bigBatchesDone).toBeGreaterThan(BIG_BATCHES * 0.9);
  }, 120_000);
});
