import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../lambdas/adapters/local/dynamo-local';
import type { RunView } from '../../lambdas/domain/run';
import { coreBillingFromStoreFile, expectLedgerExactlyOnce, expectOutcomesTruthful, expectRunSettled, subjectOnTables } from './support/invariants';
import { dynamoLocalsOf, RuntimeProcess } from './support/process-runtime';
import { chaosScale } from './support/scale';
import { callApi, seedChaosClient, triggerDaily } from './support/seeded-client';

/**
 * `npm start` killed with SIGKILL in the middle of the daily billing sequence on a seeded ledger,
 * and started again on the same DATA_DIR (DynamoDB Local's files, core billing's accepted
 * transactions): the run is resumed and completes over the HTTP API, every account is billed
 * once and every transaction reaches core billing once — also those the killed process had sent
 * without recording it — the killed process's DynamoDB Local does not outlive the restart, and a
 * reprocess completes the run again.
 */
const TOKEN = 'chaos-restart-token';
const CLIENT = 'restart';

interface KillPoint {
  /** Where the run is when the runtime is killed. */
  during: 'USAGE_RATING' | 'SYNC_TRANSACTIONS' | 'BILLING';
  /** Kill once the job has recorded progress (a finished batch or a checkpoint), so it is killed with work done and work in flight. */
  afterProgress: boolean;
}

/**
 * Several hundred accounts (12 per anniversary day) in the short version, killed once during
 * SYNC_TRANSACTIONS; the full version kills in every job of the sequence, one restart after
 * another. BILLING bills only the days 30 and 31 on 2026-11-30, a few seconds of work: that
 * kill is made when it can be, and the run is left to finish when BILLING was over first.
 */
const SCENARIO =
  chaosScale.name === 'full'
    ? {
        accounts: 2_480,
        usagePerAccount: chaosScale.usagePerAccount,
        kills: [
          { during: 'USAGE_RATING', afterProgress: true },
          { during: 'SYNC_TRANSACTIONS', afterProgress: true },
          { during: 'BILLING', afterProgress: false },
        ] satisfies KillPoint[],
      }
    : { accounts: 372, usagePerAccount: 2, kills: [{ during: 'SYNC_TRANSACTIONS', afterProgress: true }] satisfies KillPoint[] };
/** Every transaction request core billing's stand-in answers waits this long: SYNC_TRANSACTIONS then lasts long enough to be killed in. */
const CORE_DELAY_MS = 400;
const POLL_MS = 100;

describe('chaos: the local runtime killed with SIGKILL during the daily billing sequence', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'jsm-chaos-kill-'));
  const processes: RuntimeProcess[] = [];

  afterAll(async () => {
    for (const runtime of processes) await runtime.stop('SIGKILL');
    for (const pid of dynamoLocalsOf(dataDir)) process.kill(pid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(
    'resumes after each restart and completes, with every account billed once and every transaction synced once',
    async ({ annotate }) => {
      const port = await freePort();
      /** Starts the runtime; with the kills still to make, core billing answers slowly while one of them is in SYNC_TRANSACTIONS. */
      const start = async (killsLeft: readonly KillPoint[]): Promise<RuntimeProcess> => {
        const runtime = await RuntimeProcess.start({ port, dataDir, adminToken: TOKEN });
        processes.push(runtime);
        if (killsLeft.some((kill) => kill.during === 'SYNC_TRANSACTIONS')) await slowCoreBilling(runtime);
        return runtime;
      };
      let runtime = await start(SCENARIO.kills);
      const target = { url: runtime.url, token: TOKEN };
      const seeding = subjectOnTables({ ...runtime.runtimeFile, coreBilling: { transactions: () => [] } });
      const client = await seedChaosClient({ ...target, ledger: seeding.ledger }, CLIENT, { accounts: SCENARIO.accounts, usagePerAccount: SCENARIO.usagePerAccount });
      seeding.close();

      const triggered = await triggerDaily(target, CLIENT, client.processingDate);
      expect(triggered.status).toBe(202);
      const runId: string = triggered.body.runId;

      const killed: string[] = [];
      for (const [index, point] of SCENARIO.kills.entries()) {
        const run = await untilKillPoint(target, runId, point);
        if (!run) continue;
        killed.push(`${point.during} at ${JSON.stringify(run.jobs.map((job) => job.stats.succeeded))}`);
        const orphans = dynamoLocalsOf(dataDir);
        expect(await runtime.stop('SIGKILL')).toBeNull();
        // The killed runtime could not stop its DynamoDB Local: it runs on, until the next start stops it.
        expect(dynamoLocalsOf(dataDir)).toEqual(orphans);
        expect(orphans).toHaveLength(1);

        runtime = await start(SCENARIO.kills.slice(index + 1));
        const running = dynamoLocalsOf(dataDir);
        expect(running).toHaveLength(1);
        expect(running).not.toContain(orphans[0]);
      }
      await annotate(`killed with SIGKILL during ${killed.join('; ')} (items succeeded per job)`);
      expect(killed.length, 'kills made').toBeGreaterThanOrEqual(1);
      expect(killed.some((kill) => kill.startsWith('SYNC_TRANSACTIONS')), killed.join('; ')).toBe(true);

      const done = await untilSettled(target, runId);
      expect(done.status, JSON.stringify(done.error ?? {})).toBe('COMPLETED');
      await expectInvariants(runtime, runId, client.processingDate);

      const reprocess = await callApi(target, 'POST', `/v1/clients/${CLIENT}/runs/${runId}/reprocess`, { scope: 'JOB', seq: 2, items: 'ALL' });
      expect(reprocess.status).toBe(202);
      const again = await untilSettled(target, runId);
      expect(again.status, JSON.stringify(again.error ?? {})).toBe('COMPLETED');
      await expectInvariants(runtime, runId, client.processingDate);

      expect(await runtime.stop('SIGINT')).toBe(0);
      expect(dynamoLocalsOf(dataDir)).toEqual([]);
    },
    chaosScale.testTimeoutMs,
  );
});

/** Reads the runtime's tables directly, and core billing's accepted transactions from its store file (every line: a key stored twice would show). */
async function expectInvariants(runtime: RuntimeProcess, runId: string, processingDate: string): Promise<void> {
  const subject = subjectOnTables({ ...runtime.runtimeFile, coreBilling: coreBillingFromStoreFile(join(runtime.dataDir, 'core-billing', 'accepted.jsonl')) });
  try {
    await expectRunSettled(subject, CLIENT, runId);
    await expectOutcomesTruthful(subject, CLIENT, runId);
    await expectLedgerExactlyOnce(subject, CLIENT, { billedDates: [processingDate] });
  } finally {
    subject.close();
  }
}

/** Makes core billing's stand-in answer slowly (not fail), so that SYNC_TRANSACTIONS is long enough to be killed in. */
async function slowCoreBilling(runtime: RuntimeProcess): Promise<void> {
  const { coreBillingUrl, coreBillingControlToken } = runtime.runtimeFile;
  const response = await fetch(`${coreBillingUrl}/control/outage`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${coreBillingControlToken}` },
    body: JSON.stringify({ delayMs: CORE_DELAY_MS }),
  });
  expect(response.status).toBe(200);
}

const JOB_SEQ = { USAGE_RATING: 1, SYNC_TRANSACTIONS: 2, BILLING: 3 } as const;

/** Polls the run until it is at the kill point; undefined when that job was over before it could be seen running. */
async function untilKillPoint(target: { url: string; token: string }, runId: string, point: KillPoint): Promise<RunView | undefined> {
  const deadline = Date.now() + chaosScale.settleTimeoutMs;
  while (Date.now() < deadline) {
    const { body: run } = await callApi(target, 'GET', `/v1/clients/${CLIENT}/runs/${runId}`);
    const job = (run as RunView).jobs.find((j) => j.seq === JOB_SEQ[point.during]);
    if (run.status !== 'PENDING' && run.status !== 'RUNNING') return undefined;
    if (job?.status === 'COMPLETED' || job?.status === 'FAILED') return undefined;
    if (job?.status === 'RUNNING' && (!point.afterProgress || job.stats.succeeded > 0)) return run;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  throw new Error(`run ${runId} did not reach ${point.during} in ${chaosScale.settleTimeoutMs} ms`);
}

/** Polls the run over the HTTP API, as core billing does, until it is neither PENDING nor RUNNING. */
async function untilSettled(target: { url: string; token: string }, runId: string): Promise<RunView> {
  const deadline = Date.now() + chaosScale.settleTimeoutMs;
  while (Date.now() < deadline) {
    const { body: run } = await callApi(target, 'GET', `/v1/clients/${CLIENT}/runs/${runId}`);
    if (run.status !== 'PENDING' && run.status !== 'RUNNING') return run;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  throw new Error(`run ${runId} did not settle in ${chaosScale.settleTimeoutMs} ms`);
}
