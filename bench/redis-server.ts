import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { sleep } from '../lambdas/adapters/aws/backoff';
import { freePort } from '../lambdas/adapters/local/dynamo-local';
import { peakRssKiB } from './process-memory';
import { RespClient } from './resp-client';

export interface RedisServer {
  host: string;
  port: number;
  pid: number;
  version: string;
  /** VmHWM of the redis-server process; read it before `stop`. */
  peakRssKiB(): number | undefined;
  stop(): Promise<void>;
}

/**
 * Starts Debian's redis-server for the BullMQ comparison on a free loopback port, in a temporary
 * directory, without persistence (`--save '' --appendonly no`: the comparison measures the queue,
 * not snapshots), and waits until it answers PING. The bench fails with the install command when
 * redis-server is missing rather than installing a system package by itself.
 */
export async function startRedisServer(): Promise<RedisServer> {
  const binary = findRedisServer();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'jsm-bench-redis-'));
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--loglevel', 'warning'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // A crashed bench must not leave a Redis server behind.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const version = await waitUntilReady(child, port, () => output);
    return { host: '127.0.0.1', port, pid: child.pid as number, version, peakRssKiB: () => peakRssKiB(child.pid), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function findRedisServer(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter).concat('/usr/bin', '/usr/sbin')) {
    const candidate = join(dir, 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  throw new Error('redis-server is not installed; the BullMQ comparison needs it: apt-get install redis-server (or run the bench with --bullmq false)');
}

async function waitUntilReady(child: ChildProcess, port: number, output: () => string): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited (code ${child.exitCode}): ${output()}`);
    const client = new RespClient('127.0.0.1', port);
    try {
      await client.connect();
      const info = await client.send<string>('INFO', ['server']);
      return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${port}: ${output()}`, { cause: error });
      await sleep(100);
    } finally {
      client.close();
    }
  }
}
