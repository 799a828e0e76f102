import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpCoreBilling, staticCredentials, type CoreBillingCredentials } from '../../lambdas/adapters/aws/http-core-billing';
import { CoreBillingStandIn } from '../../lambdas/adapters/local/core-billing-stand-in';
import { freePort } from '../../lambdas/adapters/local/dynamo-local';
import { CoreBillingRefusedError, CoreBillingUnavailableError, type CoreTransaction } from '../../lambdas/ports/core-billing';

/** The core billing client against the local stand-in, over real HTTP on loopback. */
const KEY = 'test-key';
const CONTROL = 'test-control-token';
const AS_CONTROLLER = { authorization: `Bearer ${CONTROL}` };

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
    standIn = await CoreBillingStandIn.start({ port: 0, apiKey: KEY, controlToken: CONTROL });
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
    await fetch(`${standIn.url}/control/rejections/a2`, { method: 'PUT', headers: AS_CONTROLLER, body: JSON.stringify({ code: 'ACCOUNT_BLOCKED', message: 'blocked' }) });

    const rejected = await client().sendTransactions('acme', [transaction('a2', 1), transaction('a3', 1)]);
    expect(rejected).toEqual([
      { idempotencyKey: transaction('a2', 1).idempotencyKey, status: 'REJECTED', code: 'ACCOUNT_BLOCKED', message: 'blocked' },
      expect.objectContaining({ status: 'ACCEPTED' }),
    ]);
    expect(standIn.transactions('a2')).toEqual([]);

    await fetch(`${standIn.url}/control/rejections/a2`, { method: 'DELETE', headers: AS_CONTROLLER });
    const accepted = await client().sendTransactions('acme', [transaction('a2', 1)]);
    expect(accepted[0]?.status).toBe('ACCEPTED');
  });

  it('retries 5xx answers with backoff and succeeds when core billing is back', async () => {
    const before = standIn.stats().failedRequests;
    await fetch(`${standIn.url}/control/outage`, { method: 'PUT', headers: AS_CONTROLLER, body: JSON.stringify({ status: 503, requests: 2 }) });

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
    const gone = await CoreBillingStandIn.start({ port: 0, apiKey: KEY, controlToken: CONTROL });
    await gone.stop();
    const unreachable = new HttpCoreBilling({ endpoint: gone.endpoint, credentials: staticCredentials(KEY), maxAttempts: 2, backoffMs: 1 });

    await expect(unreachable.sendTransactions('acme', [transaction('a8', 1)])).rejects.toThrow(/connection failed/);
  });

  it('shows its rejections, outage and counters on the control API', async () => {
    standIn.rejectAccount('a9');

    const state = await (await fetch(`${standIn.url}/control`, { headers: AS_CONTROLLER })).json();

    expect(state.rejections.a9).toMatchObject({ code: 'ACCOUNT_REJECTED' });
    expect(state).toMatchObject({ outage: null, stored: expect.any(Number), duplicates: expect.any(Number) });
    standIn.clearRejections();
  });

  it('answers the control API only with its token (401) and a loopback Host (403), and changes nothing otherwise', async () => {
    const outage = (headers: Record<string, string>): Promise<Response> =>
      fetch(`${standIn.url}/control/outage`, { method: 'PUT', headers, body: JSON.stringify({ status: 503 }) });

    const noToken = await outage({});
    const wrongToken = await outage({ authorization: 'Bearer guessed' });
    const rebound = await rawRequest(standIn.url, '/control/transactions', { host: `attacker.example:${new URL(standIn.url).port}`, ...AS_CONTROLLER });
    const localhost = await rawRequest(standIn.url, '/control', { host: `localhost:${new URL(standIn.url).port}`, ...AS_CONTROLLER });

    expect([noToken.status, (await noToken.json()).error.code]).toEqual([401, 'UNAUTHORIZED']);
    expect(wrongToken.status).toBe(401);
    expect([rebound.status, JSON.parse(rebound.body).error.code]).toEqual([403, 'FORBIDDEN']);
    expect(localhost.status).toBe(200);
    expect((await client().sendTransactions('acme', [transaction('a10', 1)]))[0]?.status).toBe('ACCEPTED');
  });
});

/** A GET with a Host header of our choosing (fetch always sends the URL's host). */
function rawRequest(base: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${base}${path}`, { headers }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.once('error', reject);
    request.end();
  });
}

describe('the core billing stand-in’s store file', () => {
  it('starts after a kill cut its last append short: the cut entry is dropped, its batch is accepted again when resent, nothing is stored twice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'core-store-'));
    const storePath = join(dir, 'accepted.jsonl');
    const first = await CoreBillingStandIn.start({ port: 0, apiKey: KEY, controlToken: CONTROL, storePath });
    const send = (standIn: CoreBillingStandIn, batch: CoreTransaction[]) =>
      new HttpCoreBilling({ endpoint: standIn.endpoint, credentials: staticCredentials(KEY), timeoutMs: 2_000, maxAttempts: 1, backoffMs: 5 }).sendTransactions('acme', batch);
    await send(first, [transaction('k1', 1)]);
    await first.stop();
    // SIGKILL in the middle of appending the next batch: half an entry, no newline, no answer sent.
    appendFileSync(storePath, '{"clientId":"acme","transaction":{"idempotencyKey":"acme:k1/2026-');

    const second = await CoreBillingStandIn.start({ port: 0, apiKey: KEY, controlToken: CONTROL, storePath });
    expect(second.transactions('k1')).toHaveLength(1);
    const resent = await send(second, [transaction('k1', 1), transaction('k1', 2)]);
    expect(resent.map((r) => r.status)).toEqual(['ACCEPTED', 'ACCEPTED']);
    await second.stop();

    const third = await CoreBillingStandIn.start({ port: 0, apiKey: KEY, controlToken: CONTROL, storePath });
    expect(third.transactions('k1').map((t) => t.transaction.transactionId)).toEqual(['k1/2026-11-05/u1', 'k1/2026-11-05/u2']);
    await third.stop();
    expect(readFileSync(storePath, 'utf8').trim().split('\n')).toHaveLength(2);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to start on a store whose middle is not JSON, saying which line, and leaves no port open', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'core-store-'));
    const storePath = join(dir, 'accepted.jsonl');
    writeFileSync(storePath, 'not json\n{}\n');
    const port = await freePort();
    await expect(CoreBillingStandIn.start({ port, apiKey: KEY, controlToken: CONTROL, storePath })).rejects.toThrow(/line 1 of .*accepted\.jsonl is not JSON/);
    // The port is free again: a stand-in starts on it.
    writeFileSync(storePath, '');
    const standIn = await CoreBillingStandIn.start({ port, apiKey: KEY, controlToken: CONTROL, storePath });
    await standIn.stop();
    rmSync(dir, { recursive: true, force: true });
  });
});
