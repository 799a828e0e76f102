import { describe, expect, it } from 'vitest';
import { createJobRegistry } from '../../lambdas/jobs/job-catalogue';
import type { JobType } from '../../lambdas/domain/model';
import type { RunView } from '../../lambdas/domain/run';
import { api, startTestRuntime, waitForRun } from '../support/local-runtime';
import { expectLedgerExactlyOnce, expectOutcomesTruthful, expectRunSettled } from './support/invariants';
import { crashBillingJobs, installCrashableWorker, type CrashingJob } from './support/process-crash';
import { chaosScale } from './support/scale';
import { seedChaosClient, triggerDaily } from './support/seeded-client';

/**
 * The daily billing sequence on a seeded ledger while worker processes die in the middle of
 * batches: every other batch of each job, on its first delivery, has 60% of its items processed
 * for real (invoices created, transactions accepted by core billing, usage rated) and then its
 * process dies — no outcome written for the rest, the lease not released, the message not
 * deleted. The message comes back after the visibility timeout and another invocation finishes
 * the batch. Then a reprocess of every item of the run (crashing again, in the full version)
 * completes it once more.
 */

/**
 * A crashed batch comes back after this. Long enough that a healthy batch of 100 items ends well
 * within it on a loaded machine (one that outlives it is delivered again beside its worker, and
 * five such deliveries would dead-letter it); short, because every crash waits for it.
 */
const VISIBILITY_TIMEOUT_MS = 8_000;
const MAX_CONCURRENCY = 4;
/** Two usage records per account give USAGE_RATING and SYNC_TRANSACTIONS three batches of up to 100 in the short version, BILLING three of up to 3. */
const LEDGER = chaosScale.name === 'full' ? { accounts: chaosScale.accounts, usagePerAccount: chaosScale.usagePerAccount } : { accounts: 124, usagePerAccount: 2 };
/** The full version crashes the reprocess's deliveries too; the short one keeps to its budget. */
const CRASH_IN_REPROCESS = chaosScale.name === 'full';
/** Batches smaller than the catalogue's (500, 500, 250): a small ledger still has several to crash in. */
const PLANS = {
  USAGE_RATING: { batchSize: 100, crashes: everyOther, at: 0.6 },
  SYNC_TRANSACTIONS: { batchSize: 100, crashes: everyOther, at: 0.6 },
  BILLING: { batchSize: 3, crashes: everyOther, at: 0.6 },
} as const;

/** With a checkpoint after every chunk the dead worker's first chunks are recorded; without, nothing of its work is. */
const EVERY_CHUNK = { checkpoints: 'after every chunk', checkpointMs: 0 };
const NONE_WITHIN_A_BATCH = { checkpoints: 'only at the end of a batch', checkpointMs: 600_000 };
const VARIANTS = chaosScale.name === 'full' ? [EVERY_CHUNK, NONE_WITHIN_A_BATCH] : [EVERY_CHUNK];

describe('chaos: a worker process dies in the middle of a batch', () => {
  it.for(VARIANTS)(
    'bills every account once, syncs every transaction once, and completes, with checkpoints $checkpoints',
    { timeout: chaosScale.testTimeoutMs },
    async ({ checkpointMs }, { annotate }) => {
      const registry = createJobRegistry({ allowSynthetic: false });
      const runtime = await startTestRuntime({
        registry,
        coreBilling: { backoffMs: 5 },
        worker: { visibilityTimeoutMs: VISIBILITY_TIMEOUT_MS, checkpointMs, maxConcurrency: MAX_CONCURRENCY },
        batchTimeoutSeconds: 300,
      });
      try {
        await installCrashableWorker(runtime, { visibilityTimeoutMs: VISIBILITY_TIMEOUT_MS, maxConcurrency: MAX_CONCURRENCY });
        const jobs = crashBillingJobs(runtime, registry, PLANS);
        const client = await seedChaosClient(runtime, 'crash', LEDGER);

        const triggered = await triggerDaily(runtime, client.clientId, client.processingDate);
        expect(triggered.status).toBe(202);
        const run = await waitForRun(runtime, client.clientId, triggered.body.runId, ['COMPLETED', 'FAILED'], chaosScale.settleTimeoutMs);

        expect(run.status, JSON.stringify(run.error ?? {})).toBe('COMPLETED');
        await annotate(`worker processes died in ${[...jobs].map(([type, job]) => `${job.crashes.length} batches of ${type}`).join(', ')}`);
        expectCrashesInEveryBatchChosen(jobs, run);
        if (checkpointMs === 0) expectCheckpointedItemsNotProcessedAgain(jobs, await recordedBeforeCrash(runtime, run.runId, jobs));
        await expectInvariants(runtime, client.clientId, run.runId, client.processingDate);

        for (const job of jobs.values()) {
          if (CRASH_IN_REPROCESS) job.arm();
          else job.disarm();
        }
        const reprocess = await api(runtime, 'POST', `/v1/clients/${client.clientId}/runs/${run.runId}/reprocess`, { scope: 'JOB', seq: 1, items: 'ALL' });
        expect(reprocess.status).toBe(202);
        const again = await waitForRun(runtime, client.clientId, run.runId, ['COMPLETED', 'FAILED'], chaosScale.settleTimeoutMs);

        expect(again.status, JSON.stringify(again.error ?? {})).toBe('COMPLETED');
        expect(again.jobs.map((job) => job.stats)).toEqual(run.jobs.map((job) => job.stats));
        await expectInvariants(runtime, client.clientId, run.runId, client.processingDate);
      } finally {
        await runtime.stop();
      }
    },
  );
});

async function expectInvariants(runtime: Awaited<ReturnType<typeof startTestRuntime>>, clientId: string, runId: string, processingDate: string): Promise<void> {
  await expectRunSettled(runtime, clientId, runId);
  await expectOutcomesTruthful(runtime, clientId, runId);
  await expectLedgerExactlyOnce(runtime, clientId, { billedDates: [processingDate] });
  expect(runtime.deadLetterQueue.approximateDepth()).toBe(0);
}

function everyOther(batchNo: number): boolean {
  return batchNo % 2 === 0;
}

/** Every other batch of every job died once, each with work done and not recorded. */
function expectCrashesInEveryBatchChosen(jobs: Map<JobType, CrashingJob>, run: RunView): void {
  for (const [type, job] of jobs) {
    const batches = Math.ceil((run.jobs.find((j) => j.type === type)?.stats.total ?? 0) / PLANS[type as keyof typeof PLANS].batchSize);
    expect(job.crashes.map((crash) => crash.batchNo).sort((a, b) => a - b), `batches of ${type} whose worker died`).toEqual(
      Array.from({ length: batches }, (_, batchNo) => batchNo).filter(everyOther),
    );
    expect(
      job.crashes.every((crash) => crash.unrecorded.length > 0),
      `${type}: every crash left done but unrecorded work`,
    ).toBe(true);
  }
}

/** Items the dead worker had checkpointed before it died: recorded SUCCEEDED after 1 attempt. */
async function recordedBeforeCrash(runtime: Awaited<ReturnType<typeof startTestRuntime>>, runId: string, jobs: Map<JobType, CrashingJob>): Promise<Map<string, string[]>> {
  const recorded = new Map<string, string[]>();
  for (const job of jobs.values()) {
    for (const crash of job.crashes) {
      const batch = await runtime.runStore.getBatch(runId, crash.seq, crash.batchNo);
      if (!batch) throw new Error(`batch ${crash.batchNo} of job ${crash.seq} is missing`);
      const crashedChunkStart = batch.itemIds.indexOf(crash.unrecorded[0] as string);
      recorded.set(`${crash.seq}/${crash.batchNo}`, batch.itemIds.slice(0, Math.max(0, crashedChunkStart)));
    }
  }
  return recorded;
}

/**
 * With a checkpoint after every chunk, a redelivery resumes after the dead worker's last checkpoint:
 * those items ran once. The chunk it died in ran again (at least once more: a redelivery that is
 * slow on a loaded machine may itself be overtaken).
 */
function expectCheckpointedItemsNotProcessedAgain(jobs: Map<JobType, CrashingJob>, recorded: Map<string, string[]>): void {
  for (const job of jobs.values()) {
    for (const crash of job.crashes) {
      for (const itemId of recorded.get(`${crash.seq}/${crash.batchNo}`) ?? []) expect(job.processed.get(`${crash.seq}:${itemId}`), itemId).toBe(1);
      for (const itemId of crash.unrecorded) expect(job.processed.get(`${crash.seq}:${itemId}`), itemId).toBeGreaterThanOrEqual(2);
    }
  }
}
