import { afterAll, describe, expect, it } from 'vitest';
import type { LocalRuntime, LocalRuntimeOptions } from '../../lambdas/composition/local-runtime';
import { startTestRuntime } from '../support/local-runtime';
import { CHAOS_BATCH_SIZES, INJECTED_FAILURE, itemFailures } from './support/job-faults';
import { chaosScale } from './support/scale';
import { ANSWERS_IN_ERROR_MODEL, expectInvariants, pollUntilSettled, reprocessToCompletion, triggerLikeCoreBilling, type AnswerTally } from './support/scenario';
import { seedChaosClient } from './support/seeded-client';

/**
 * Faults on the data path of a daily run (USAGE_RATING → SYNC_TRANSACTIONS → BILLING on a seeded
 * ledger), each through the local runtime: the API triggers the run as core billing does, the
 * fault is injected, the run settles, and then every invariant holds (test/chaos/support/
 * invariants.ts); with the fault removed, reprocessing completes the run and bills and syncs
 * nothing twice.
 */

/** Redeliveries (a busy batch, a thrown batch) come back within seconds, not the default 30 s. */
const CHAOS_WORKER = { visibilityTimeoutMs: 3_000 };

const runtimes: LocalRuntime[] = [];
async function chaosRuntime(overrides: Partial<LocalRuntimeOptions> = {}): Promise<LocalRuntime> {
  const runtime = await startTestRuntime({
    coreBilling: { backoffMs: 5 },
    worker: CHAOS_WORKER,
    ...overrides,
    faults: { jobs: itemFailures({ batchSizes: CHAOS_BATCH_SIZES }).decorate, ...overrides.faults },
  });
  runtimes.push(runtime);
  return runtime;
}

afterAll(async () => {
  for (const runtime of runtimes) await runtime.stop();
});

function expectErrorModel(answers: AnswerTally): void {
  const outside = [...answers.keys()].filter((status) => !ANSWERS_IN_ERROR_MODEL.has(status));
  expect(outside, `API answers ${JSON.stringify([...answers])}`).toEqual([]);
}

describe('chaos: faults on the data path of a daily run', () => {
  it(
    '(a) 5% of the items of every job fail: the run fails visibly, and once the cause is gone a reprocess completes it',
    async () => {
      const failures = itemFailures({ failShare: 0.05, batchSizes: CHAOS_BATCH_SIZES });
      const runtime = await chaosRuntime({ faults: { jobs: failures.decorate } });
      const client = await seedChaosClient(runtime, 'chaos-items');

      const runId = await triggerLikeCoreBilling(runtime, client);
      const failed = await pollUntilSettled(runtime, client.clientId, runId);

      expect(failed.status).toBe('FAILED');
      expect(failures.fault.failed.get('USAGE_RATING')?.size ?? 0).toBeGreaterThan(0);
      const firstFailed = await runtime.runStore.listItems(runId, 1, { status: 'FAILED', limit: 10 });
      expect(firstFailed.items.every((item) => item.error?.code === INJECTED_FAILURE)).toBe(true);
      await expectInvariants(runtime, client, runId);

      failures.fault.enabled = false;
      await reprocessToCompletion(runtime, client, runId);
    },
    chaosScale.testTimeoutMs,
  );

  it(
    '(b) 10% of SQS deliveries are duplicated: nothing is processed twice, and reprocessing (duplicates still on) changes nothing',
    async () => {
      const runtime = await chaosRuntime({ worker: { ...CHAOS_WORKER, duplicateRate: 0.1 } });
      const client = await seedChaosClient(runtime, 'chaos-duplicates');

      const runId = await triggerLikeCoreBilling(runtime, client);
      const run = await pollUntilSettled(runtime, client.clientId, runId);

      expect(run.status, JSON.stringify(run.error ?? {})).toBe('COMPLETED');
      await expectInvariants(runtime, client, runId);
      await reprocessToCompletion(runtime, client, runId);
    },
    chaosScale.testTimeoutMs,
  );

  it(
    '(b) with 5% of items failing as well: duplicates of first-pass messages meet the retry pass of the same batches, and still nothing runs twice',
    async () => {
      const failures = itemFailures({ failShare: 0.05, batchSizes: CHAOS_BATCH_SIZES });
      const runtime = await chaosRuntime({ worker: { ...CHAOS_WORKER, duplicateRate: 0.1 }, faults: { jobs: failures.decorate } });
      const client = await seedChaosClient(runtime, 'chaos-duplicates-failing');

      const runId = await triggerLikeCoreBilling(runtime, client);
      const failed = await pollUntilSettled(runtime, client.clientId, runId);

      expect(failed.status).toBe('FAILED');
      await expectInvariants(runtime, client, runId);
      failures.fault.enabled = false;
      await reprocessToCompletion(runtime, client, runId);
    },
    chaosScale.testTimeoutMs,
  );

  it(
    '(c) DynamoDB throttles 5% of requests, and all of them in bursts: the run settles, the API answers within its error model, and a reprocess completes the run',
    async () => {
      // The bursts outlast the stores' own retries, so that throttling also reaches the worker (a
      // thrown batch comes back through the queue), the ASL's Retry of the steps, and the API.
      const runtime = await chaosRuntime({ faults: { dynamoThrottling: { rate: 0.05, bursts: { everyMs: 4_000, forMs: 1_800 }, enabled: false } } });
      const throttling = runtime.faults.dynamoThrottling;
      if (!throttling) throw new Error('the runtime did not install the throttling fault');
      const client = await seedChaosClient(runtime, 'chaos-throttling');
      const answers: AnswerTally = new Map();

      throttling.enabled = true;
      const runId = await triggerLikeCoreBilling(runtime, client, answers);
      await pollUntilSettled(runtime, client.clientId, runId, answers);
      throttling.enabled = false;

      expect(Object.values(throttling.injected).reduce((sum, n) => sum + n, 0)).toBeGreaterThan(0);
      await expectInvariants(runtime, client, runId);
      expectErrorModel(answers);
      await reprocessToCompletion(runtime, client, runId);
    },
    chaosScale.testTimeoutMs,
  );

  describe('(d) the core billing stand-in fails with 5xx for a while', () => {
    let runtime: LocalRuntime;

    it(
      'an outage longer than every retry fails SYNC_TRANSACTIONS with CORE_UNAVAILABLE; once core is back a reprocess completes the run',
      async () => {
        runtime = await chaosRuntime({ coreBilling: { backoffMs: 5, timeoutMs: 2_000 } });
        const client = await seedChaosClient(runtime, 'chaos-core-down');

        runtime.coreBilling.startOutage({ status: 503 });
        const runId = await triggerLikeCoreBilling(runtime, client);
        const failed = await pollUntilSettled(runtime, client.clientId, runId);

        expect(failed.status).toBe('FAILED');
        // SYNC_TRANSACTIONS continues past failed items: BILLING runs and holds every due account.
        expect(failed.jobs.map((job) => job.status)).toEqual(['COMPLETED', 'FAILED', 'FAILED']);
        const items = await runtime.runStore.listItems(runId, 2, { status: 'FAILED', limit: 5 });
        expect(items.items.every((item) => item.error?.code === 'CORE_UNAVAILABLE')).toBe(true);
        const held = await runtime.runStore.listItems(runId, 3, { limit: 1000 });
        expect(held.items.length).toBeGreaterThan(0);
        expect(held.items.every((item) => item.status === 'FAILED' && item.error?.code === 'UNSYNCED_USAGE')).toBe(true);
        await expectInvariants(runtime, client, runId);

        runtime.coreBilling.endOutage();
        await reprocessToCompletion(runtime, client, runId);
      },
      chaosScale.testTimeoutMs,
    );

    it(
      'a short outage (a number of failing requests) is absorbed by the client retries and the second pass',
      async () => {
        const client = await seedChaosClient(runtime, 'chaos-core-blip');

        runtime.coreBilling.startOutage({ status: 502, requests: 12 });
        const runId = await triggerLikeCoreBilling(runtime, client);
        await pollUntilSettled(runtime, client.clientId, runId);

        await expectInvariants(runtime, client, runId);
        await reprocessToCompletion(runtime, client, runId);
      },
      chaosScale.testTimeoutMs,
    );

    it(
      'a slow core that answers after the client gave up stores the batch once: the same keys sent again are duplicates, not second transactions',
      async () => {
        const client = await seedChaosClient(runtime, 'chaos-core-slow');

        runtime.coreBilling.startOutage({ delayMs: 2_500, requests: 6 });
        const runId = await triggerLikeCoreBilling(runtime, client);
        await pollUntilSettled(runtime, client.clientId, runId);
        runtime.coreBilling.endOutage();

        await expectInvariants(runtime, client, runId);
        await reprocessToCompletion(runtime, client, runId);
      },
      chaosScale.testTimeoutMs,
    );
  });
});
