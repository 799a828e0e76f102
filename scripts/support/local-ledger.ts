import { join, resolve } from 'node:path';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoLedger } from '../../lambdas/adapters/aws/dynamo-ledger';
import { LEDGER_TABLE, TABLES } from '../../lambdas/adapters/aws/table-definitions';
import { ensureTables, localDynamoClient, startDynamoLocal, type DynamoLocal } from '../../lambdas/adapters/local/dynamo-local';
import { readRuntimeFile, type RuntimeFile } from '../../lambdas/adapters/local/runtime-file';

export interface LocalLedger {
  ledger: DynamoLedger;
  /** The running `npm start` of this data directory, if any. */
  runtime: RuntimeFile | undefined;
  /** Where the data is: the running runtime's DynamoDB Local, or this command's own. */
  where: string;
  close(): Promise<void>;
}

/**
 * The ledger of the local runtime's data directory (DATA_DIR, default .data): through the running
 * `npm start` when there is one (two DynamoDB Locals must not open the same files), otherwise
 * through a DynamoDB Local this command starts and stops on the same files.
 */
export async function openLocalLedger(): Promise<LocalLedger> {
  const dataDir = resolve(process.env.DATA_DIR ?? '.data');
  const runtime = readRuntimeFile(dataDir);
  const dynamo: DynamoLocal | undefined = runtime ? undefined : await startDynamoLocal({ dataDir: join(dataDir, 'dynamodb') });
  const endpoint = runtime?.dynamoEndpoint ?? (dynamo as DynamoLocal).endpoint;
  const prefix = runtime?.tablePrefix ?? 'local';
  const client = localDynamoClient(endpoint);
  try {
    await ensureTables(client, TABLES, (definition) => `${prefix}-${definition.id}`);
  } catch (error) {
    client.destroy();
    await dynamo?.stop();
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
    },
  };
}
