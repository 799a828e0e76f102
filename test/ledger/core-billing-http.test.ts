import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpCoreBilling, staticCredentials, type CoreBillingCredentials } from '../../lambdas/adapters/aws/http-core-billing';
import { CoreBillingStandIn } from '../../lambdas/adapters/local/core-billing-stand-in';
import { CoreBillingRefusedError, CoreBillingUnavailableError, type CoreTransaction } from '../../lambdas/ports/core-billing';

/** The core billing client against the local stand-in, over real HTTP on loopback. */
const KEY = 'test-key';

function transaction(accountId: string, n: number, version = 1): CoreTransaction {
  return {
    idempotencyKey: `acme:${accountId}/2026-11-05/u${n}:v${version}`,
    transactionId: `${accountId}/2026-11-05/u${n}`,
    accountId,
    usageDate: '2026-11-05',
    usageType: 'calls',
    quantity: n,
    amountMinor: n * 10,
    currency: 'USD',
    version,
  };
}

describe('core billing over HTTP', () => {
  let standIn: CoreBillingStandIn;
  const client = (options: { credentials?: CoreBillingCredentials; timeoutMs?: number; maxAttempts?: number } = {}): HttpCoreBilling =>
    new HttpCoreBilling({ endpoint: standIn.endpoint, credentials: options.credentials ?? staticCredentials(KEY), timeoutMs: options.timeoutMs ?? 2_000, maxAttempts: options.maxAttempts ?? 4, backoffMs: 5 });

  beforeAll(async () => {
    standIn = await CoreBillingStandIn.start({ port: 0, apiKey: KEY });
  });

  afterAll(async () => {
    await standIn.stop();
  });

  it('accepts a batch once: sent again, the same keys are answered ACCEPTED with the same reference and stored once', async () => {
    const batch = [transaction('a1', 1), transaction('a1', 2)];

    const first = await client().sendTransactions('acme', batch);
    const again = await client().sendTransactions('acme', batch);

    expect(first.map((r) => r.status)).toEqual(['ACCEPTED', 'ACCEPTED']);
    expect(again).toEqual(first);
    expect(standIn.transactions('a1')).toHaveLength(2);
  });

  it("rejects the accounts it is told to with its code, stores nothing for them, and accepts the same key once cleared", async () => {
    await fetch(`${standIn.url}/control/rejections/a2`, { method: 'PUT', body: JSON.stringify({ code: 'ACCOUNT_BLOCKED', message: 'blocked' }) });

    const rejected = await client().sendTransactions('acme', [transaction('a2', 1), transaction('a3', 1)]);
    expect(rejected).toEqual([
      { idempotencyKey: transaction('a2', 1).idempotencyKey, status: 'REJECTED', code: 'ACCOUNT_BLOCKED', message: 'blocked' },
      expect.objectContaining({ status: 'ACCEPTED' }),
    ]);
    expect(standIn.transactions('a2')).toEqual([]);

    await fetch(`${standIn.url}/control/rejections/a2`, { method: 'DELETE' });
    const accepted = await client().sendTransactions('acme', [transaction('a2', 1)]);
    expect(accepted[0]?.status).toBe('ACCEPTED');
  });

  it('retries 5xx answers with backoff and succeeds when core billing is back', async () => {
    const before = standIn.stats().failedRequests;
    await fetch(`${standIn.url}/control/outage`, { method: 'PUT', body: JSON.stringify({ status: 503, requests: 2 }) });

    const results = await client().sendTransactions('acme', [transaction('a4', 1)]);

    expect(results[0]?.status).toBe('ACCEPTED');
    expect(standIn.stats().failedRequests - before).toBe(2);
  });

  it('gives up after its attempts with CoreBillingUnavailableError naming the last problem', async () => {
    standIn.startOutage({ status: 502 });
    try {
      await expect(client({ maxAttempts: 3 }).sendTransactions('acme', [transaction('a5', 1)])).rejects.toThrow(CoreBillingUnavailableError);
      await expect(client({ maxAttempts: 2 }).sendTransactions('acme', [transaction('a5', 1)])).rejects.toThrow(/failed 2 attempts.*answered 502/);
    } finally {
      standIn.endOutage();
    }
    expect(standIn.transactions('a5')).toEqual([]);
  });

  it('retries a request that timed out; core had processed it, so the retry is a duplicate and nothing is stored twice', async () => {
    standIn.startOutage({ delayMs: 400, requests: 1 });

    const results = await client({ timeoutMs: 150 }).sendTransactions('acme', [transaction('a6', 1)]);

    expect(results[0]?.status).toBe('ACCEPTED');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(standIn.transactions('a6')).toHaveLength(1);
  });

  it('reads the credentials again after a 401, and refuses for good when they stay wrong', async () => {
    const keys = ['rotated-away', KEY];
    let invalidations = 0;
    const rotating: CoreBillingCredentials = { apiKey: async () => keys[0]!, invalidate: () => (invalidations++, keys.shift()) };

    expect((await client({ credentials: rotating }).sendTransactions('acme', [transaction('a7', 1)]))[0]?.status).toBe('ACCEPTED');
    expect(invalidations).toBe(1);

    const wrong = client({ credentials: staticCredentials('wrong') }).sendTransactions('acme', [transaction('a7', 2)]);
    await expect(wrong).rejects.toThrow(CoreBillingRefusedError);
    await expect(client({ credentials: staticCredentials('wrong') }).sendTransactions('acme', [transaction('a7', 2)])).rejects.toMatchObject({ status: 401 });
  });

  it('answers CoreBillingUnavailableError when nothing listens', async () => {
    const gone = await CoreBillingStandIn.start({ port: 0, apiKey: KEY });
    await gone.stop();
    const unreachable = new HttpCoreBilling({ endpoint: gone.endpoint, credentials: staticCredentials(KEY), maxAttempts: 2, backoffMs: 1 });

    await expect(unreachable.sendTransactions('acme', [transaction('a8', 1)])).rejects.toThrow(/connection failed/);
  });

  it('shows its rejections, outage and counters on the control API', async () => {
    standIn.rejectAccount('a9');

    const state = await (await fetch(`${standIn.url}/control`)).json();

    expect(state.rejections.a9).toMatchObject({ code: 'ACCOUNT_REJECTED' });
    expect(state).toMatchObject({ outage: null, stored: expect.any(Number), duplicates: expect.any(Number) });
    standIn.clearRejections();
  });
});
