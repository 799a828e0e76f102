import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, inject, it } from 'vitest';

/**
 * DynamoDB Local accepts any credentials: whoever reaches its port reads and changes every
 * tenant's data. The suite's own DynamoDB Local is started by startDynamoLocal, as npm start's is.
 */
describe('DynamoDB Local as the local runtime starts it', () => {
  const port = Number(new URL(inject('dynamoEndpoint')).port);

  it('listens on loopback only', () => {
    const listening = listeningAddresses(port);

    expect(listening.length).toBeGreaterThan(0);
    expect(listening.filter((address) => !LOOPBACK.has(address))).toEqual([]);
  });

  it("refuses connections to this machine's other addresses", async () => {
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((address) => address !== undefined && !address.internal && address.family === 'IPv4')
      .map((address) => address?.address as string);

    for (const host of others) await expect(tryConnect(host, port), host).resolves.toBe('ECONNREFUSED');
  });

  // It once left dynamodb-local-metadata.json in the checkout: its telemetry writes there, the working directory.
  it('writes nothing into the directory of the process that starts it', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'dynamo-local-cwd-'));
    try {
      const module = pathToFileURL(resolve(import.meta.dirname, '../../lambdas/adapters/local/dynamo-local.ts')).href;
      const script = `const { startDynamoLocal } = await import(${JSON.stringify(module)}); const dynamo = await startDynamoLocal(); await dynamo.stop();`;
      const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

      const exitCode = await run(process.execPath, ['--import', tsx, '--input-type=module', '--eval', script], cwd);

      expect(exitCode).toBe(0);
      expect(readdirSync(cwd)).toEqual([]);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});

function run(command: string, args: string[], cwd: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code));
  });
}

/** /proc/net addresses (hex, per 32-bit word in host byte order) that are loopback: 127.0.0.1, ::ffff:127.0.0.1, ::1. */
const LOOPBACK = new Set(['0100007F', '0000000000000000FFFF00000100007F', '00000000000000000000000001000000']);
const TCP_LISTEN = '0A';

/** The local addresses of the sockets listening on the port, from /proc/net/tcp and tcp6. */
function listeningAddresses(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((fields) => fields[3] === TCP_LISTEN && fields[1]?.endsWith(`:${hexPort}`))
      .map((fields) => (fields[1] as string).split(':')[0] as string),
  );
}

function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 5_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}
