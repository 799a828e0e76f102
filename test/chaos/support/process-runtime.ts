import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { readRuntimeFile, type RuntimeFile } from '../../../lambdas/adapters/local/runtime-file';

/**
 * `npm start`'s entry point (bin/local.ts) as a process of its own, as an operator runs it: to be
 * killed with SIGKILL in the middle of a run and started again on the same DATA_DIR.
 */
const ROOT = resolve(import.meta.dirname, '..', '..', '..');
/**
 * Start-up compiles TypeScript and starts a JVM (and, after a SIGKILL, stops the orphaned one
 * first): a loaded 2-core machine has been seen to need most of a minute.
 */
const START_BUDGET_MS = 180_000;

export class RuntimeProcess {
  private printed = '';
  private readonly exited: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly dataDir: string,
  ) {
    const keep = (chunk: Buffer): void => {
      this.printed = (this.printed + chunk.toString()).slice(-6000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Starts the runtime and waits until it answers /health; `runtimeFile` then says where its parts serve. */
  static async start(options: { port: number; dataDir: string; adminToken: string }): Promise<RuntimeProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/local.ts'], {
      cwd: ROOT,
      // The core billing stand-in picks its own free port: PORT + 1 may be taken on a busy machine.
      // SCHEDULER=off: the runtime would otherwise fire the clients' daily schedules for the real
      // today beside the dates the tests trigger.
      env: { ...process.env, PORT: String(options.port), CORE_BILLING_PORT: '0', DATA_DIR: options.dataDir, ADMIN_TOKEN: options.adminToken, DEMO: 'false', SCHEDULER: 'off' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const runtime = new RuntimeProcess(child, options.port, options.dataDir);
    await runtime.untilHealthy();
    return runtime;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** What the runtime wrote to DATA_DIR/runtime.json: its DynamoDB Local, table prefix and core billing stand-in. */
  get runtimeFile(): RuntimeFile {
    const file = readRuntimeFile(this.dataDir);
    if (!file || file.pid !== this.child.pid) throw new Error(`no runtime.json of pid ${this.child.pid} in ${this.dataDir}: ${this.output()}`);
    return file;
  }

  /** The last few KB the process printed, for a failure message. */
  output(): string {
    return this.printed;
  }

  /** Sends the signal and waits for the process to exit; its exit code (null when killed by the signal). */
  async stop(signal: 'SIGKILL' | 'SIGINT'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }

  private async untilHealthy(): Promise<void> {
    const deadline = Date.now() + START_BUDGET_MS;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`the runtime exited with ${this.child.exitCode}: ${this.output()}`);
      const ok = await fetch(`${this.url}/health`).then(
        (response) => response.ok,
        () => false,
      );
      if (ok && readRuntimeFile(this.dataDir)?.pid === this.child.pid) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`the runtime did not become healthy in ${START_BUDGET_MS / 1000} s: ${this.output()}`);
  }
}

/** The DynamoDB Local (Java) processes serving files under dataDir. */
export function dynamoLocalsOf(dataDir: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        return cmdline.includes('DynamoDBLocal') && cmdline.includes(dataDir);
      } catch {
        return false;
      }
    })
    .map(Number);
}
