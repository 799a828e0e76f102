import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { startLocalRuntime, type LocalRuntime, type LocalRuntimeOptions } from '../../lambdas/composition/local-runtime';
import type { RunStatus } from '../../lambdas/domain/model';
import type { RunView } from '../../lambdas/services/run-operations';
import { silentLogger } from './engine-harness';

export const ADMIN_TOKEN = 'test-admin-token';

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
