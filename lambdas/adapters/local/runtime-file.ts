import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * `<DATA_DIR>/runtime.json`, written once `npm start` serves every request: the operator commands
 * use its DynamoDB Local and core billing stand-in instead of a second DynamoDB Local on the same files.
 */
export const RuntimeFileSchema = z.object({
  pid: z.number().int(),
  apiUrl: z.string(),
  dynamoEndpoint: z.string(),
  tablePrefix: z.string(),
  coreBillingUrl: z.string(),
  coreBillingControlToken: z.string().min(1),
  /**
   * The admin token, so that `npm run ledger` and `npm run seed` on this machine need none of
   * their own: whoever can read this mode-600 file can read the runtime's environment too.
   */
  adminToken: z.string().min(1),
});
export type RuntimeFile = z.infer<typeof RuntimeFileSchema>;

/**
 * `<DATA_DIR>/owner.lock`: the one process that owns the data directory (its DynamoDB Local
 * files, runtime.json, core billing's store). Created with O_EXCL; a lock whose process is gone
 * (killed with SIGKILL) is stale and taken over.
 */
const LockSchema = z.object({
  pid: z.number().int(),
  /** `runtime`: npm start, which will write runtime.json; `command`: an operator command with its own DynamoDB Local. */
  kind: z.enum(['runtime', 'command']),
  description: z.string(),
  /** The process's start time (/proc/<pid>/stat), so that a reused pid is not taken for the owner. */
  processStart: z.string().optional(),
});
export type DataDirOwner = z.infer<typeof LockSchema>;

export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';

  constructor(
    readonly dataDir: string,
    readonly owner: DataDirOwner,
  ) {
    super(`${dataDir} is in use by ${owner.description} (pid ${owner.pid}); only one process may open a data directory at a time`);
  }
}

const FILE_NAME = 'runtime.json';
const LOCK_NAME = 'owner.lock';

export function writeRuntimeFile(dataDir: string, info: RuntimeFile): void {
  // A fresh file renamed into place: the mode of a file left by a killed runtime never applies
  // to the tokens, and a reader never sees half of it.
  const fresh = join(dataDir, `${FILE_NAME}.${process.pid}`);
  rmSync(fresh, { force: true });
  writeFileSync(fresh, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  renameSync(fresh, join(dataDir, FILE_NAME));
}

export function removeRuntimeFile(dataDir: string): void {
  rmSync(join(dataDir, FILE_NAME), { force: true });
}

/** The running runtime of this data directory, or undefined when none serves (a file its owner left behind is ignored). */
export function readRuntimeFile(dataDir: string): RuntimeFile | undefined {
  const path = join(dataDir, FILE_NAME);
  if (!existsSync(path)) return undefined;
  const parsed = RuntimeFileSchema.safeParse(parseJson(readFileSync(path, 'utf8')));
  if (!parsed.success) return undefined;
  return dataDirOwner(dataDir)?.pid === parsed.data.pid ? parsed.data : undefined;
}

/** The live owner of the data directory, if any. */
export function dataDirOwner(dataDir: string): DataDirOwner | undefined {
  const owner = readLock(join(dataDir, LOCK_NAME));
  return owner && isAlive(owner) ? owner : undefined;
}

/**
 * Makes this process the data directory's owner until `release()`, or throws DataDirInUseError
 * naming the live owner. The directory must exist.
 */
export function claimDataDir(dataDir: string, kind: DataDirOwner['kind'], description: string): { release(): void } {
  const path = join(dataDir, LOCK_NAME);
  const mine: DataDirOwner = { pid: process.pid, kind, description, ...optionalStart(process.pid) };
  const text = JSON.stringify(mine);
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      writeFileSync(path, text, { flag: 'wx', mode: 0o600 });
      return { release: () => releaseLock(path, text) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const seen = existsSync(path) ? readFileSync(path, 'utf8') : '';
    const owner = readLock(path);
    if (owner && isAlive(owner)) throw new DataDirInUseError(dataDir, owner);
    if (!owner && seen && attempt === 0) {
      // Another process may be between creating the lock and writing it: look once more.
      sleepSync(100);
      continue;
    }
    // Stale: moved aside under a name of our own, so that of two processes taking it over, only
    // one removes it; a lock that changed meanwhile is someone's live claim and goes back.
    const aside = `${path}.${process.pid}`;
    try {
      renameSync(path, aside);
    } catch {
      continue;
    }
    if (readFileSync(aside, 'utf8') !== seen) {
      renameSync(aside, path);
      continue;
    }
    rmSync(aside, { force: true });
  }
  const owner = readLock(path);
  if (owner) throw new DataDirInUseError(dataDir, owner);
  throw new Error(`could not claim ${dataDir}: ${path} keeps changing`);
}

/**
 * The running runtime of the data directory; while `npm start` owns it but is still starting,
 * waits up to `waitMs` for it to be ready. Undefined when nothing owns the directory.
 * Throws DataDirInUseError when an operator command owns it.
 */
export async function awaitRuntime(dataDir: string, waitMs: number, onWait?: (owner: DataDirOwner) => void): Promise<RuntimeFile | undefined> {
  const deadline = Date.now() + waitMs;
  let told = false;
  for (;;) {
    const runtime = readRuntimeFile(dataDir);
    if (runtime) return runtime;
    const owner = dataDirOwner(dataDir);
    if (!owner) return undefined;
    if (owner.kind === 'command' || Date.now() > deadline) throw new DataDirInUseError(dataDir, owner);
    if (!told) onWait?.(owner);
    told = true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function releaseLock(path: string, text: string): void {
  try {
    if (readFileSync(path, 'utf8') === text) rmSync(path, { force: true });
  } catch {
    // Already gone: nothing to release.
  }
}

function readLock(path: string): DataDirOwner | undefined {
  if (!existsSync(path)) return undefined;
  const parsed = LockSchema.safeParse(parseJson(readFileSync(path, 'utf8')));
  return parsed.success ? parsed.data : undefined;
}

function isAlive(owner: DataDirOwner): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return owner.processStart === undefined || processStart(owner.pid) === owner.processStart;
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot); undefined where there is no /proc. */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function optionalStart(pid: number): { processStart?: string } {
  const start = processStart(pid);
  return start === undefined ? {} : { processStart: start };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
