import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoLedger } from '../../lambdas/adapters/aws/dynamo-ledger';
import { LEDGER_TABLE, TABLES } from '../../lambdas/adapters/aws/table-definitions';
import { ensureTables, localDynamoClient, startDynamoLocal, type DynamoLocal } from '../../lambdas/adapters/local/dynamo-local';
import { awaitRuntime, claimDataDir, DataDirInUseError, type RuntimeFile } from '../../lambdas/adapters/local/runtime-file';

export interface LocalLedger {
  ledger: DynamoLedger;
  /** The running `npm start` of this data directory, if any. */
  runtime: RuntimeFile | undefined;
  /** Where the data is: the running runtime's DynamoDB Local, or this command's own. */
  where: string;
  close(): Promise<void>;
}

/** How long a command waits for an `npm start` that is still starting (a JVM on a busy machine). */
export const RUNTIME_START_WAIT_MS = 180_000;

/** The running `npm start` of the data directory, waiting while it starts; undefined when none owns it. */
export async function findRuntime(dataDir: string): Promise<RuntimeFile | undefined> {
  return awaitRuntime(dataDir, RUNTIME_START_WAIT_MS, (owner) => console.log(`${dataDir} belongs to ${owner.description} (pid ${owner.pid}), which is starting: waiting until it is ready...`));
}

/**
 * The ledger of the local runtime's data directory (DATA_DIR, default .data): through the running
 * `npm start` when there is one (two DynamoDB Locals must not open the same files), otherwise
 * through a DynamoDB Local this command starts and stops on the same files, owning the directory
 * meanwhile. Another command owning it is an error (DataDirInUseError), never a second DynamoDB Local.
 */
export async function openLocalLedger(command: string): Promise<LocalLedger> {
  const dataDir = resolve(process.env.DATA_DIR ?? '.data');
  const { runtime, owner } = await runtimeOrOwnership(dataDir, command);
  let dynamo: DynamoLocal | undefined;
  try {
    dynamo = runtime ? undefined : await startDynamoLocal({ dataDir: join(dataDir, 'dynamodb') });
  } catch (error) {
    owner?.release();
    throw error;
  }
  const endpoint = runtime?.dynamoEndpoint ?? (dynamo as DynamoLocal).endpoint;
  const prefix = runtime?.tablePrefix ?? 'local';
  const client = localDynamoClient(endpoint);
  try {
    await ensureTables(client, TABLES, (definition) => `${prefix}-${definition.id}`);
  } catch (error) {
    client.destroy();
    await dynamo?.stop();
    owner?.release();
    throw error;
  }
  const document = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return {
    ledger: new DynamoLedger(document, `${prefix}-${LEDGER_TABLE.id}`),
    runtime,
    where: runtime ? `the running runtime (${runtime.apiUrl}, pid ${runtime.pid})` : `${dataDir} (no runtime running)`,
    close: async () => {
      client.destroy();
      await dynamo?.stop();
      owner?.release();
    },
  };
}

/** The running runtime, or this command as the data directory's owner; a runtime that starts meanwhile wins the race and is used. */
async function runtimeOrOwnership(dataDir: string, command: string): Promise<{ runtime?: RuntimeFile; owner?: { release(): void } }> {
  for (;;) {
    const runtime = await findRuntime(dataDir);
    if (runtime) return { runtime };
    mkdirSync(dataDir, { recursive: true });
    try {
      return { owner: claimDataDir(dataDir, 'command', command) };
    } catch (error) {
      if (!(error instanceof DataDirInUseError) || error.owner.kind !== 'runtime') throw error;
    }
  }
}
