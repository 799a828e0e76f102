import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ClientIdSchema } from '../lambdas/domain/model';
import { seedLedger } from '../lambdas/jobs/ledger-generator';
import { DataDirInUseError } from '../lambdas/adapters/local/runtime-file';
import { openLocalLedger } from './support/local-ledger';

/**
 * `npm run seed -- --client <id> --accounts N --usage-per-account K [--seed S] [--month YYYY-MM] [--unrated-share 0.02]`
 *
 * Writes a deterministic billing ledger for a client into the local runtime's DynamoDB (DATA_DIR):
 * rate plans, N accounts with anniversary days spread evenly over 1-31, K usage records each dated
 * in the month (default: this month), a share of them of a type no plan rates (NO_RATE). The same
 * arguments always write the same ledger. Works with or without `npm start` running.
 */
const Args = z.object({
  client: ClientIdSchema,
  accounts: z.coerce.number().int().min(1).max(9_999_999),
  'usage-per-account': z.coerce.number().int().min(0).max(9_999),
  seed: z.coerce.number().int().default(1),
  month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'YYYY-MM').default(new Date().toISOString().slice(0, 7)),
  'unrated-share': z.coerce.number().min(0).max(1).default(0.02),
});

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      client: { type: 'string' },
      accounts: { type: 'string' },
      'usage-per-account': { type: 'string' },
      seed: { type: 'string' },
      month: { type: 'string' },
      'unrated-share': { type: 'string' },
    },
  });
  const parsed = Args.safeParse(values);
  if (!parsed.success) {
    console.error('usage: npm run seed -- --client <id> --accounts N --usage-per-account K [--seed S] [--month YYYY-MM] [--unrated-share 0.02]');
    for (const issue of parsed.error.issues) console.error(`  --${issue.path.join('.')}: ${issue.message}`);
    process.exit(2);
  }
  const args = parsed.data;
  const local = await openLocalLedger('npm run seed');
  const started = Date.now();
  try {
    let lastReport = 0;
    const written = await seedLedger(
      local.ledger,
      { clientId: args.client, accounts: args.accounts, usagePerAccount: args['usage-per-account'], seed: args.seed, month: args.month, unratedShare: args['unrated-share'] },
      (accounts, usage) => {
        if (Date.now() - lastReport < 2_000) return;
        lastReport = Date.now();
        console.log(`  ${accounts} accounts, ${usage} usage records...`);
      },
    );
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`Seeded client ${args.client} in ${seconds} s into ${local.where}:`);
    console.log(`  ${written.accounts} accounts (anniversary days 1-31), ${written.usage} usage records dated ${args.month}, ${written.unrated} of them without a rate`);
    const api = local.runtime?.apiUrl ?? 'http://localhost:3000';
    console.log('Next (README, "Billing data"): onboard the client if needed, then run its daily schedule for a date:');
    console.log(`  curl -X PUT ${api}/v1/clients/${args.client} -H "Authorization: Bearer $T" -H 'content-type: application/json' -d '{"name":"${args.client}","timezone":"UTC"}'`);
    console.log(`  curl -X POST ${api}/v1/clients/${args.client}/schedules/daily/runs -H "Authorization: Bearer $T" -H 'content-type: application/json' -d '{"processingDate":"${args.month}-28"}'`);
  } finally {
    await local.close();
  }
}

main().catch((error: unknown) => {
  if (error instanceof DataDirInUseError) {
    console.error(`${error.message}: run this again when it has finished.`);
    process.exit(1);
  }
  console.error(error);
  process.exit(1);
});
