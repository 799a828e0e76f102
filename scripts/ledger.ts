import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { DataDirInUseError } from '../lambdas/adapters/local/runtime-file';
import { IsoDateSchema, ClientIdSchema } from '../lambdas/domain/model';
import { LedgerIdSchema, parseUsageItemId, type Invoice, type UsageRecord } from '../lambdas/domain/ledger';
import { ApiError, connectApi, describeApiError, findRuntime, listAll, NoApiError, type Api } from './support/api-client';
import { putRate } from './support/rate-plan-edit';
import { resolve } from 'node:path';

/**
 * `npm run ledger -- <command>`: what an operator fixes and inspects when a billing job failed
 * (README, "Billing data"), through the ledger API like every other client of the product, so
 * the same command works against the local runtime and a deployed one. `core ...` commands drive
 * the local runtime's core billing stand-in, which is no part of the product.
 */
const USAGE = `usage: npm run ledger -- <command> [options] [--api URL] [--token T]
  rate         --client C --plan P --usage-type T --unit-price 0.045 [--from YYYY-MM-DD]
                 add or replace a rate (price per unit in the plan's currency, effective from --from, default 2000-01-01)
  suspense     --client C [--account A] [--limit 50]   usage in suspense (could not be rated) and why
  sync-errors  --client C [--account A] [--limit 50]   transactions core billing rejected and why
  discard      --client C --reason R ACCOUNT/DATE/USAGE_ID...
                 discard suspense or sync-error records: kept with the reason, never rated, synced or billed
  rerate       --client C --account A --from YYYY-MM-DD --to YYYY-MM-DD [--reason R] [--request ID]
                 flag an account's transactions in a date range for RERATING
  rerates      --client C [--status OPEN|DONE|CANCELLED] [--limit 50]   rerate requests
  rerate-cancel --client C --account A --request ID    cancel an open rerate request
  invoices     --client C [--account A] [--period YYYY-MM] [--limit 50]
  core status                               the stand-in's rejections, outage and counters
  core reject  --account A [--code C] [--message M]
  core accept  [--account A]                clear one rejection, or all
  core outage  [--status 503] [--requests N | --seconds S] [--delay-ms N]
  core recover                              end the outage
The API is --api, JSM_API_URL or the running npm start of DATA_DIR; the token --token, JSM_TOKEN or,
for that npm start's own API, the admin token it records in DATA_DIR/runtime.json.`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    client: { type: 'string' },
    plan: { type: 'string' },
    'usage-type': { type: 'string' },
    'unit-price': { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    account: { type: 'string' },
    reason: { type: 'string' },
    request: { type: 'string' },
    period: { type: 'string' },
    limit: { type: 'string' },
    code: { type: 'string' },
    message: { type: 'string' },
    status: { type: 'string' },
    requests: { type: 'string' },
    seconds: { type: 'string' },
    'delay-ms': { type: 'string' },
    api: { type: 'string' },
    token: { type: 'string' },
  },
});

class UsageError extends Error {}

function required<T>(schema: z.ZodType<T>, name: string): T {
  const parsed = schema.safeParse(values[name as keyof typeof values]);
  if (!parsed.success) throw new UsageError(`--${name}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

function optional<T>(schema: z.ZodType<T>, name: string): T | undefined {
  return values[name as keyof typeof values] === undefined ? undefined : required(schema, name);
}

/** "0.045" → 45000 micro-units, exactly (no floating point). */
function toMicros(price: string): number {
  const match = /^(\d{1,9})(?:\.(\d{1,6}))?$/.exec(price);
  if (!match) throw new UsageError('--unit-price: a decimal price per unit, up to 6 decimals, e.g. 0.045');
  return Number(match[1]) * 1_000_000 + Number((match[2] ?? '').padEnd(6, '0'));
}

function limit(): number {
  const parsed = z.coerce.number().int().min(1).max(10_000).default(50).safeParse(values.limit);
  if (!parsed.success) throw new UsageError('--limit: a whole number 1..10000');
  return parsed.data;
}

const ledgerPath = (clientId: string, rest: string): string => `/v1/clients/${encodeURIComponent(clientId)}/ledger${rest}`;
const api = (): Promise<Api> => connectApi({ api: values.api, token: values.token });

async function listQueue(state: 'SUSPENDED' | 'SYNC_ERROR'): Promise<void> {
  const clientId = required(ClientIdSchema, 'client');
  const accountId = optional(LedgerIdSchema, 'account');
  const max = limit();
  let shown = 0;
  for await (const record of listAll(await api(), ledgerPath(clientId, '/usage'), { state, accountId }, max)) {
    console.log(describe(record));
    shown++;
  }
  console.log(`${shown} shown${shown === max ? ` (first ${max}; --limit for more)` : ''}`);
}

function describe(record: UsageRecord): string {
  const reason = record.suspense ?? record.syncError;
  return `${record.accountId}/${record.usageDate}/${record.usageId}  ${record.usageType} × ${record.quantity}  ${record.state}${reason ? `  ${reason.code}: ${reason.message}` : ''}`;
}

/** An amount in the currency's minor units as the currency writes it: 12345 USD → "123.45", exactly. */
function money(minor: number, currency: string): string {
  const digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  const text = String(Math.abs(minor)).padStart(digits + 1, '0');
  const whole = text.slice(0, text.length - digits);
  return `${minor < 0 ? '-' : ''}${whole}${digits > 0 ? `.${text.slice(text.length - digits)}` : ''} ${currency}`;
}

async function core(action: string | undefined): Promise<void> {
  const runtime = await findRuntime(resolve(process.env.DATA_DIR ?? '.data'));
  if (!runtime) throw new UsageError('core commands need the running runtime: start it with npm start (same DATA_DIR)');
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const response = await fetch(`${runtime.coreBillingUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${runtime.coreBillingControlToken}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (response.status >= 400) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  const number = (name: string): number | undefined => (values[name as keyof typeof values] === undefined ? undefined : Number(values[name as keyof typeof values]));
  switch (action) {
    case 'status':
      console.log(JSON.stringify(await call('GET', '/control'), null, 2));
      return;
    case 'reject': {
      const accountId = required(LedgerIdSchema, 'account');
      console.log(JSON.stringify(await call('PUT', `/control/rejections/${accountId}`, { ...(values.code ? { code: values.code } : {}), ...(values.message ? { message: values.message } : {}) })));
      return;
    }
    case 'accept':
      await call('DELETE', values.account ? `/control/rejections/${encodeURIComponent(values.account)}` : '/control/rejections');
      console.log(values.account ? `core billing accepts ${values.account} again` : 'core billing accepts every account again');
      return;
    case 'outage': {
      const outage = { status: number('status'), requests: number('requests'), seconds: number('seconds'), delayMs: number('delay-ms') };
      console.log(JSON.stringify(await call('PUT', '/control/outage', Object.fromEntries(Object.entries(outage).filter(([, v]) => v !== undefined)))));
      return;
    }
    case 'recover':
      await call('DELETE', '/control/outage');
      console.log('core billing answers normally again');
      return;
    default:
      throw new UsageError(`unknown core command ${action ?? '(none)'}`);
  }
}

async function main(): Promise<void> {
  const [command, action] = positionals;
  switch (command) {
    case 'rate': {
      const clientId = required(ClientIdSchema, 'client');
      const ratePlanId = required(LedgerIdSchema, 'plan');
      const rate = { usageType: required(LedgerIdSchema, 'usage-type'), effectiveFrom: optional(IsoDateSchema, 'from') ?? '2000-01-01', unitPriceMicros: toMicros(values['unit-price'] ?? '') };
      const { version } = await putRate(await api(), clientId, ratePlanId, rate);
      console.log(`rate plan ${ratePlanId} of ${clientId}, version ${version}: ${rate.usageType} at ${values['unit-price']} per unit from ${rate.effectiveFrom}. Reprocess the failed run (scope RUN), or run SUSPENSE_REPROCESSING.`);
      return;
    }
    case 'suspense':
      return listQueue('SUSPENDED');
    case 'sync-errors':
      return listQueue('SYNC_ERROR');
    case 'discard': {
      const clientId = required(ClientIdSchema, 'client');
      const reason = required(z.string().trim().min(1, 'why the records are discarded'), 'reason');
      const ids = positionals.slice(1);
      if (ids.length === 0) throw new UsageError('discard: name the records, ACCOUNT/DATE/USAGE_ID as suspense and sync-errors print them');
      const keys = ids.map((id) => parseUsageItemId(id) ?? usageError(`discard: ${id} is not ACCOUNT/DATE/USAGE_ID`));
      const { body } = await (await api()).request('POST', ledgerPath(clientId, '/usage/discard'), { keys, reason });
      console.log(`${body.discarded} record(s) discarded: kept with the reason, never rated, synced or billed; a reprocess ends their failed items.`);
      return;
    }
    case 'rerate': {
      const clientId = required(ClientIdSchema, 'client');
      const request = {
        accountId: required(LedgerIdSchema, 'account'),
        requestId: optional(LedgerIdSchema, 'request') ?? `rr-${randomBytes(4).toString('hex')}`,
        fromDate: required(IsoDateSchema, 'from'),
        toDate: required(IsoDateSchema, 'to'),
        reason: values.reason ?? 'requested by an operator',
      };
      await (await api()).request('POST', ledgerPath(clientId, '/rerate-requests'), request);
      console.log(`rerate request ${request.requestId} for ${request.accountId} (${request.fromDate}..${request.toDate}): the next RERATING job picks it up`);
      return;
    }
    case 'rerates': {
      const clientId = required(ClientIdSchema, 'client');
      const status = optional(z.enum(['OPEN', 'DONE', 'CANCELLED']), 'status');
      for await (const request of listAll(await api(), ledgerPath(clientId, '/rerate-requests'), { status }, limit())) {
        console.log(`${request.accountId}/${request.requestId}  ${request.fromDate}..${request.toDate}  ${request.status ?? 'OPEN'}  ${request.reason}`);
      }
      return;
    }
    case 'rerate-cancel': {
      const clientId = required(ClientIdSchema, 'client');
      const accountId = required(LedgerIdSchema, 'account');
      const requestId = required(LedgerIdSchema, 'request');
      await (await api()).request('DELETE', ledgerPath(clientId, `/rerate-requests/${accountId}/${requestId}`));
      console.log(`rerate request ${requestId} of ${accountId} cancelled: RERATING leaves it alone`);
      return;
    }
    case 'invoices': {
      const clientId = required(ClientIdSchema, 'client');
      const query = { accountId: optional(LedgerIdSchema, 'account'), periodId: optional(z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'YYYY-MM'), 'period') };
      for await (const invoice of listAll(await api(), ledgerPath(clientId, '/invoices'), query, limit()) as AsyncGenerator<Invoice>) {
        console.log(`${invoice.accountId}  ${invoice.periodId}  ${invoice.periodStart}..${invoice.periodEnd}  ${money(invoice.totalMinor, invoice.currency)}  (${invoice.transactionCount} transactions, run ${invoice.runId})`);
      }
      return;
    }
    case 'core':
      return core(action);
    default:
      throw new UsageError(command ? `unknown command ${command}` : 'no command');
  }
}

function usageError(message: string): never {
  throw new UsageError(message);
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (error instanceof ApiError) {
    console.error(describeApiError(error));
    process.exit(1);
  }
  if (error instanceof NoApiError || error instanceof DataDirInUseError) {
    console.error(error.message);
    process.exit(1);
  }
  console.error(error);
  process.exit(1);
});
