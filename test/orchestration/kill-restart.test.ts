import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../lambdas/adapters/local/dynamo-local';
import { dynamoLocalsOf } from '../chaos/support/process-runtime';

/**
 * `npm start`'s entry point as its own process, killed with SIGKILL in the middle of a run and
 * started again on the same DATA_DIR: the run is resumed and completes, with no item recorded
 * twice, and the orphaned DynamoDB Local of the killed process is stopped.
 */
const ROOT = resolve(import.meta.dirname, '..', '..');
const TOKEN = 'kill-restart-token';
const ITEMS = 12_000;

interface Runtime {
  child: ChildProcess;
  /** The last few KB the process printed, for a failure message. */
  output(): string;
}

function startRuntime(port: number, dataDir: string): Runtime {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/local.ts'], {
    cwd: ROOT,
    // The core billing stand-in picks its own free port: PORT + 1 may be taken on a busy machine.
    // SCHEDULER=off: nothing fires for the real today beside the run under test.
    env: { ...process.env, PORT: String(port), CORE_BILLING_PORT: '0', DATA_DIR: dataDir, ADMIN_TOKEN: TOKEN, DEMO: 'false', SCHEDULER: 'off' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let printed = '';
  const keep = (chunk: Buffer): void => {
    printed = (printed + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, output: () => printed };
}

async function call(port: number, method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return response.json();
}

/** Start-up compiles TypeScript and starts a JVM: on a loaded 2-core machine that can take a minute. */
async function untilHealthy(port: number, runtime: Runtime): Promise<void> {
  for (let i = 0; i < 900; i++) {
    if (runtime.child.exitCode !== null) throw new Error(`the runtime exited with ${runtime.child.exitCode}: ${runtime.output()}`);
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the runtime did not become healthy in 180 s: ${runtime.output()}`);
}

describe('the local runtime killed with SIGKILL during a run', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'jsm-kill-'));
  const children: Runtime[] = [];

  afterAll(() => {
    for (const { child } of children) child.kill('SIGKILL');
    for (const pid of dynamoLocalsOf(dataDir)) process.kill(pid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('resumes the run after a restart and completes it with every item recorded once', async () => {
    const port = await freePort();
    const first = startRuntime(port, dataDir);
    children.push(first);
    await untilHealthy(port, first);
    await call(port, 'PUT', '/v1/clients/acme', { name: 'Acme', timezone: 'UTC' });
    const schedule = await call(port, 'POST', '/v1/clients/acme/schedules', {
      name: 'Long synthetic',
      frequency: { type: 'MANUAL' },
      executionTime: '00:00:00',
      timezone: 'UTC',
      jobs: [{ type: 'SYNTHETIC', settings: { items: ITEMS, batchSize: 100, delayMs: 40 } }],
    });
    const run = await call(port, 'POST', `/v1/clients/acme/schedules/${schedule.scheduleId}/runs`, { processingDate: '2026-11-25' });
    let progress = 0;
    for (let i = 0; i < 600 && progress < ITEMS * 0.2; i++) {
      await new Promise((r) => setTimeout(r, 100));
      progress = (await call(port, 'GET', `/v1/clients/acme/runs/${run.runId}`)).stats.items.succeeded;
    }
    expect(progress).toBeGreaterThan(0);
    expect(progress).toBeLessThan(ITEMS);

    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    expect(dynamoLocalsOf(dataDir)).toHaveLength(1);

    const second = startRuntime(port, dataDir);
    children.push(second);
    await untilHealthy(port, second);
    let current = await call(port, 'GET', `/v1/clients/acme/runs/${run.runId}`);
    for (let i = 0; i < 1200 && (current.status === 'RUNNING' || current.status === 'PENDING'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      current = await call(port, 'GET', `/v1/clients/acme/runs/${run.runId}`);
    }

    expect(current.status).toBe('COMPLETED');
    expect(current.stats.items).toEqual({ total: ITEMS, succeeded: ITEMS, failed: 0, pending: 0 });
    const attempts = new Map<number, number>();
    let nextToken: string | undefined;
    do {
      const page = await call(port, 'GET', `/v1/clients/acme/runs/${run.runId}/jobs/1/items?limit=1000${nextToken ? `&nextToken=${nextToken}` : ''}`);
      for (const item of page.items) attempts.set(item.attempts, (attempts.get(item.attempts) ?? 0) + 1);
      nextToken = page.nextToken;
    } while (nextToken);
    expect(Object.fromEntries(attempts)).toEqual({ 1: ITEMS });
    expect(dynamoLocalsOf(dataDir)).toHaveLength(1);

    second.child.kill('SIGINT');
    const code = await new Promise((r) => second.child.once('exit', r));
    expect(code).toBe(0);
    expect(dynamoLocalsOf(dataDir)).toEqual([]);
  }, 480_000);
});
