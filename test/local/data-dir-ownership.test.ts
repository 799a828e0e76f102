import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../lambdas/adapters/local/dynamo-local';
import { claimDataDir, DataDirInUseError, readRuntimeFile } from '../../lambdas/adapters/local/runtime-file';
import { dynamoLocalsOf } from '../chaos/support/process-runtime';
import { ADMIN_TOKEN, startTestRuntime } from '../support/local-runtime';

/**
 * `npm start` owns its DATA_DIR: an operator command run while it starts or runs goes through it
 * (never a second DynamoDB Local on the same files, which used to kill the runtime's own), a
 * second npm start refuses, and GET /health says 200 only once every request is served.
 */
const ROOT = resolve(import.meta.dirname, '..', '..');

interface Child {
  process: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function run(args: string[], env: Record<string, string>): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let printed = '';
  const keep = (chunk: Buffer): void => {
    printed = (printed + chunk.toString()).slice(-6000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { process: child, output: () => printed, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the data directory of npm start', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'jsm-owner-'));
  const children: Child[] = [];

  afterAll(() => {
    for (const child of children) child.process.kill('SIGKILL');
    for (const pid of dynamoLocalsOf(dataDir)) process.kill(pid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves operator commands run during start-up and after through the runtime, refuses a second npm start, and is healthy only when ready', async () => {
    const port = await freePort();
    const env = { DATA_DIR: dataDir, PORT: String(port), CORE_BILLING_PORT: '0', ADMIN_TOKEN, SCHEDULER: 'off' };
    const runtime = run(['bin/local.ts'], env);
    children.push(runtime);
    await until(() => existsSync(join(dataDir, 'owner.lock')) || runtime.process.exitCode !== null, 'npm start to claim its data directory');
    expect(readRuntimeFile(dataDir), 'runtime.json before ready').toBeUndefined();

    const seedDuringStart = run(['scripts/seed.ts', '--client', 'early', '--accounts', '3', '--usage-per-account', '1'], { DATA_DIR: dataDir });
    children.push(seedDuringStart);
    const healthBeforeReady: string[] = [];
    let mostDynamoLocals = 0;
    await until(async () => {
      mostDynamoLocals = Math.max(mostDynamoLocals, dynamoLocalsOf(dataDir).length);
      if (runtime.process.exitCode !== null) throw new Error(`npm start exited: ${runtime.output()}`);
      const health = await fetch(`http://127.0.0.1:${port}/health`).then(
        (response) => response.status,
        () => 0,
      );
      if (health !== 200) return false;
      // 200 means ready for everything: runtime.json is there and the demo client is served.
      if (!readRuntimeFile(dataDir)) healthBeforeReady.push('runtime.json missing');
      const demo = await fetch(`http://127.0.0.1:${port}/v1/clients/demo`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      if (demo.status !== 200) healthBeforeReady.push(`GET /v1/clients/demo answered ${demo.status}`);
      return true;
    }, 'npm start to be healthy');
    expect(await seedDuringStart.exited, seedDuringStart.output()).toBe(0);
    expect(seedDuringStart.output()).toContain('into the running runtime');
    expect(healthBeforeReady).toEqual([]);

    const seedAfter = run(['scripts/seed.ts', '--client', 'late', '--accounts', '3', '--usage-per-account', '1'], { DATA_DIR: dataDir });
    const coreStatus = run(['scripts/ledger.ts', 'core', 'status'], { DATA_DIR: dataDir });
    const secondStart = run(['bin/local.ts'], { ...env, PORT: String(await freePort()) });
    children.push(seedAfter, coreStatus, secondStart);
    expect(await seedAfter.exited, seedAfter.output()).toBe(0);
    expect(await coreStatus.exited, coreStatus.output()).toBe(0);
    expect(JSON.parse(coreStatus.output())).toMatchObject({ rejections: {}, outage: null });
    expect(await secondStart.exited).toBe(1);
    expect(secondStart.output()).toContain(`is in use by npm start (pid ${runtime.process.pid})`);

    expect(mostDynamoLocals).toBeLessThanOrEqual(1);
    expect(dynamoLocalsOf(dataDir)).toHaveLength(1);
    expect(runtime.process.exitCode).toBeNull();
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    runtime.process.kill('SIGINT');
    expect(await runtime.exited, runtime.output()).toBe(0);
    expect(dynamoLocalsOf(dataDir)).toEqual([]);
    expect(existsSync(join(dataDir, 'owner.lock'))).toBe(false);
  }, 420_000);
});

describe('owning a data directory', () => {
  it('refuses a live owner, naming it, and takes over the lock of an owner that is gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jsm-lock-'));
    const live = claimDataDir(dir, 'command', 'npm run seed');
    expect(() => claimDataDir(dir, 'runtime', 'npm start')).toThrow(DataDirInUseError);
    expect(() => claimDataDir(dir, 'runtime', 'npm start')).toThrow(`is in use by npm run seed (pid ${process.pid})`);
    live.release();

    const gone = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => gone.once('exit', resolve));
    writeFileSync(join(dir, 'owner.lock'), JSON.stringify({ pid: gone.pid, kind: 'runtime', description: 'npm start' }));
    const taken = claimDataDir(dir, 'runtime', 'npm start');
    expect(() => claimDataDir(dir, 'command', 'npm run ledger')).toThrow(`is in use by npm start (pid ${process.pid})`);
    taken.release();
    expect(existsSync(join(dir, 'owner.lock'))).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers /health with 503 until the runtime is marked ready', async () => {
    const runtime = await startTestRuntime({ holdReadiness: true });
    try {
      expect((await fetch(`${runtime.url}/health`)).status).toBe(503);

      runtime.markReady();

      expect((await fetch(`${runtime.url}/health`)).status).toBe(200);
    } finally {
      await runtime.stop();
    }
  });
});
