import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { startLocalRuntime, type LocalRuntime, type LocalRuntimeOptions } from '../../lambdas/composition/local-runtime';
import type { RunStatus } from '../../lambdas/domain/model';
import type { Clock } from '../../lambdas/ports/clock';
import type { RunView } from '../../lambdas/domain/run';
import { silentLogger } from './engine-harness';

export const ADMIN_TOKEN = 'test-admin-token';

/** Where the test runtimes' clock starts: what they take for "now" never depends on the real date. */
export const TEST_CLOCK_START = '2026-11-25T12:00:00Z';
const loadedAt = Date.now();
/**
 * Starts at TEST_CLOCK_START and runs at real speed (leases and timeouts still pass), shared by
 * every runtime of a test file, so a runtime started again sees time move on, not back.
 */
export const testClock: Clock = { now: () => new Date(Date.parse(TEST_CLOCK_START) + Date.now() - loadedAt) };

/** The local runtime on the test run's DynamoDB Local, with its own tables and an ephemeral port. */
export async function startTestRuntime(overrides: Partial<LocalRuntimeOptions> = {}): Promise<LocalRuntime> {
  return startLocalRuntime({
    port: 0,
    dataDir: '.data/unused-by-tests',
    adminToken: ADMIN_TOKEN,
    dynamoEndpoint: inject('dynamoEndpoint'),
    tablePrefix: `rt${randomBytes(4).toString('hex')}`,
    logger: silentLogger,
    batchTimeoutSeconds: 60,
    // The local scheduler's timer would fire the clients' daily schedules whenever a test happens
    // to run at their hour: tests that schedule drive `scheduler.tick()` or turn it on.
    schedule: false,
    clock: testClock,
    // The interpreter's Wait states sleep until an instant of the real clock, not of the
    // runtime's: with a clock of its own, a queued run or an exception window looks again soon.
    // Likewise the waits for dependencies, the client's ledger and a manual start (docs/waits.md).
    waitTimeOverrides: { WaitForPreviousRun: 200, WaitForExceptionWindow: 200, WaitForDependencies: 200, WaitForLedger: 200, WaitForManualStart: 200 },
    ...overrides,
  });
}

/** Polls a run, as core billing does, until it reaches one of the statuses. */
export async function waitForRun(runtime: LocalRuntime, clientId: string, runId: string, statuses: RunStatus[], timeoutMs = 45_000): Promise<RunView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await runtime.engine.runs.getRun(clientId, runId);
    if (statuses.includes(run.status)) {
      await runtime.orchestrator.idle();
      return runtime.engine.runs.getRun(clientId, runId);
    }
    if (Date.now() > deadline) throw new Error(`run ${runId} is ${run.status}, not ${statuses.join('/')}, after ${timeoutMs} ms: ${JSON.stringify(run.error ?? {})}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** HTTP against the runtime's API with the admin token (or another). */
export async function api(runtime: LocalRuntime, method: string, path: string, body?: unknown, token = ADMIN_TOKEN, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(`${runtime.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}
