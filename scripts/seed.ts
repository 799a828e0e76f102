import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ClientIdSchema } from '../lambdas/domain/model';
import { seedAccount, seedRatePlans, seedUsage, UNRATED_USAGE_TYPE, type LedgerSeedOptions } from '../lambdas/jobs/ledger-generator';
import { DataDirInUseError } from '../lambdas/adapters/local/runtime-file';
import { ApiError, connectApi, describeApiError, inParallel, listAll, NoApiError } from './support/api-client';

/**
 * `npm run seed -- --client <id> --accounts N --usage-per-account K [--seed S] [--month YYYY-MM] [--unrated-share 0.02] [--api URL] [--token T]`
 *
 * Writes a deterministic billing ledger for a client through the ledger API (the running
 * `npm start` of DATA_DIR, or --api): rate plans, N accounts with anniversary days spread evenly
 * over 1-31, K usage records each dated in the month (default: this month), a share of them of a
 * type no plan rates (NO_RATE). It adds what is missing and keeps what is there, so running it
 * again with the same arguments changes nothing.
 */
const Args = z.object({
  client: ClientIdSchema,
  accounts: z.coerce.number().int().min(1).max(9_999_999),
  'usage-per-account': z.coerce.number().int().min(0).max(9_999),
  seed: z.coerce.number().int().default(1),
  month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'YYYY-MM').default(new Date().toISOString().slice(0, 7)),
  'unrated-share': z.coerce.number().min(0).max(1).default(0.02),
});

/** Account PUTs in flight: enough to keep the API busy without queueing up thousands of requests. */
const ACCOUNT_CONCURRENCY = 16;
/** The usage import's most records a call (API.md). */
const USAGE_PER_CALL = 1000;
/** Usage imports in flight: each is already a thousand records. */
const USAGE_CONCURRENCY = 4;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      client: { type: 'string' },
      accounts: { type: 'string' },
      'usage-per-account': { type: 'string' },
      seed: { type: 'string' },
      month: { type: 'string' },
      'unrated-share': { type: 'string' },
      api: { type: 'string' },
      token: { type: 'string' },
    },
  });
  const { api: apiFlag, token, ...rest } = values;
  const parsed = Args.safeParse(rest);
  if (!parsed.success) {
    console.error('usage: npm run seed -- --client <id> --accounts N --usage-per-account K [--seed S] [--month YYYY-MM] [--unrated-share 0.02] [--api URL] [--token T]');
    for (const issue of parsed.error.issues) console.error(`  --${issue.path.join('.')}: ${issue.message}`);
    process.exit(2);
  }
  const args = parsed.data;
  const options: LedgerSeedOptions = { clientId: args.client, accounts: args.accounts, usagePerAccount: args['usage-per-account'], seed: args.seed, month: args.month, unratedShare: args['unrated-share'] };
  const api = await connectApi({ api: apiFlag, token });
  const ledger = `/v1/clients/${encodeURIComponent(args.client)}/ledger`;
  const started = Date.now();
  let lastReport = Date.now();
  const report = (text: () => string): void => {
    if (Date.now() - lastReport < 2_000) return;
    lastReport = Date.now();
    console.log(`  ${text()}...`);
  };

  // An existing plan or account is kept as it is: an operator's fix survives a re-run.
  let plansCreated = 0;
  for (const { clientId: _client, ratePlanId, ...plan } of seedRatePlans(args.client)) {
    const { status } = await api.request('PUT', `${ledger}/rate-plans/${ratePlanId}`, plan, { accept: [428] });
    if (status === 201) plansCreated++;
  }
  const existing = new Set<string>();
  for await (const account of listAll(api, `${ledger}/accounts`, {})) existing.add(account.accountId);
  const indexes = Array.from({ length: args.accounts }, (_, index) => index);
  const missing = indexes.filter((index) => !existing.has(seedAccount(options, index).accountId));
  let accountsCreated = 0;
  await inParallel(missing, ACCOUNT_CONCURRENCY, async (index) => {
    const { clientId: _client, accountId, ...account } = seedAccount(options, index);
    await api.request('PUT', `${ledger}/accounts/${accountId}`, account);
    accountsCreated++;
    report(() => `${accountsCreated} of ${missing.length} accounts`);
  });

  const usage = { records: 0, unrated: 0, accepted: 0, duplicates: 0 };
  await inParallel(usageCalls(options), USAGE_CONCURRENCY, async (records) => {
    const { body } = await api.request('POST', `${ledger}/usage`, { records });
    usage.records += records.length;
    usage.unrated += records.filter((record) => record.usageType === UNRATED_USAGE_TYPE).length;
    usage.accepted += body.accepted;
    usage.duplicates += body.duplicates;
    report(() => `${usage.records} usage records`);
  });

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const plans = seedRatePlans(args.client).length;
  console.log(`Seeded client ${args.client} into ${api.where} in ${seconds} s:`);
  console.log(`  ${plans} rate plans: ${plansCreated} created, ${plans - plansCreated} already there (kept as they are)`);
  console.log(`  ${args.accounts} accounts (anniversary days 1-31): ${accountsCreated} created, ${args.accounts - accountsCreated} already there (kept as they are)`);
  console.log(`  ${usage.records} usage records dated ${args.month}, ${usage.unrated} of them without a rate: ${usage.accepted} new, ${usage.duplicates} duplicates`);
  if (plansCreated + accountsCreated + usage.accepted === 0) console.log('Nothing changed: the ledger already holds everything these arguments seed.');
  console.log('Next (README, "Billing data"): onboard the client if needed, then run its daily schedule for a date (T: your token):');
  console.log(`  curl -X PUT ${api.url}/v1/clients/${args.client} -H "Authorization: Bearer $T" -H 'content-type: application/json' -d '{"name":"${args.client}","timezone":"UTC"}'`);
  console.log(`  curl -X POST ${api.url}/v1/clients/${args.client}/schedules/daily/runs -H "Authorization: Bearer $T" -H 'content-type: application/json' -d '{"processingDate":"${args.month}-28"}'`);
}

/** The seeded usage, account after account, in import calls of at most USAGE_PER_CALL records. */
function* usageCalls(options: LedgerSeedOptions): Generator<Array<{ accountId: string; usageDate: string; usageId: string; usageType: string; quantity: number }>> {
  let call: Array<{ accountId: string; usageDate: string; usageId: string; usageType: string; quantity: number }> = [];
  for (let index = 0; index < options.accounts; index++) {
    for (const { accountId, usageDate, usageId, usageType, quantity } of seedUsage(options, index)) {
      call.push({ accountId, usageDate, usageId, usageType, quantity });
      if (call.length === USAGE_PER_CALL) {
        yield call;
        call = [];
      }
    }
  }
  if (call.length > 0) yield call;
}

main().catch((error: unknown) => {
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
