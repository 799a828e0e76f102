import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { parseApiTokens } from '../lambdas/api/auth';
import { startLocalRuntime } from '../lambdas/composition/local-runtime';
import { seedDemo } from '../lambdas/composition/demo-seed';
import { claimDataDir, DataDirInUseError, removeRuntimeFile, writeRuntimeFile } from '../lambdas/adapters/local/runtime-file';

/**
 * `npm start`: the whole product on this machine — DynamoDB Local, the schedule-run ASL in the
 * local interpreter, the in-process work queue and workers, the HTTP API and the console — with a
 * demo client. Settings come from the environment (README, "Local settings").
 */
const Settings = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  DATA_DIR: z.string().min(1).default('.data'),
  ADMIN_TOKEN: z.string().min(1).optional(),
  API_TOKENS: z.string().optional(),
  HOST: z.string().min(1).default('127.0.0.1'),
  DEMO: z.enum(['true', 'false']).default('true'),
  /** Port of the core billing stand-in; default PORT + 1 (0 when PORT is 0). */
  CORE_BILLING_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  /** `off`: schedules never fire by themselves (API triggers still run), e.g. for tests that own the date. */
  SCHEDULER: z.enum(['on', 'off']).default('on'),
});

const CONSOLE_DIR = resolve(import.meta.dirname, '..', 'console');

async function main(): Promise<void> {
  const settings = Settings.parse(process.env);
  // Before the data directory is claimed: a typo in API_TOKENS stops start-up with nothing to clean up.
  const apiTokens = parseApiTokens(settings.API_TOKENS);
  const adminToken = settings.ADMIN_TOKEN ?? randomBytes(18).toString('base64url');
  const started = Date.now();
  const dataDir = resolve(settings.DATA_DIR);
  mkdirSync(dataDir, { recursive: true });
  // One owner per data directory: a second DynamoDB Local on the same files, or a restart that
  // took the running one for an orphan, would kill the first runtime's database.
  let owner: { release(): void };
  try {
    owner = claimDataDir(dataDir, 'runtime', 'npm start');
  } catch (error) {
    if (!(error instanceof DataDirInUseError)) throw error;
    console.error(`${error.message}. Stop it, or start with another DATA_DIR.`);
    process.exit(1);
  }
  const runtime = await startLocalRuntime({
    port: settings.PORT,
    host: settings.HOST,
    dataDir,
    holdReadiness: true,
    schedule: settings.SCHEDULER === 'on',
    adminToken,
    apiTokens,
    ...(existsSync(CONSOLE_DIR) ? { consoleDir: CONSOLE_DIR } : {}),
    coreBilling: {
      port: settings.CORE_BILLING_PORT ?? (settings.PORT === 0 ? 0 : settings.PORT + 1),
      // What core billing accepted survives a restart, so its dedupe by idempotency key does too.
      storePath: resolve(settings.DATA_DIR, 'core-billing', 'accepted.jsonl'),
    },
  });
  if (settings.DEMO === 'true') await seedDemo(runtime.schedules, runtime.ledger);
  writeRuntimeFile(dataDir, {
    pid: process.pid,
    apiUrl: runtime.url,
    dynamoEndpoint: runtime.dynamoEndpoint,
    tablePrefix: runtime.tablePrefix,
    coreBillingUrl: runtime.coreBilling.url,
    coreBillingControlToken: runtime.coreBilling.controlToken,
    adminToken,
  });
  runtime.markReady();

  console.log(`Job schedule manager is ready at ${runtime.url} (in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  console.log(`  data:        ${dataDir}`);
  console.log(`  admin token: ${settings.ADMIN_TOKEN ? '(from ADMIN_TOKEN)' : adminToken} (npm run ledger and npm run seed read it from ${dataDir}/runtime.json)`);
  console.log(`  core billing stand-in: ${runtime.coreBilling.url} (control API: npm run ledger -- core status; its token is in ${dataDir}/runtime.json)`);
  if (settings.SCHEDULER === 'off') console.log('  scheduler:   off (SCHEDULER=off): schedules run only when triggered');
  console.log(`  try:         curl -H "Authorization: Bearer <admin token>" ${runtime.url}/v1/clients/demo/schedules`);
  if (runtime.resumed.length > 0) console.log(`  resumed ${runtime.resumed.length} run(s) that were active at the last stop`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping (DynamoDB Local included)...`);
    const forced = setTimeout(() => process.exit(1), 20_000);
    forced.unref();
    removeRuntimeFile(dataDir);
    runtime.stop().then(
      () => {
        owner.release();
        process.exit(0);
      },
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
