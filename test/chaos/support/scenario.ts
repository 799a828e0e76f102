import { expect } from 'vitest';
import type { LocalRuntime } from '../../../lambdas/composition/local-runtime';
import type { Run } from '../../../lambdas/domain/model';
import { expectLedgerExactlyOnce, expectOutcomesTruthful, expectRunSettled, SETTLED_RUN_STATUSES, type LedgerExpectation } from './invariants';
import { chaosScale } from './scale';
import { callApi, triggerDaily, type SeededClient } from './seeded-client';

/** What the API answered during a scenario, by status code: the error model allows no 5xx but 503 under throttling is counted. */
export type AnswerTally = Map<number, number>;

/** HTTP statuses the API may answer in a scenario (API.md's error model); anything else is a finding. */
export const ANSWERS_IN_ERROR_MODEL = new Set([200, 201, 202, 204, 400, 404, 409, 412, 429]);

function tally(answers: AnswerTally | undefined, status: number): void {
  answers?.set(status, (answers.get(status) ?? 0) + 1);
}

/**
 * Triggers the client's daily schedule as core billing does, sending the same request again while
 * the API answers 429 or 5xx (the trigger is idempotent): returns the run id it was answered.
 */
export async function triggerLikeCoreBilling(runtime: LocalRuntime, client: SeededClient, answers?: AnswerTally): Promise<string> {
  const deadline = Date.now() + chaosScale.settleTimeoutMs;
  for (;;) {
    const response = await triggerDaily(runtime, client.clientId, client.processingDate);
    tally(answers, response.status);
    if (response.status === 202 || response.status === 200) return response.body.runId as string;
    if (response.status !== 429 && response.status < 500) throw new Error(`trigger answered ${response.status}: ${JSON.stringify(response.body)}`);
    if (Date.now() > deadline) throw new Error(`trigger kept answering ${response.status}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Polls the run over the API, as core billing does, until it is settled; a 429 or 5xx answer is
 * polled again (and tallied). Then waits until the orchestrator is idle, so that nothing of the
 * run is still in flight when the invariants read it.
 */
export async function pollUntilSettled(runtime: LocalRuntime, clientId: string, runId: string, answers?: AnswerTally): Promise<Run> {
  const deadline = Date.now() + chaosScale.settleTimeoutMs;
  for (;;) {
    const response = await callApi(runtime, 'GET', `/v1/clients/${clientId}/runs/${runId}`);
    tally(answers, response.status);
    if (response.status === 200 && (SETTLED_RUN_STATUSES as readonly string[]).includes(response.body.status)) break;
    if (response.status !== 200 && response.status !== 429 && response.status < 500) throw new Error(`GET run answered ${response.status}: ${JSON.stringify(response.body)}`);
    if (Date.now() > deadline) throw new Error(`run ${runId} is ${response.body?.status ?? response.status} after ${chaosScale.settleTimeoutMs} ms, not settled`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await runtime.orchestrator.idle();
  const run = await runtime.runStore.getRun(runId, true);
  if (!run) throw new Error(`run ${runId} disappeared`);
  return run;
}

/** What the ledger must look like after a settled daily run of this client. */
export function ledgerExpectationAfter(run: Run): LedgerExpectation {
  return run.status === 'COMPLETED' ? { billedDates: [run.processingDate] } : { billedDates: [], partlyBilledDates: [run.processingDate] };
}

/** Every invariant of a settled daily run: settled, statistics true, outcomes truthful, ledger exactly once. */
export async function expectInvariants(runtime: LocalRuntime, client: SeededClient, runId: string, expectation?: LedgerExpectation): Promise<Run> {
  const run = await expectRunSettled(runtime, client.clientId, runId);
  await expectOutcomesTruthful(runtime, client.clientId, runId);
  await expectLedgerExactlyOnce(runtime, client.clientId, expectation ?? ledgerExpectationAfter(run));
  return run;
}

/**
 * With the fault removed: reprocesses a FAILED run (scope RUN, its failed items) and expects it to
 * complete; a run that completed despite the fault (and, at full scale, every run) is then
 * reprocessed from job 1 with ALL items, which offers every item of the sequence again although
 * its effect exists. After each reprocess every invariant holds: nothing billed or synced twice.
 */
export async function reprocessToCompletion(runtime: LocalRuntime, client: SeededClient, runId: string): Promise<Run> {
  let run = await pollUntilSettled(runtime, client.clientId, runId);
  const failed = run.status === 'FAILED';
  if (failed) {
    const reprocess = await callApi(runtime, 'POST', `/v1/clients/${client.clientId}/runs/${runId}/reprocess`, { scope: 'RUN' });
    expect(reprocess.status, JSON.stringify(reprocess.body)).toBe(202);
    run = await pollUntilSettled(runtime, client.clientId, runId);
  }
  expect(run.status, JSON.stringify(run.error ?? {})).toBe('COMPLETED');
  run = await expectInvariants(runtime, client, runId, { billedDates: [client.processingDate] });
  if (failed && chaosScale.name === 'short') return run;

  const again = await callApi(runtime, 'POST', `/v1/clients/${client.clientId}/runs/${runId}/reprocess`, { scope: 'JOB', seq: 1, items: 'ALL' });
  expect(again.status, JSON.stringify(again.body)).toBe(202);
  run = await pollUntilSettled(runtime, client.clientId, runId);
  expect(run.status, JSON.stringify(run.error ?? {})).toBe('COMPLETED');
  return expectInvariants(runtime, client, runId, { billedDates: [client.processingDate] });
}
