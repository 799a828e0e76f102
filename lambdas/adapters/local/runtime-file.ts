import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * `<DATA_DIR>/runtime.json`: where a running `npm start` serves, so that the operator commands
 * (`npm run seed`, `npm run ledger`) work against its DynamoDB Local and core billing stand-in
 * instead of starting a second DynamoDB Local on the same database files.
 */
export const RuntimeFileSchema = z.object({
  pid: z.number().int(),
  apiUrl: z.string(),
  dynamoEndpoint: z.string(),
  tablePrefix: z.string(),
  coreBillingUrl: z.string(),
});
export type RuntimeFile = z.infer<typeof RuntimeFileSchema>;

const FILE_NAME = 'runtime.json';

export function writeRuntimeFile(dataDir: string, info: RuntimeFile): void {
  writeFileSync(join(dataDir, FILE_NAME), `${JSON.stringify(info, null, 2)}\n`);
}

export function removeRuntimeFile(dataDir: string): void {
  rmSync(join(dataDir, FILE_NAME), { force: true });
}

/** The running runtime of this data directory, or undefined when none runs (a stale file is ignored). */
export function readRuntimeFile(dataDir: string): RuntimeFile | undefined {
  const path = join(dataDir, FILE_NAME);
  if (!existsSync(path)) return undefined;
  const parsed = RuntimeFileSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) return undefined;
  try {
    process.kill(parsed.data.pid, 0);
    return parsed.data;
  } catch {
    return undefined;
  }
}
