import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoLedger } from '../../lambdas/adapters/aws/dynamo-ledger';
import { DynamoRunStore } from '../../lambdas/adapters/aws/dynamo-run-store';
import { LEDGER_TABLE, RUNS_TABLE } from '../../lambdas/adapters/aws/table-definitions';
import { TransientStoreError } from '../../lambdas/domain/errors';
import { JobRegistry, type JobContext, type JobHandler } from '../../lambdas/domain/job-registry';
import { usageItemId, type Account, type UsageRecord } from '../../lambdas/domain/ledger';
import { emptyStats } from '../../lambdas/domain/model';
import { BillingJob } from '../../lambdas/jobs/billing-job';
import { ReratingJob } from '../../lambdas/jobs/rerating-job';
import { UsageRatingJob } from '../../lambdas/jobs/usage-rating-job';
import { collectWorkItems } from '../../lambdas/services/steps/collect-work-items';
import { createTestTables, type TestTables } from '../support/dynamo';
import { runDraftFixture } from '../support/fixtures';

const CLIENT = runDraftFixture().clientId;
const DATE = '2026-11-30';

async function all(items: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('ledger jobs resume their collect after the last stored item, on DynamoDB Local', () => {
  let tables: TestTables;
  let ledger: DynamoLedger;
  const ctx: JobContext = { clientId: CLIENT, runId: 'run_x', seq: 1, processingDate: DATE, timezone: 'UTC', settings: {}, heal: false };
  const deps = (): ConstructorParameters<typeof BillingJob>[0] => ({ ledger, coreBilling: {} as never, clock: { now: () => new Date(`${DATE}T01:00:00Z`) } });

  beforeAll(async () => {
    tables = await createTestTables();
    ledger = new DynamoLedger(tables.document, tables.tableName(LEDGER_TABLE));
    // Accounts due on the 30th of November: anniversary days 30 and 31, two index partitions.
    const accounts: Account[] = Array.from({ length: 40 }, (_, i) => ({
      clientId: CLIENT,
      accountId: `acct${String(i).padStart(3, '0')}`,
      name: `Account ${i}`,
      anniversaryDay: i % 2 === 0 ? 30 : 31,
      status: 'ACTIVE',
      ratePlanId: 'basic',
      openedOn: '2025-01-01',
    }));
    await ledger.putAccounts(accounts);
    const usage: UsageRecord[] = accounts.flatMap((account) =>
      Array.from({ length: 15 }, (_, n) => ({ clientId: CLIENT, accountId: account.accountId, usageDate: `2026-11-${String(1 + (n % 28)).padStart(2, '0')}`, usageId: `u${n}`, usageType: 'calls', quantity: 1, state: 'UNRATED' as const, rev: 0 })),
    );
    await ledger.importUsage(usage);
    for (let i = 0; i < 12; i++) {
      await ledger.requestRerate({ clientId: CLIENT, accountId: accounts[i]!.accountId, requestId: `r${i}`, fromDate: '2026-11-01', toDate: '2026-11-30', reason: 'fix', requestedAt: `2026-11-30T00:00:${String(59 - i).padStart(2, '0')}Z` });
    }
  }, 120_000);

  it('lists, for every item of every ledger job, exactly the items after it', async () => {
    for (const job of [new BillingJob(deps()), new UsageRatingJob(deps(), 'USAGE_RATING'), new ReratingJob(deps())]) {
      const full = await all(job.collect(ctx));
      expect(new Set(full).size).toBe(full.length);
      expect(full.length).toBeGreaterThan(10);
      // Every cut point of the short lists; a spread of them (shard and day boundaries included) of the 600 usage records.
      const cuts = full.length < 100 ? full.map((_, i) => i) : Array.from({ length: 60 }, (_, i) => i * 10 + (i % 10));
      for (const cut of cuts) expect(await all(job.collectAfter(ctx, full[cut]!)), `${job.type} after ${full[cut]}`).toEqual(full.slice(cut + 1));
    }
  }, 240_000);

  it('a USAGE_RATING collect killed half way resumes with nothing twice and nothing lost', async () => {
    const runs = new DynamoRunStore(tables.document, tables.tableName(RUNS_TABLE));
    const { run } = await runs.claimRun(
      runDraftFixture({ processingDate: DATE, status: 'RUNNING', jobs: [{ seq: 1, type: 'USAGE_RATING', status: 'RUNNING', stats: emptyStats(), generation: 0 }] }),
    );
    const input = { runId: run.runId, seq: 1, executionName: run.executionName };
    // Batches of 10 (the job's own are 500): 600 records are 60 batches, pages of 25 batches; the second page's write dies.
    const yielded: string[] = [];
    const rating = (): JobHandler => {
      const inner = new UsageRatingJob(deps(), 'USAGE_RATING');
      async function* counted(items: AsyncIterable<string>): AsyncIterable<string> {
        for await (const item of items) {
          yielded.push(item);
          yield item;
        }
      }
      return {
        type: 'USAGE_RATING',
        batchSize: 10,
        parseSettings: (settings) => inner.parseSettings(settings),
        process: (c, ids) => inner.process(c, ids),
        collect: (c) => counted(inner.collect(c)),
        collectAfter: (c, after) => counted(inner.collectAfter(c, after)),
      };
    };
    const failing = new DynamoRunStore(tables.document, tables.tableName(RUNS_TABLE));
    const putBatches = failing.putBatches.bind(failing);
    let pages = 0;
    failing.putBatches = async (runId, seq, batches) => {
      if (++pages === 2) throw new TransientStoreError('the function timed out here');
      return putBatches(runId, seq, batches);
    };
    await expect(collectWorkItems({ runs: failing, registry: new JobRegistry([rating()]), clock: { now: () => new Date() } }, input)).rejects.toThrow(TransientStoreError);

    yielded.length = 0;
    const { batches } = await collectWorkItems({ runs, registry: new JobRegistry([rating()]), clock: { now: () => new Date() } }, input);
    expect(batches).toEqual(Array.from({ length: 60 }, (_, i) => i));
    // The retry read the ledger from the 251st record on: the first page (250 records) was stored.
    expect(yielded).toHaveLength(350);
    const stored: string[] = [];
    for (let batchNo = 0; batchNo < 60; batchNo++) stored.push(...((await runs.getBatch(run.runId, 1, batchNo))?.itemIds ?? []));
    const expected = await all(new UsageRatingJob(deps(), 'USAGE_RATING').collect(ctx));
    expect(stored).toEqual(expected);
    expect(new Set(stored).size).toBe(600);
    expect(expected).toContain(usageItemId({ accountId: 'acct000', usageDate: '2026-11-01', usageId: 'u0' }));
  }, 240_000);
});
