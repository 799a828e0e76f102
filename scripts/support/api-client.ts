import { resolve } from 'node:path';
import { awaitRuntime, readRuntimeFile, type RuntimeFile } from '../../lambdas/adapters/local/runtime-file';

/** How long a command waits for an `npm start` that is still starting (a JVM on a busy machine). */
const RUNTIME_START_WAIT_MS = 180_000;
/** A 1,000-record usage import on a busy DynamoDB Local takes seconds, not minutes. */
const REQUEST_TIMEOUT_MS = 120_000;

const START_HINT =
  'start the local runtime with npm start (same DATA_DIR), or name an API with --api or JSM_API_URL and a token with --token or JSM_TOKEN (the admin token npm start prints, or an operator token from API_TOKENS)';

/** The command cannot talk to any API: what to start, and which token to use. */
export class NoApiError extends Error {}

/** An error answer of the API, as its error model names it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ReadonlyArray<{ path?: string; message?: string }>,
  ) {
    super(message);
  }
}

export interface ApiResponse {
  status: number;
  body: any;
  headers: Headers;
}

/** The job schedule manager's HTTP API, with a bearer token, as every client of the product uses it. */
export interface Api {
  url: string;
  /** Where the commands' changes go, for their reports; never the token. */
  where: string;
  /** An error answer is thrown as ApiError unless its status is in `accept`. */
  request(method: string, path: string, body?: unknown, options?: { headers?: Record<string, string>; accept?: number[] }): Promise<ApiResponse>;
  /** The runtime of DATA_DIR, when the API is its own (for the core billing stand-in). */
  runtime: RuntimeFile | undefined;
}

/**
 * The API at `--api`, JSM_API_URL or the running runtime's apiUrl, with `--token`, JSM_TOKEN or,
 * for that runtime's own API only, the admin token it recorded: a local admin token is never
 * sent to another URL.
 */
export async function connectApi(flags: { api?: string | undefined; token?: string | undefined }): Promise<Api> {
  const dataDir = resolve(process.env.DATA_DIR ?? '.data');
  const named = flags.api ?? process.env.JSM_API_URL;
  const runtime = named === undefined ? await findRuntime(dataDir) : readRuntimeFile(dataDir);
  const url = trimSlash(named ?? runtime?.apiUrl ?? '');
  if (!url) throw new NoApiError(`no API to talk to: nothing runs on ${dataDir}. ${capitalize(START_HINT)}.`);
  const own = runtime !== undefined && trimSlash(runtime.apiUrl) === url ? runtime : undefined;
  const token = flags.token ?? process.env.JSM_TOKEN ?? own?.adminToken;
  if (!token) throw new NoApiError(`no token for ${url}: pass --token or JSM_TOKEN (the admin token of that runtime, or an operator token from API_TOKENS)`);
  return {
    url,
    where: own ? `the running runtime (${url}, pid ${own.pid})` : url,
    runtime,
    request: async (method, path, body, options = {}) => {
      let response: Response;
      try {
        response = await fetch(`${url}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
      } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        throw new NoApiError(`cannot reach the API at ${url} (${cause?.code ?? cause?.message ?? (error as Error).message}): ${START_HINT}`);
      }
      const text = await response.text();
      const parsed = text ? parseJson(text) : undefined;
      if (response.status >= 400 && !options.accept?.includes(response.status)) {
        const error = parsed?.error;
        throw new ApiError(response.status, error?.code ?? `HTTP_${response.status}`, error?.message ?? text.slice(0, 500), Array.isArray(error?.details) ? error.details : []);
      }
      return { status: response.status, body: parsed, headers: response.headers };
    },
  };
}

/** The running `npm start` of the data directory, waiting while it starts; undefined when none owns it. */
export async function findRuntime(dataDir: string): Promise<RuntimeFile | undefined> {
  return awaitRuntime(dataDir, RUNTIME_START_WAIT_MS, (owner) => console.log(`${dataDir} belongs to ${owner.description} (pid ${owner.pid}), which is starting: waiting until it is ready...`));
}

/** Every item of a list route, page by page, up to `max`. */
export async function* listAll(api: Api, path: string, query: Record<string, string | undefined>, max = Number.POSITIVE_INFINITY): AsyncGenerator<any> {
  let nextToken: string | undefined;
  let seen = 0;
  do {
    const params = new URLSearchParams({ limit: String(Math.min(1000, max - seen)) });
    for (const [name, value] of Object.entries({ ...query, nextToken })) if (value !== undefined) params.set(name, value);
    const { body } = await api.request('GET', `${path}?${params}`);
    for (const item of body.items) {
      yield item;
      if (++seen >= max) return;
    }
    nextToken = body.nextToken;
  } while (nextToken);
}

/** Runs `work` on each item, at most `limit` at a time; the first failure stops taking new items. */
export async function inParallel<T>(items: Iterable<T>, limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const iterator = items[Symbol.iterator]();
  let failed = false;
  const lane = async (): Promise<void> => {
    for (let next = iterator.next(); !next.done && !failed; next = iterator.next()) {
      try {
        await work(next.value);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: limit }, lane));
}

/** How a command prints an API error: its code and message, then the details it names. */
export function describeApiError(error: ApiError): string {
  return [`${error.code}: ${error.message}`, ...error.details.map((detail) => `  ${detail.path ?? ''}: ${detail.message ?? ''}`)].join('\n');
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function parseJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
