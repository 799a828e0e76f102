import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SFNClient } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { ClientIdSchema, type RunStatus } from '../lambdas/domain/model';
import { isTerminal } from '../lambdas/domain/run';
import { SyntheticSettingsSchema } from '../lambdas/jobs/synthetic-job';

/**
 * `npm run verify:deployed -- --api <url> --client <id> [--items 10000000] [--token T] [--region R] [--max-minutes 240]`
 *
 * What only a deployed stage can prove, in one command (docs/deploy.md, "After a deploy"): a
 * SYNTHETIC run of `--items` on a MANUAL schedule made for it goes through the real API, state
 * machine, queue and workers. The command polls the run once a second, prints its progress and
 * items/s, and exits 0 only when the run is COMPLETED.
 *
 * The deployed API takes IAM (SigV4) only: requests are signed with the default credential chain
 * (AWS_PROFILE, SSO, environment), whose principal must be mapped to the client as admin, since
 * creating a schedule is an admin route. With --token (or JSM_TOKEN) they carry a bearer token
 * instead, as the local runtime wants.
 */
const USAGE = 'usage: npm run verify:deployed -- --api <url> --client <id> [--items 10000000] [--token T] [--region R] [--max-minutes 240]';
const POLL_MS = 1_000;
/** Progress is printed this often; the run is polled every second regardless. */
const REPORT_EVERY_MS = 30_000;

const ArgsSchema = z.object({
  api: z.url({ protocol: /^https?$/ }).transform((url) => url.replace(/\/+$/, '')),
  client: ClientIdSchema,
  items: z.coerce.number().pipe(SyntheticSettingsSchema.shape.items.min(1)).default(10_000_000),
  token: z.string().min(1).optional(),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region, e.g. eu-west-1').optional(),
  'max-minutes': z.coerce.number().positive().default(240),
});
export type VerifyArgs = z.infer<typeof ArgsSchema>;

/** The command line was wrong: the message names each problem, the usage line comes first. */
export class UsageError extends Error {}

export function parseVerifyArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): VerifyArgs {
  let values: Record<string, string | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        api: { type: 'string' },
        client: { type: 'string' },
        items: { type: 'string' },
        token: { type: 'string' },
        region: { type: 'string' },
        'max-minutes': { type: 'string' },
      },
    }).values;
  } catch (error) {
    throw new UsageError(`${USAGE}\n  ${(error as Error).message}`);
  }
  const parsed = ArgsSchema.safeParse({ ...values, token: values.token ?? env.JSM_TOKEN });
  if (!parsed.success) {
    throw new UsageError([USAGE, ...parsed.error.issues.map((issue) => `  --${issue.path.join('.')}: ${issue.message}`)].join('\n'));
  }
  return parsed.data;
}

/** One API call: the parsed JSON answer; an answer of 400 or more throws with its text. */
export type ApiCall = (method: string, path: string, body?: unknown) => Promise<any>;

export interface VerifyResult {
  scheduleId: string;
  runId: string;
  status: RunStatus;
  /** Items that ended (succeeded or failed) when the run ended. */
  processed: number;
  seconds: number;
  itemsPerSecond: number;
}

/** Creates the schedule, triggers its run and polls it to its end (or until --max-minutes). */
export async function verifyDeployed(args: VerifyArgs, call: ApiCall, log: (line: string) => void): Promise<VerifyResult> {
  const client = `/v1/clients/${args.client}`;
  const schedule = await call('POST', `${client}/schedules`, {
    name: `verify-deployed ${args.items} items ${new Date().toISOString()}`,
    frequency: { type: 'MANUAL' },
    executionTime: '00:00:00',
    timezone: 'UTC',
    jobs: [{ type: 'SYNTHETIC', settings: { items: args.items } }],
  });
  const started = performance.now();
  const triggered = await call('POST', `${client}/schedules/${schedule.scheduleId}/runs`, { processingDate: new Date().toISOString().slice(0, 10) });
  log(`Run ${triggered.runId} of schedule ${schedule.scheduleId}: ${args.items} SYNTHETIC items on ${args.api}`);

  const deadline = started + args['max-minutes'] * 60_000;
  let lastReport = started;
  for (;;) {
    const run = await call('GET', `${client}/runs/${triggered.runId}`);
    const seconds = (performance.now() - started) / 1000;
    const processed: number = run.stats.items.succeeded + run.stats.items.failed;
    const itemsPerSecond = Math.round(processed / Math.max(seconds, 0.001));
    if (isTerminal(run.status)) {
      log(`${run.status}: ${processed} of ${args.items} items in ${seconds.toFixed(1)} s, ${itemsPerSecond} items/s`);
      if (run.error) log(`  ${run.error.code}: ${run.error.message}`);
      return { scheduleId: schedule.scheduleId, runId: triggered.runId, status: run.status, processed, seconds, itemsPerSecond };
    }
    if (performance.now() > deadline) throw new Error(`run ${triggered.runId} is still ${run.status} after ${args['max-minutes']} minutes (${processed} items done)`);
    if (performance.now() - lastReport >= REPORT_EVERY_MS) {
      lastReport = performance.now();
      log(`  ${run.status}: ${processed} of ${args.items} items after ${seconds.toFixed(0)} s, ${itemsPerSecond} items/s`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** API calls with a bearer token (the local runtime) or signed with SigV4 (the deployed, IAM-authorized API). */
export async function apiCall(args: VerifyArgs, env: Readonly<Record<string, string | undefined>> = process.env): Promise<ApiCall> {
  const sign = args.token === undefined ? await sigV4Signer(args, env) : undefined;
  return async (method, path, body) => {
    const url = new URL(`${args.api}${path}`);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = payload === undefined ? {} : { 'content-type': 'application/json' };
    const sent = sign ? await sign(method, url, headers, payload) : { ...headers, authorization: `Bearer ${args.token}` };
    let response: Response;
    try {
      response = await fetch(url, { method, headers: sent, ...(payload === undefined ? {} : { body: payload }) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(`cannot reach ${url.origin}: ${cause?.code ?? cause?.message ?? (error as Error).message}`, { cause: error });
    }
    const text = await response.text();
    if (response.status >= 400) throw new Error(`${method} ${url.pathname}: ${response.status} ${text.slice(0, 500)}`);
    return text ? JSON.parse(text) : undefined;
  };
}

type Signer = (method: string, url: URL, headers: Record<string, string>, body: string | undefined) => Promise<Record<string, string>>;

/**
 * Signs for execute-api with the SDK's SigV4 signer and the default credential chain. No signer
 * package is a dependency of the project, so the signer comes from an SDK client it has (Step
 * Functions'), told to sign for execute-api instead.
 */
export async function sigV4Signer(args: VerifyArgs, env: Readonly<Record<string, string | undefined>>): Promise<Signer> {
  const region = args.region ?? /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$/.exec(new URL(args.api).hostname)?.[1] ?? env.AWS_REGION;
  if (!region) throw new UsageError(`${USAGE}\n  --region: the API's URL names no region; pass --region or set AWS_REGION`);
  const signer = await new SFNClient({ region }).config.signer();
  return async (method, url, headers, body) => {
    const signed = await signer.sign(
      {
        method,
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: { ...headers, host: url.host },
        ...(body === undefined ? {} : { body }),
      },
      { signingService: 'execute-api', signingRegion: region },
    );
    // fetch sets Host itself (and refuses to be given one).
    const { host: _host, ...sent } = signed.headers;
    return sent;
  };
}

async function main(): Promise<void> {
  const args = parseVerifyArgs(process.argv.slice(2), process.env);
  const result = await verifyDeployed(args, await apiCall(args), (line) => console.log(line));
  process.exit(result.status === 'COMPLETED' ? 0 : 1);
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(error instanceof UsageError ? 2 : 1);
  });
}
