import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { DataDirInUseError } from '../lambdas/adapters/local/runtime-file';
import { IsoDateSchema, ClientIdSchema } from '../lambdas/domain/model';
import { LedgerIdSchema, type UsageRecord } from '../lambdas/domain/ledger';
import type { UsageQueue } from '../lambdas/ports/ledger';
import { findRuntime, openLocalLedger } from './support/local-ledger';
import { resolve } from 'node:path';

/**
 * `npm run ledger -- <command>`: what an operator of the local runtime fixes and inspects when a
 * billing job failed (README, "Billing data"). Ledger commands work with or without `npm start`
 * running; `core ...` commands talk to the running runtime's core billing stand-in.
 */
const USAGE = `usage: npm run ledger -- <command> [options]
  rate         --client C --plan P --usage-type T --unit-price 0.045 [--from YYYY-MM-DD]
                 add a rate (price per unit in the plan's currency, effective from --from, default 2000-01-01)
  suspense     --client C [--limit 50]      usage in suspense (could not be rated) and why
  sync-errors  --client C [--limit 50]      transactions core billing rejected and why
  rerate       --client C --account A --from YYYY-MM-DD --to YYYY-MM-DD [--reason R]
                 flag an account's transactions in a date range for RERATING
  invoices     --client C --account A       the account's invoices
  core status                               the stand-in's rejections, outage and counters
  core reject  --account A [--code C] [--message M]
  core accept  [--account A]                clear one rejection, or all
  core outage  [--status 503] [--requests N | --seconds S] [--delay-ms N]
  core recover                              end the outage`;

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
    limit: { type: 'string' },
    code: { type: 'string' },
    message: { type: 'string' },
    status: { type: 'string' },
    requests: { type: 'string' },
    seconds: { type: 'string' },
    'delay-ms': { type: 'string' },
  },
});

class UsageError extends Error {}

function required<T>(schema: z.ZodType<T>, name: string): T {
  const parsed = schema.safeParse(values[name as keyof typeof values]);
  if (!parsed.success) throw new UsageError(`--${name}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

/** "0.045" → 45000 micro-units, exactly (no floating point). */
function toMicros(price: string): number {
  const match = /^(\d{1,9})(?:\.(\d{1,6}))?$/.exec(price);
  if (!match) throw new UsageError('--unit-price: a decimal price per unit, up to 6 decimals, e.g. 0.045');
  return Number(match[1]) * 1_000_000 + Number((match[2] ?? '').padEnd(6, '0'));
}

async function listQueue(queue: UsageQueue): Promise<void> {
  const clientId = required(ClientIdSchema, 'client');
  const limit = z.coerce.number().int().min(1).max(10_000).default(50).parse(values.limit);
  const local = await openLocalLedger('npm run ledger');
  try {
    const keys = [];
    for await (const key of local.ledger.usageInQueue(clientId, queue, '9999-12-30')) {
      keys.push(key);
      if (keys.length >= limit) break;
    }
    const records = await local.ledger.getUsage(clientId, keys);
    for (const record of records.values()) console.log(describe(record));
    console.log(`${records.size} shown${records.size === limit ? ` (first ${limit}; --limit for more)` : ''}`);
  } finally {
    await local.close();
  }
}

function describe(record: UsageRecord): string {
  const id = `${record.accountId}/${record.usageDate}/${record.usageId}`;
  const reason = record.suspense ?? record.syncError;
  return `${id}  ${record.usageType} × ${record.quantity}  ${record.state}${reason ? `  ${reason.code}: ${reason.message}` : ''}`;
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
      const rate = { usageType: required(LedgerIdSchema, 'usage-type'), effectiveFrom: values.from ? required(IsoDateSchema, 'from') : '2000-01-01', unitPriceMicros: toMicros(values['unit-price'] ?? '') };
      const local = await openLocalLedger('npm run ledger');
      try {
        if (!(await local.ledger.getRatePlans(clientId, [ratePlanId])).has(ratePlanId)) throw new UsageError(`client ${clientId} has no rate plan ${ratePlanId}`);
        await local.ledger.putRate(clientId, ratePlanId, rate);
        console.log(`rate plan ${ratePlanId} of ${clientId}: ${rate.usageType} at ${values['unit-price']} per unit from ${rate.effectiveFrom}. Reprocess the failed run (scope RUN), or run SUSPENSE_REPROCESSING.`);
      } finally {
        await local.close();
      }
      return;
    }
    case 'suspense':
      return listQueue('SUSPENDED');
    case 'sync-errors':
      return listQueue('SYNC_ERROR');
    case 'rerate': {
      const request = {
        clientId: required(ClientIdSchema, 'client'),
        accountId: required(LedgerIdSchema, 'account'),
        requestId: `rr-${randomBytes(4).toString('hex')}`,
        fromDate: required(IsoDateSchema, 'from'),
        toDate: required(IsoDateSchema, 'to'),
        reason: values.reason ?? 'requested by an operator',
        requestedAt: new Date().toISOString(),
      };
      const local = await openLocalLedger('npm run ledger');
      try {
        await local.ledger.requestRerate(request);
        console.log(`rerate request ${request.requestId} for ${request.accountId} (${request.fromDate}..${request.toDate}): the next RERATING job picks it up`);
      } finally {
        await local.close();
      }
      return;
    }
    case 'invoices': {
      const clientId = required(ClientIdSchema, 'client');
      const accountId = required(LedgerIdSchema, 'account');
      const local = await openLocalLedger('npm run ledger');
      try {
        for (const invoice of await local.ledger.listInvoices(clientId, accountId)) {
          console.log(`${invoice.periodId}  ${invoice.periodStart}..${invoice.periodEnd}  ${(invoice.totalMinor / 100).toFixed(2)} ${invoice.currency}  (${invoice.transactionCount} transactions, run ${invoice.runId})`);
        }
      } finally {
        await local.close();
      }
      return;
    }
    case 'core':
      return core(action);
    default:
      throw new UsageError(command ? `unknown command ${command}` : 'no command');
  }
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (error instanceof DataDirInUseError) {
    console.error(`${error.message}: run this again when it has finished.`);
    process.exit(1);
  }
  console.error(error);
  process.exit(1);
});
