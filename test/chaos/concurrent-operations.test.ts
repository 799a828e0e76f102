import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lambdas/composition/local-runtime';
import { startTestRuntime } from '../support/local-runtime';
import { expectLedgerExactlyOnce, expectOutcomesTruthful, expectRunSettled } from './support/invariants';
import { CHAOS_BATCH_SIZES, itemFailures } from './support/job-faults';
import { chaosScale } from './support/scale';
import { ANSWERS_IN_ERROR_MODEL, pollUntilSettled, reprocessToCompletion, type AnswerTally } from './support/scenario';
import { callApi, seedChaosClient, triggerDaily, type SeededClient } from './support/seeded-client';

/**
 * Operators and core billing acting on the same run at once: trigger, reprocess (RUN, and JOB with
 * FAILED or ALL items) and reset fired together, round after round, while the run is pending,
 * running, failed or completed. Every answer is a 2xx or an error of API.md's model (409 above
 * all), never a 5xx; afterwards every run of the date is settled with true statistics, and the
 * run that holds the date completes — each account billed once, each transaction synced once.
 */
describe('chaos: concurrent trigger, reprocess and reset on the same run', () => {
  let runtime: LocalRuntime;
  const failures = itemFailures({ failShare: 0.05, batchSizes: CHAOS_BATCH_SIZES });

  beforeAll(async () => {
    runtime = await startTestRuntime({ coreBilling: { backoffMs: 5 }, worker: { visibilityTimeoutMs: 3_000 }, faults: { jobs: failures.decorate } });
  });

  afterAll(async () => {
    await runtime?.stop();
  });

  /**
   * The run that holds the date now: none when the date has no run, or when its current run was
   * reset and nothing claimed the date since (the date's run reads RESET then; a trigger claims it).
   */
  async function currentRun(client: SeededClient): Promise<any | undefined> {
    const response = await callApi(runtime, 'GET', `/v1/clients/${client.clientId}/schedules/daily/runs/${client.processingDate}`);
    if (response.status === 404) return undefined;
    expect(response.status).toBe(200);
    return response.body.status === 'RESET' ? undefined : response.body;
  }

  /**
   * One storm: the operations at once against the run that holds the date — two triggers, the
   * reprocess scopes, a read, and (withReset) a reset in the middle of them.
   */
  async function storm(client: SeededClient, runId: string, withReset: boolean, answers: AnswerTally, seen: Set<string>): Promise<void> {
    const base = `/v1/clients/${client.clientId}`;
    const trigger = (): Promise<{ status: number; body: any }> => triggerDaily(runtime, client.clientId, client.processingDate);
    const calls = [
      trigger,
      () => callApi(runtime, 'POST', `${base}/runs/${runId}/reprocess`, { scope: 'RUN' }),
      () => callApi(runtime, 'POST', `${base}/runs/${runId}/reprocess`, { scope: 'JOB', seq: 1, items: 'FAILED' }),
      () => callApi(runtime, 'POST', `${base}/runs/${runId}/reprocess`, { scope: 'JOB', seq: 2, items: 'ALL' }),
      ...(withReset ? [() => callApi(runtime, 'POST', `${base}/runs/${runId}/reset`)] : []),
      trigger,
      () => callApi(runtime, 'POST', `${base}/runs/${runId}/reprocess`, { scope: 'RUN' }),
      () => callApi(runtime, 'GET', `${base}/runs/${runId}`),
    ];
    const responses = await Promise.all(calls.map((call) => call()));
    for (const [i, response] of responses.entries()) {
      answers.set(response.status, (answers.get(response.status) ?? 0) + 1);
      if (response.status >= 400) expect(response.body?.error?.code, JSON.stringify(response.body)).toMatch(/^[A-Z_]+$/);
      if (typeof response.body?.runId === 'string') seen.add(response.body.runId);
      // A trigger answers with a run core billing can poll to its end: never a RESET one.
      if (calls[i] === trigger && response.status < 300) expect(response.body.status).not.toBe('RESET');
    }
  }

  /** Waits until the run is in one of the statuses (or settled), polling like core billing. */
  async function until(client: SeededClient, runId: string, wanted: (run: any) => boolean): Promise<void> {
    const deadline = Date.now() + chaosScale.settleTimeoutMs;
    for (;;) {
      const { body } = await callApi(runtime, 'GET', `/v1/clients/${client.clientId}/runs/${runId}`);
      if (wanted(body) || ['COMPLETED', 'FAILED', 'RESET', 'SKIPPED'].includes(body.status)) return;
      if (Date.now() > deadline) throw new Error(`run ${runId} stayed ${body.status}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  it(
    'every answer is within the error model, every run of the date settles with true statistics, and the date ends with one completed run',
    async () => {
      const client = await seedChaosClient(runtime, 'chaos-concurrent');
      const answers: AnswerTally = new Map();
      const seen = new Set<string>();

      const first = await triggerDaily(runtime, client.clientId, client.processingDate);
      expect(first.status).toBe(202);
      seen.add(first.body.runId);
      // Rounds at different moments of a run's life: just claimed, in job 1, in job 2, settled.
      const moments: Array<(run: any) => boolean> = [
        () => true,
        (run) => run.jobs?.[0]?.status === 'RUNNING',
        (run) => run.jobs?.[1]?.status === 'RUNNING',
        () => false,
      ];
      for (let round = 0; round < chaosScale.concurrentRounds; round++) {
        // Item failures in every other round: runs that fail (reprocess is allowed) and runs that complete.
        failures.fault.enabled = round % 2 === 0;
        for (const [m, moment] of moments.entries()) {
          let run = await currentRun(client);
          if (!run) {
            const triggered = await triggerDaily(runtime, client.clientId, client.processingDate);
            expect([200, 202]).toContain(triggered.status);
            run = triggered.body;
          }
          seen.add(run.runId);
          await until(client, run.runId, moment);
          await storm(client, run.runId, (round + m) % 2 === 1, answers, seen);
        }
      }
      failures.fault.enabled = false;

      const outside = [...answers.keys()].filter((status) => !ANSWERS_IN_ERROR_MODEL.has(status));
      expect(outside, `API answers ${JSON.stringify([...answers])}`).toEqual([]);
      for (const runId of seen) {
        await pollUntilSettled(runtime, client.clientId, runId);
      }
      for (const runId of seen) {
        await expectRunSettled(runtime, client.clientId, runId);
        await expectOutcomesTruthful(runtime, client.clientId, runId);
      }
      await expectLedgerExactlyOnce(runtime, client.clientId, { billedDates: [], partlyBilledDates: [client.processingDate] });

      let holder = await currentRun(client);
      if (!holder) {
        const triggered = await triggerDaily(runtime, client.clientId, client.processingDate);
        expect(triggered.status).toBe(202);
        holder = triggered.body;
      }
      await reprocessToCompletion(runtime, client, holder.runId);
    },
    chaosScale.testTimeoutMs,
  );

  // Chaos finding: a trigger that landed between a reprocess's writes (the run PENDING for the new
  // execution, its jobs not yet reopened) started the new execution early; it ran on the jobs of
  // before, and a reprocess of ALL items ended COMPLETED without running them again, job 1 left
  // PENDING. The reprocess now writes the run and its reopened jobs in one transaction.
  it(
    'a trigger that starts a reprocessed run right after the reprocess wrote it runs every item again',
    async () => {
      const client = await seedChaosClient(runtime, 'chaos-reprocess-trigger', { accounts: 31, usagePerAccount: 1 });
      const first = await triggerDaily(runtime, client.clientId, client.processingDate);
      const done = await pollUntilSettled(runtime, client.clientId, first.body.runId);
      expect(done.status).toBe('COMPLETED');

      const store = runtime.runStore;
      const reopenRun = store.reopenRun.bind(store);
      let raced: { status: number; body: any } | undefined;
      store.reopenRun = async (...args) => {
        const moved = await reopenRun(...args);
        // Core billing's trigger arrives now: it finds the run PENDING and starts its execution.
        raced = await triggerDaily(runtime, client.clientId, client.processingDate);
        return moved;
      };
      try {
        const reprocess = await callApi(runtime, 'POST', `/v1/clients/${client.clientId}/runs/${done.runId}/reprocess`, { scope: 'JOB', seq: 1, items: 'ALL' });
        expect(reprocess.status).toBe(202);
      } finally {
        store.reopenRun = reopenRun;
      }
      expect(raced).toMatchObject({ status: 200, body: { runId: done.runId } });
      const again = await pollUntilSettled(runtime, client.clientId, done.runId);

      expect(again.status).toBe('COMPLETED');
      const batch = await runtime.runStore.getBatch(done.runId, 1, 0);
      expect(batch?.attempts.every((attempts) => attempts === 2)).toBe(true);
      await expectRunSettled(runtime, client.clientId, done.runId);
      await expectLedgerExactlyOnce(runtime, client.clientId, { billedDates: [client.processingDate] });
    },
    chaosScale.testTimeoutMs,
  );
});
