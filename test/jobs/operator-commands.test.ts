import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseApiTokens } from '../../lambdas/api/auth';
import type { LocalRuntime } from '../../lambdas/composition/local-runtime';
import { claimDataDir, writeRuntimeFile } from '../../lambdas/adapters/local/runtime-file';
import { seedAccount, seedUsage } from '../../lambdas/jobs/ledger-generator';
import { connectApi, type Api } from '../../scripts/support/api-client';
import { putRate } from '../../scripts/support/rate-plan-edit';
import { ADMIN_TOKEN, api, startTestRuntime, waitForRun } from '../support/local-runtime';

/**
 * `npm run seed` and `npm run ledger` as an operator runs them, against a running runtime: its
 * runtime.json in DATA_DIR names the API, the admin token and the core billing stand-in, and
 * every effect is checked through the API, the only way the commands reach the ledger.
 */
const run = promisify(execFile);
const TOKENS = 'viewer-token:cli:viewer,beta-token:beta:operator';
const SEED = { clientId: 'cli', accounts: 40, usagePerAccount: 2, month: '2026-10', seed: 5, unratedShare: 0.25 };
const SEED_ARGS = ['--client', 'cli', '--accounts', '40', '--usage-per-account', '2', '--month', '2026-10', '--seed', '5', '--unrated-share', '0.25'];

describe('the operator commands', () => {
  let dataDir: string;
  let emptyDir: string;
  let runtime: LocalRuntime;
  let owner: { release(): void } | undefined;
  const printed: string[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'jsm-commands-'));
    emptyDir = mkdtempSync(join(tmpdir(), 'jsm-commands-none-'));
    runtime = await startTestRuntime({ apiTokens: parseApiTokens(TOKENS), coreBilling: { backoffMs: 5 } });
    // The commands trust runtime.json only from the data directory's live owner: this process stands in for npm start.
    owner = claimDataDir(dataDir, 'runtime', 'the operator commands test');
    writeRuntimeFile(dataDir, {
      pid: process.pid,
      apiUrl: runtime.url,
      dynamoEndpoint: inject('dynamoEndpoint'),
      tablePrefix: runtime.tablePrefix,
      coreBillingUrl: runtime.coreBilling.url,
      coreBillingControlToken: runtime.coreBilling.controlToken,
      adminToken: ADMIN_TOKEN,
    });
  });

  afterAll(async () => {
    // The admin token comes from runtime.json and is never shown.
    expect(printed.filter((text) => text.includes(ADMIN_TOKEN))).toEqual([]);
    await runtime?.stop();
    owner?.release();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(emptyDir, { recursive: true, force: true });
  });

  async function command(script: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    const { JSM_API_URL: _url, JSM_TOKEN: _token, ...inherited } = process.env;
    let result: { code: number; stdout: string; stderr: string };
    try {
      const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', `scripts/${script}.ts`, ...args], { env: { ...inherited, DATA_DIR: dataDir, ...env } });
      result = { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      result = { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
    printed.push(result.stdout, result.stderr);
    return result;
  }

  async function all(path: string): Promise<any[]> {
    const { status, body } = await api(runtime, 'GET', `${path}${path.includes('?') ? '&' : '?'}limit=1000`);
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body.nextToken).toBeUndefined();
    return body.items;
  }

  const usageCount = async (): Promise<number> => {
    let count = 0;
    for (const state of ['UNRATED', 'SUSPENDED', 'RATED', 'SYNCED', 'SYNC_ERROR', 'DISCARDED']) count += (await all(`/v1/clients/cli/ledger/usage?state=${state}`)).length;
    return count;
  };

  it('seeds the deterministic ledger through the API, and a second run of the same arguments changes nothing and says so', async () => {
    const first = await command('seed', SEED_ARGS);

    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('into the running runtime');
    expect(first.stdout).toContain('2 rate plans: 2 created');
    expect(first.stdout).toContain('40 accounts (anniversary days 1-31): 40 created, 0 already there');
    expect(first.stdout).toMatch(/80 usage records dated 2026-10, \d+ of them without a rate: 80 new, 0 duplicates/);
    const accounts = await all('/v1/clients/cli/ledger/accounts');
    expect(accounts).toHaveLength(40);
    const { clientId: _c, ...fortieth } = seedAccount(SEED, 39);
    expect(accounts.find((account) => account.accountId === 'acc-0000040')).toMatchObject(fortieth);
    const unrated = await all('/v1/clients/cli/ledger/usage?state=UNRATED');
    const expected = Array.from({ length: 40 }, (_, i) => seedUsage(SEED, i)).flat();
    expect(unrated.map((r) => `${r.accountId}/${r.usageDate}/${r.usageId} ${r.usageType} ${r.quantity}`).sort()).toEqual(
      expected.map((r) => `${r.accountId}/${r.usageDate}/${r.usageId} ${r.usageType} ${r.quantity}`).sort(),
    );
    expect((await all('/v1/clients/cli/ledger/rate-plans')).map((plan) => [plan.ratePlanId, plan.version])).toEqual([['basic', 1], ['pro', 1]]);

    const second = await command('seed', SEED_ARGS);

    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('2 rate plans: 0 created, 2 already there');
    expect(second.stdout).toContain('40 accounts (anniversary days 1-31): 0 created, 40 already there');
    expect(second.stdout).toContain('80 usage records dated 2026-10');
    expect(second.stdout).toContain('0 new, 80 duplicates');
    expect(second.stdout).toContain('Nothing changed');
    expect(await all('/v1/clients/cli/ledger/accounts')).toHaveLength(40);
    expect(await usageCount()).toBe(80);
    expect((await all('/v1/clients/cli/ledger/rate-plans')).map((plan) => plan.version)).toEqual([1, 1]);
  }, 120_000);

  it('lists the suspense and sync-error queues of a failed run, discards a record, adds the missing rate, and lists invoices', async () => {
    expect((await api(runtime, 'PUT', '/v1/clients/cli', { name: 'cli', timezone: 'UTC' })).status).toBe(201);
    expect((await command('ledger', ['core', 'reject', '--account', 'acc-0000001', '--code', 'ACCOUNT_BLOCKED'])).code).toBe(0);
    const triggered = await api(runtime, 'POST', '/v1/clients/cli/schedules/daily/runs', { processingDate: '2026-10-31' });
    expect(await waitForRun(runtime, 'cli', triggered.body.runId, ['FAILED'])).toMatchObject({ status: 'FAILED' });
    const suspended = await all('/v1/clients/cli/ledger/usage?state=SUSPENDED');
    const syncErrors = await all('/v1/clients/cli/ledger/usage?state=SYNC_ERROR');
    expect(suspended.length).toBeGreaterThan(0);
    expect(syncErrors.length).toBeGreaterThan(0);

    const suspense = await command('ledger', ['suspense', '--client', 'cli']);
    const errors = await command('ledger', ['sync-errors', '--client', 'cli', '--account', 'acc-0000001']);

    expect(suspense.code, suspense.stderr).toBe(0);
    for (const record of suspended) expect(suspense.stdout).toContain(`${record.accountId}/${record.usageDate}/${record.usageId}  premium-sms × ${record.quantity}  SUSPENDED  NO_RATE:`);
    expect(suspense.stdout).toContain(`${suspended.length} shown`);
    expect(errors.code, errors.stderr).toBe(0);
    expect(errors.stdout).toContain('SYNC_ERROR  ACCOUNT_BLOCKED:');
    expect(errors.stdout).toContain(`${syncErrors.length} shown`);

    const [first] = suspended;
    const key = `${first.accountId}/${first.usageDate}/${first.usageId}`;
    const discarded = await command('ledger', ['discard', '--client', 'cli', '--reason', 'test traffic', key]);
    const again = await command('ledger', ['discard', '--client', 'cli', '--reason', 'test traffic', key]);

    expect(discarded.code, discarded.stderr).toBe(0);
    expect(discarded.stdout).toContain('1 record(s) discarded');
    expect(await all('/v1/clients/cli/ledger/usage?state=DISCARDED')).toEqual([expect.objectContaining({ usageId: first.usageId, discard: expect.objectContaining({ reason: 'test traffic' }) })]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('NOT_DISCARDABLE: only SUSPENDED or SYNC_ERROR records can be discarded');

    const rated = await command('ledger', ['rate', '--client', 'cli', '--plan', 'basic', '--usage-type', 'premium-sms', '--unit-price', '0.045', '--from', '2026-01-01']);
    const repriced = await command('ledger', ['rate', '--client', 'cli', '--plan', 'basic', '--usage-type', 'premium-sms', '--unit-price', '0.05', '--from', '2026-01-01']);

    expect(rated.code, rated.stderr).toBe(0);
    expect(repriced.code, repriced.stderr).toBe(0);
    const plan = (await api(runtime, 'GET', '/v1/clients/cli/ledger/rate-plans/basic')).body;
    expect(plan.version).toBe(3);
    expect(plan.rates.filter((rate: { usageType: string }) => rate.usageType === 'premium-sms')).toEqual([{ usageType: 'premium-sms', effectiveFrom: '2026-01-01', unitPriceMicros: 50_000 }]);
    expect(plan.rates).toHaveLength(4);

    const invoices = await all('/v1/clients/cli/ledger/invoices?periodId=2026-10');
    const listed = await command('ledger', ['invoices', '--client', 'cli', '--period', '2026-10']);
    const everyPeriod = await command('ledger', ['invoices', '--client', 'cli']);
    expect(invoices.length).toBeGreaterThan(0);
    expect(listed.code, listed.stderr).toBe(0);
    for (const invoice of invoices) expect(listed.stdout).toContain(`${invoice.accountId}  2026-10  ${invoice.periodStart}..${invoice.periodEnd}  ${(invoice.totalMinor / 100).toFixed(2)} USD`);
    expect(everyPeriod.code, everyPeriod.stderr).toBe(0);
    expect(everyPeriod.stdout).toBe(listed.stdout);
  }, 180_000);

  it('keeps a concurrent change to the rate plan: a stale If-Match (412) is read again and changed once more', async () => {
    const target = await connectApi({ api: runtime.url, token: ADMIN_TOKEN });
    let raced = false;
    const racing: Api = {
      ...target,
      request: async (method, path, body, options) => {
        if (method === 'PUT' && !raced) {
          raced = true;
          const current = (await target.request('GET', '/v1/clients/cli/ledger/rate-plans/pro')).body;
          const renamed = { name: 'Pro (renamed)', currency: current.currency, recurringChargeMinor: current.recurringChargeMinor, rates: current.rates };
          await target.request('PUT', '/v1/clients/cli/ledger/rate-plans/pro', renamed, { headers: { 'if-match': `"${current.version}"` } });
        }
        return target.request(method, path, body, options);
      },
    };

    await putRate(racing, 'cli', 'pro', { usageType: 'premium-sms', effectiveFrom: '2026-01-01', unitPriceMicros: 40_000 });

    const plan = (await api(runtime, 'GET', '/v1/clients/cli/ledger/rate-plans/pro')).body;
    expect(plan).toMatchObject({ name: 'Pro (renamed)', version: 3 });
    expect(plan.rates).toContainEqual({ usageType: 'premium-sms', effectiveFrom: '2026-01-01', unitPriceMicros: 40_000 });
  });

  it('creates, lists and cancels a rerate request', async () => {
    const created = await command('ledger', ['rerate', '--client', 'cli', '--account', 'acc-0000003', '--from', '2026-10-01', '--to', '2026-10-15', '--request', 'rr-test', '--reason', 'price fix']);
    const listed = await command('ledger', ['rerates', '--client', 'cli', '--status', 'OPEN']);

    expect(created.code, created.stderr).toBe(0);
    expect(await all('/v1/clients/cli/ledger/rerate-requests?status=OPEN')).toEqual([expect.objectContaining({ accountId: 'acc-0000003', requestId: 'rr-test', fromDate: '2026-10-01', toDate: '2026-10-15', reason: 'price fix' })]);
    expect(listed.stdout).toContain('acc-0000003/rr-test  2026-10-01..2026-10-15  OPEN  price fix');

    const cancelled = await command('ledger', ['rerate-cancel', '--client', 'cli', '--account', 'acc-0000003', '--request', 'rr-test']);

    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(await all('/v1/clients/cli/ledger/rerate-requests?status=OPEN')).toEqual([]);
    expect(await all('/v1/clients/cli/ledger/rerate-requests?status=CANCELLED')).toEqual([expect.objectContaining({ requestId: 'rr-test' })]);
  });

  it('refuses bad arguments with its usage, and prints the API’s error code for a token that may not', async () => {
    const badPrice = await command('ledger', ['rate', '--client', 'cli', '--plan', 'basic', '--usage-type', 'premium-sms', '--unit-price', '4,5']);
    const unknown = await command('ledger', ['refund', '--client', 'cli']);
    const noReason = await command('ledger', ['discard', '--client', 'cli', 'acc-0000001/2026-10-01/u0001']);
    const badSeed = await command('seed', ['--client', 'cli', '--accounts', 'many']);
    const viewer = await command('ledger', ['rate', '--client', 'cli', '--plan', 'basic', '--usage-type', 'x', '--unit-price', '1', '--token', 'viewer-token']);
    const otherClient = await command('ledger', ['suspense', '--client', 'cli'], { JSM_TOKEN: 'beta-token' });
    const wrong = await command('seed', [...SEED_ARGS, '--token', 'not-a-token']);

    for (const bad of [badPrice, unknown, noReason]) {
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('usage: npm run ledger');
    }
    expect(badPrice.stderr).toContain('--unit-price');
    expect(noReason.stderr).toContain('--reason');
    expect(badSeed.code).toBe(2);
    expect(badSeed.stderr).toContain('usage: npm run seed');
    expect(badSeed.stderr).toContain('--accounts');
    expect(viewer.code).toBe(1);
    expect(viewer.stderr).toContain('FORBIDDEN_ACTION: ');
    expect(otherClient.code).toBe(1);
    expect(otherClient.stderr).toContain('FORBIDDEN: these credentials may not act for client cli');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('UNAUTHORIZED: ');
    expect(await all('/v1/clients/cli/ledger/accounts')).toHaveLength(40);
  }, 120_000);

  it('refuses without a reachable API, saying to start npm start and which token to use', async () => {
    const none = await command('ledger', ['suspense', '--client', 'cli'], { DATA_DIR: emptyDir });
    const unreachable = await command('seed', [...SEED_ARGS, '--api', 'http://127.0.0.1:9', '--token', 't']);
    const elsewhere = await command('ledger', ['invoices', '--client', 'cli'], { JSM_API_URL: 'http://127.0.0.1:9' });

    expect(none.code).toBe(1);
    expect(none.stderr).toContain('npm start (same DATA_DIR)');
    expect(none.stderr).toContain('--token or JSM_TOKEN');
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain('cannot reach the API at http://127.0.0.1:9');
    expect(unreachable.stderr).toContain('npm start');
    // The runtime's admin token is for the runtime's own API only.
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toContain('no token for http://127.0.0.1:9');
  }, 120_000);

  it("drives core billing's stand-in of the running runtime", async () => {
    expect((await command('ledger', ['core', 'accept'])).code).toBe(0);
    const rejected = await command('ledger', ['core', 'reject', '--account', 'acc-0000007', '--code', 'ACCOUNT_BLOCKED']);
    expect(rejected.code, rejected.stderr).toBe(0);
    expect(JSON.parse((await command('ledger', ['core', 'status'])).stdout).rejections).toEqual({ 'acc-0000007': expect.objectContaining({ code: 'ACCOUNT_BLOCKED' }) });

    expect((await command('ledger', ['core', 'accept'])).code).toBe(0);
    expect(JSON.parse((await command('ledger', ['core', 'status'])).stdout).rejections).toEqual({});
  });
});
