import { parseArgs } from 'node:util';
import { z } from 'zod';
import { migrateSelfFiringIndex, type MigrationPage } from '../lambdas/adapters/aws/dynamo-trigger-index-migration';
import { createDynamoClient, toDocumentClient } from '../lambdas/adapters/aws/dynamo-toolkit';
import { localDynamoClient } from '../lambdas/adapters/local/dynamo-local';
import { ValidationError } from '../lambdas/domain/errors';

/**
 * `npm run migrate:self-firing -- --table <config table> [--endpoint URL] [--region R] [--after CURSOR] [--page-size N] [--dry-run]`
 *
 * Gives every self-firing schedule of a config table the keys of the sharded selfFiringSchedules
 * index, so that the trigger reconciler sees schedules saved before the index existed or before it
 * was sharded (docs/deploy.md, "The self-firing schedules index"). Safe to run again, and to
 * stop: each page prints the cursor to continue after it with --after.
 */
const USAGE = `usage: npm run migrate:self-firing -- --table <config table> [--endpoint URL] [--region R] [--after CURSOR] [--page-size 100] [--dry-run]
  --table      the stage's config table (the stack's Storage/Config table)
  --endpoint   a DynamoDB Local endpoint (npm start's, or a test's); without it, AWS with the default credentials and region
  --after      continue after the page that printed this cursor
  --dry-run    read and count, write nothing`;

const Args = z.object({
  table: z.string().min(3),
  endpoint: z.url().optional(),
  region: z.string().min(1).optional(),
  after: z.string().min(1).optional(),
  'page-size': z.coerce.number().int().min(1).max(1_000).default(100),
  'dry-run': z.boolean().default(false),
});

function describePage(page: MigrationPage, number: number, dryRun: boolean): string {
  const { indexed, alreadyIndexed, notSelfFiring, changedMeanwhile, unreadable } = page.outcomes;
  const counts = `${indexed} ${dryRun ? 'to index' : 'indexed'}, ${alreadyIndexed} already indexed, ${notSelfFiring} not self-firing, ${changedMeanwhile} changed meanwhile, ${unreadable} unreadable`;
  const unreadableKeys = page.unreadable.length > 0 ? ` (unreadable: ${page.unreadable.join(', ')})` : '';
  return `page ${number}: ${page.itemsRead} items read; schedules: ${counts}${unreadableKeys}; ${page.cursor ? `continue with --after ${page.cursor}` : 'last page'}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      table: { type: 'string' },
      endpoint: { type: 'string' },
      region: { type: 'string' },
      after: { type: 'string' },
      'page-size': { type: 'string' },
      'dry-run': { type: 'boolean' },
    },
  });
  const parsed = Args.safeParse(values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    console.error(`--${String(issue?.path[0] ?? '')}: ${issue?.message ?? 'invalid'}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const args = parsed.data;
  const client = args.endpoint ? localDynamoClient(args.endpoint) : createDynamoClient(args.region ? { region: args.region } : {});
  const totals = { pages: 0, indexed: 0, changedMeanwhile: 0, unreadable: 0 };
  try {
    const pages = migrateSelfFiringIndex(toDocumentClient(client), args.table, { pageSize: args['page-size'], dryRun: args['dry-run'], ...(args.after ? { after: args.after } : {}) });
    for await (const page of pages) {
      totals.pages++;
      totals.indexed += page.outcomes.indexed;
      totals.changedMeanwhile += page.outcomes.changedMeanwhile;
      totals.unreadable += page.outcomes.unreadable;
      console.log(describePage(page, totals.pages, args['dry-run']));
    }
  } finally {
    client.destroy();
  }
  // A schedule changed meanwhile was saved with its own keys, unless an older version of the code saved it: a second run settles that.
  const rerun = totals.changedMeanwhile > 0 ? '; run again to check the ones changed meanwhile' : '';
  console.log(`done: ${totals.indexed} schedules ${args['dry-run'] ? 'to index (dry run, nothing written)' : 'indexed'} in ${totals.pages} ${totals.pages === 1 ? 'page' : 'pages'}, ${totals.unreadable} unreadable${rerun}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof ValidationError ? `${error.message}\n${USAGE}` : error);
  process.exit(error instanceof ValidationError ? 2 : 1);
});
