import { beforeAll, describe, expect, it } from 'vitest';
import type { Invoice, UsageRecord } from '../../lambdas/domain/ledger';
import { createApiHarness, type ApiHarness, type ApiResponse } from './support/harness';

const PLAN = { name: 'Basic', currency: 'USD', recurringChargeMinor: 900, rates: [{ usageType: 'CALLS', effectiveFrom: '2026-01-01', unitPriceMicros: 1500 }] };
const ACCOUNT = { name: 'Account', anniversaryDay: 15, status: 'ACTIVE', ratePlanId: 'basic', openedOn: '2026-01-15' };
const REASON = { code: 'NO_RATE', message: 'no CALLS rate on 2026-11-20', at: '2026-11-21T00:00:00Z' };

describe('the ledger routes (DynamoDB Local, the real router)', () => {
  let h: ApiHarness;

  beforeAll(async () => {
    h = await createApiHarness();
  });

  const ledgerPath = (clientId: string): string => `/v1/clients/${clientId}/ledger`;
  /** A client with the basic plan and one account `a1`. */
  async function clientWithAccount(): Promise<string> {
    const clientId = h.newClientId('ledger');
    expect((await h.send({ method: 'PUT', path: `${ledgerPath(clientId)}/rate-plans/basic`, body: PLAN })).status).toBe(201);
    expect((await h.send({ method: 'PUT', path: `${ledgerPath(clientId)}/accounts/a1`, body: ACCOUNT })).status).toBe(201);
    return clientId;
  }
  const usage = (clientId: string, usageId: string, state: UsageRecord['state'], extra: Partial<UsageRecord> = {}): UsageRecord => ({
    clientId,
    accountId: 'a1',
    usageDate: '2026-11-20',
    usageId,
    usageType: 'CALLS',
    quantity: 5,
    state,
    rev: 1,
    ...extra,
  });
  /** Every item of a list, following nextToken page by page. */
  async function allPages(path: string, limit: number): Promise<{ items: any[]; pages: number }> {
    const items: any[] = [];
    let pages = 0;
    let nextToken: string | undefined;
    do {
      const separator = path.includes('?') ? '&' : '?';
      const response: ApiResponse = await h.send({ method: 'GET', path: `${path}${separator}limit=${limit}${nextToken ? `&nextToken=${encodeURIComponent(nextToken)}` : ''}` });
      expect(response.status).toBe(200);
      items.push(...response.body.items);
      nextToken = response.body.nextToken;
      pages++;
    } while (nextToken);
    return { items, pages };
  }

  describe('rate plans', () => {
    it('creates a plan at version 1, replaces it whole with If-Match, and refuses a stale or missing If-Match', async () => {
      const clientId = h.newClientId('plans');
      const path = `${ledgerPath(clientId)}/rate-plans/basic`;

      const created = await h.send({ method: 'PUT', path, body: PLAN });
      const withoutIfMatch = await h.send({ method: 'PUT', path, body: PLAN });
      const replaced = await h.send({
        method: 'PUT',
        path,
        headers: { 'If-Match': created.headers.etag as string },
        body: { ...PLAN, rates: [{ usageType: 'SMS', effectiveFrom: '2026-02-01', unitPriceMicros: 200 }] },
      });
      const stale = await h.send({ method: 'PUT', path, headers: { 'If-Match': '"1"' }, body: PLAN });
      const read = await h.send({ method: 'GET', path });

      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ ratePlanId: 'basic', version: 1, currency: 'USD' });
      expect(created.headers.etag).toBe('"1"');
      expect(withoutIfMatch.status).toBe(428);
      expect(withoutIfMatch.body.error.code).toBe('PRECONDITION_REQUIRED');
      expect(replaced.status).toBe(200);
      expect(replaced.body.version).toBe(2);
      expect(stale.status).toBe(412);
      expect(stale.body.error.code).toBe('STALE_VERSION');
      // The CALLS rate was not in the replacement: the plan is exactly what was sent.
      expect(read.body.rates).toEqual([{ usageType: 'SMS', effectiveFrom: '2026-02-01', unitPriceMicros: 200 }]);
      expect(read.headers.etag).toBe('"2"');
    });

    it('lists plans a page at a time and answers 404 for an unknown one', async () => {
      const clientId = h.newClientId('plans');
      for (const id of ['p1', 'p2', 'p3']) await h.send({ method: 'PUT', path: `${ledgerPath(clientId)}/rate-plans/${id}`, body: PLAN });

      const { items, pages } = await allPages(`${ledgerPath(clientId)}/rate-plans`, 2);
      const missing = await h.send({ method: 'GET', path: `${ledgerPath(clientId)}/rate-plans/none` });

      expect(items.map((plan) => plan.ratePlanId).sort()).toEqual(['p1', 'p2', 'p3']);
      expect(pages).toBe(2);
      expect(missing.status).toBe(404);
    });

    it.each([
      ['currency', { ...PLAN, currency: 'XYZ' }],
      ['recurringChargeMinor', { ...PLAN, recurringChargeMinor: 9.5 }],
      ['rates.0.effectiveFrom', { ...PLAN, rates: [{ ...PLAN.rates[0], effectiveFrom: '1999-12-31' }] }],
      ['rates.0.unitPriceMicros', { ...PLAN, rates: [{ ...PLAN.rates[0], unitPriceMicros: '1500' }] }],
      ['colour', { ...PLAN, colour: 'red' }],
    ])('refuses a plan with a bad %s, naming it', async (field, body) => {
      const clientId = h.newClientId('plans');

      const response = await h.send({ method: 'PUT', path: `${ledgerPath(clientId)}/rate-plans/basic`, body });

      expect(response.status).toBe(400);
      expect(response.body.error.details.map((d: { path: string }) => d.path)).toContain(field);
      expect((await h.send({ method: 'GET', path: `${ledgerPath(clientId)}/rate-plans/basic` })).status).toBe(404);
    });

    it('refuses a replacement whose writes one transaction cannot hold, changing nothing', async () => {
      const clientId = h.newClientId('plans');
      const seeded = Array.from({ length: 70 }, (_, i) => ({ usageType: `T${i}`, effectiveFrom: '2026-01-01', unitPriceMicros: i }));
      await h.ledger.putRatePlan({ clientId, ratePlanId: 'big', name: 'Big', currency: 'USD', recurringChargeMinor: 0, rates: seeded });
      const rates = Array.from({ length: 40 }, (_, i) => ({ usageType: `N${i}`, effectiveFrom: '2026-01-01', unitPriceMicros: i }));

      const response = await h.send({ method: 'PUT', path: `${ledgerPath(clientId)}/rate-plans/big`, headers: { 'If-Match': '"1"' }, body: { ...PLAN, rates } });

      expect(response.status).toBe(400);
      expect(response.body.error.details[0].path).toBe('rates');
      expect((await h.send({ method: 'GET', path: `${ledgerPath(clientId)}/rate-plans/big` })).body.rates).toHaveLength(70);
    });

    it('refuses a rate listed twice', async () => {
      const response = await h.send({ method: 'PUT', path: `${ledgerPath(h.newClientId('plans'))}/rate-plans/basic`, body: { ...PLAN, rates: [PLAN.rates[0], PLAN.rates[0]] } });

      expect(response.status).toBe(400);
      expect(response.body.error.details[0].path).toBe('rates.1');
    });
  });

  describe('accounts', () => {
    it('answers 409 while the rate plan does not exist, then 201 and 200', async () => {
      const clientId = h.newClientId('accounts');
      const path = `${ledgerPath(clientId)}/accounts/a1`;

      const withoutPlan = await h.send({ method: 'PUT', path, body: ACCOUNT });
      const notStored = await h.send({ method: 'GET', path });
      await h.send({ method: 'PUT', path: `${ledgerPath(clientId)}/rate-plans/basic`, body: PLAN });
      const created = await h.send({ method: 'PUT', path, body: ACCOUNT });
      const replaced = await h.send({ method: 'PUT', path, body: { ...ACCOUNT, anniversaryDay: 31 } });
      const read = await h.send({ method: 'GET', path });

      expect(withoutPlan.status).toBe(409);
      expect(withoutPlan.body.error.code).toBe('RATE_PLAN_NOT_FOUND');
      expect(notStored.status).toBe(404);
      expect(created.status).toBe(201);
      expect(replaced.status).toBe(200);
      expect(read.body).toMatchObject({ accountId: 'a1', anniversaryDay: 31, ratePlanId: 'basic' });
    });

    it('lists every account once across pages', async () => {
      const clientId = await clientWithAccount();
      for (const id of ['a2', 'a3', 'a4', 'a5']) await h.send({ method: 'PUT', path: `${ledgerPath(clientId)}/accounts/${id}`, body: ACCOUNT });

      const { items } = await allPages(`${ledgerPath(clientId)}/accounts`, 2);

      expect(items.map((account) => account.accountId).sort()).toEqual(['a1', 'a2', 'a3', 'a4', 'a5']);
    });

    it.each([
      ['anniversaryDay', { ...ACCOUNT, anniversaryDay: 32 }],
      ['status', { ...ACCOUNT, status: 'OPEN' }],
      ['openedOn', { ...ACCOUNT, openedOn: '2026-02-30' }],
      ['ratePlanId', { ...ACCOUNT, ratePlanId: 'has space' }],
    ])('refuses an account with a bad %s', async (field, body) => {
      const response = await h.send({ method: 'PUT', path: `${ledgerPath(h.newClientId('accounts'))}/accounts/a1`, body });

      expect(response.status).toBe(400);
      expect(response.body.error.details.map((d: { path: string }) => d.path)).toContain(field);
    });

    it('refuses an account id outside the ledger alphabet', async () => {
      const response = await h.send({ method: 'GET', path: `${ledgerPath(h.newClientId('accounts'))}/accounts/a%23b` });

      expect(response.status).toBe(400);
      expect(response.body.error.details[0].path).toBe('accountId');
    });
  });

  describe('usage import', () => {
    it('imports 1,000 records in a handful of DynamoDB requests, and counts the same records again as duplicates', async () => {
      const clientId = await clientWithAccount();
      const records = Array.from({ length: 1000 }, (_, i) => ({ accountId: 'a1', usageDate: '2026-11-20', usageId: `u${i}`, usageType: 'CALLS', quantity: i }));
      h.ledgerMeter.reset();

      const first = await h.send({ method: 'POST', path: `${ledgerPath(clientId)}/usage`, body: { records } });
      const calls = h.ledgerMeter.get('dynamoCalls');
      const again = await h.send({ method: 'POST', path: `${ledgerPath(clientId)}/usage`, body: { records } });

      expect(first.status).toBe(200);
      expect(first.body).toEqual({ accepted: 1000, duplicates: 0 });
      // 10 batched reads of 100 keys and 10 transactions of 100 conditional puts.
      expect(calls).toBeLessThanOrEqual(20);
      expect(again.body).toEqual({ accepted: 0, duplicates: 1000 });
      const { items } = await allPages(`${ledgerPath(clientId)}/usage?state=UNRATED`, 1000);
      expect(items).toHaveLength(1000);
    });

    it('answers 409 naming a different record under a stored key, and writes nothing of that request', async () => {
      const clientId = await clientWithAccount();
      await h.send({ method: 'POST', path: `${ledgerPath(clientId)}/usage`, body: { records: [{ accountId: 'a1', usageDate: '2026-11-20', usageId: 'u1', usageType: 'CALLS', quantity: 5 }] } });

      const response = await h.send({
        method: 'POST',
        path: `${ledgerPath(clientId)}/usage`,
        body: {
          records: [
            { accountId: 'a1', usageDate: '2026-11-20', usageId: 'u2', usageType: 'CALLS', quantity: 1 },
            { accountId: 'a1', usageDate: '2026-11-20', usageId: 'u1', usageType: 'CALLS', quantity: 6 },
          ],
        },
      });

      expect(response.status).toBe(409);
      expect(response.body.error.code).toBe('USAGE_CONFLICT');
      expect(response.body.error.details).toEqual([{ path: 'records.1', message: 'a1/2026-11-20/u1 differs from the stored record' }]);
      expect(response.body.error.message).toContain('nothing of this request was written');
      const stored = await h.ledger.getUsage(clientId, [{ accountId: 'a1', usageDate: '2026-11-20', usageId: 'u2' }]);
      expect(stored.size).toBe(0);
    });

    it('answers 409 for two different records under one key in the same request', async () => {
      const clientId = await clientWithAccount();
      const record = { accountId: 'a1', usageDate: '2026-11-20', usageId: 'u1', usageType: 'CALLS', quantity: 5 };

      const response = await h.send({ method: 'POST', path: `${ledgerPath(clientId)}/usage`, body: { records: [record, { ...record, quantity: 7 }] } });
      const same = await h.send({ method: 'POST', path: `${ledgerPath(clientId)}/usage`, body: { records: [record, record] } });

      expect(response.status).toBe(409);
      expect(response.body.error.details[0].path).toBe('records.1');
      expect(same.body).toEqual({ accepted: 1, duplicates: 1 });
    });

    it.each([
      ['records', { records: [] }],
      ['records', { records: Array.from({ length: 1001 }, (_, i) => ({ accountId: 'a1', usageDate: '2026-11-20', usageId: `u${i}`, usageType: 'CALLS', quantity: 1 })) }],
      ['records.0.quantity', { records: [{ accountId: 'a1', usageDate: '2026-11-20', usageId: 'u1', usageType: 'CALLS', quantity: -1 }] }],
      ['records.0.quantity', { records: [{ accountId: 'a1', usageDate: '2026-11-20', usageId: 'u1', usageType: 'CALLS', quantity: 1.5 }] }],
      ['records.0.usageDate', { records: [{ accountId: 'a1', usageDate: '2100-01-01', usageId: 'u1', usageType: 'CALLS', quantity: 1 }] }],
    ])('refuses a bad %s', async (field, body) => {
      const response = await h.send({ method: 'POST', path: `${ledgerPath(h.newClientId('usage'))}/usage`, body });

      expect(response.status).toBe(400);
      expect(response.body.error.details.map((d: { path: string }) => d.path)).toContain(field);
    });
  });

  describe('the usage queues and discard', () => {
    it('lists the suspense and sync-error queues with their reasons, with and without an account, a page at a time', async () => {
      const clientId = await clientWithAccount();
      await h.ledger.importUsage([
        usage(clientId, 's1', 'SUSPENDED', { suspense: REASON }),
        usage(clientId, 's2', 'SUSPENDED', { suspense: REASON }),
        usage(clientId, 's3', 'SUSPENDED', { suspense: REASON }),
        usage(clientId, 'e1', 'SYNC_ERROR', { syncError: { code: 'REJECTED', message: 'core refused', at: REASON.at } }),
        usage(clientId, 'r1', 'UNRATED'),
      ]);

      const suspended = await allPages(`${ledgerPath(clientId)}/usage?state=SUSPENDED`, 2);
      const ofAccount = await allPages(`${ledgerPath(clientId)}/usage?state=SUSPENDED&accountId=a1`, 2);
      const syncErrors = await h.send({ method: 'GET', path: `${ledgerPath(clientId)}/usage?state=SYNC_ERROR` });
      const badState = await h.send({ method: 'GET', path: `${ledgerPath(clientId)}/usage?state=LOST` });
      const badToken = await h.send({ method: 'GET', path: `${ledgerPath(clientId)}/usage?state=SUSPENDED&nextToken=bm90LWEtdG9rZW4` });

      expect(suspended.items.map((record) => record.usageId).sort()).toEqual(['s1', 's2', 's3']);
      expect(suspended.items[0].suspense).toEqual(REASON);
      expect(ofAccount.items.map((record) => record.usageId)).toEqual(['s1', 's2', 's3']);
      expect(ofAccount.pages).toBe(2);
      expect(syncErrors.body.items).toEqual([expect.objectContaining({ usageId: 'e1', syncError: expect.objectContaining({ code: 'REJECTED' }) })]);
      expect(badState.status).toBe(400);
      expect(badState.body.error.details[0].path).toBe('state');
      expect(badToken.status).toBe(400);
      expect(badToken.body.error.details[0].path).toBe('nextToken');
    });

    it('discards SUSPENDED and SYNC_ERROR records with the reason and the actor: they leave the queues the jobs collect', async () => {
      const clientId = await clientWithAccount();
      await h.ledger.importUsage([usage(clientId, 's1', 'SUSPENDED', { suspense: REASON }), usage(clientId, 'e1', 'SYNC_ERROR', { syncError: { ...REASON, code: 'REJECTED' } })]);
      const keys = [
        { accountId: 'a1', usageDate: '2026-11-20', usageId: 's1' },
        { accountId: 'a1', usageDate: '2026-11-20', usageId: 'e1' },
      ];

      const response = await h.send({ method: 'POST', path: `${ledgerPath(clientId)}/usage/discard`, body: { keys, reason: 'test traffic, never billable' } });
      const discarded = await h.send({ method: 'GET', path: `${ledgerPath(clientId)}/usage?state=DISCARDED` });
      const inSuspense = [];
      for await (const key of h.ledger.usageInQueue(clientId, 'SUSPENDED', '2026-12-31')) inSuspense.push(key);
      const inSyncError = [];
      for await (const key of h.ledger.usageInQueue(clientId, 'SYNC_ERROR', '2026-12-31')) inSyncError.push(key);

      expect(response.status).toBe(200);
      expect(response.body).toEqual({ discarded: 2 });
      expect(discarded.body.items).toHaveLength(2);
      expect(discarded.body.items[0].discard).toEqual({ reason: 'test traffic, never billable', actor: 'admin-token', at: '2026-11-25T12:00:00.000Z' });
      expect(discarded.body.items.find((r: UsageRecord) => r.usageId === 's1').suspense).toEqual(REASON);
      expect(inSuspense).toEqual([]);
      expect(inSyncError).toEqual([]);
    });

    it('answers 409 naming a key in another state and discards nothing; 404 for a key with no record', async () => {
      const clientId = await clientWithAccount();
      await h.ledger.importUsage([usage(clientId, 's1', 'SUSPENDED', { suspense: REASON }), usage(clientId, 'r1', 'RATED')]);
      const s1 = { accountId: 'a1', usageDate: '2026-11-20', usageId: 's1' };

      const wrongState = await h.send({ method: 'POST', path: `${ledgerPath(clientId)}/usage/discard`, body: { keys: [s1, { ...s1, usageId: 'r1' }], reason: 'cleanup' } });
      const missing = await h.send({ method: 'POST', path: `${ledgerPath(clientId)}/usage/discard`, body: { keys: [s1, { ...s1, usageId: 'nope' }], reason: 'cleanup' } });
      const noReason = await h.send({ method: 'POST', path: `${ledgerPath(clientId)}/usage/discard`, body: { keys: [s1], reason: ' ' } });

      expect(wrongState.status).toBe(409);
      expect(wrongState.body.error.code).toBe('NOT_DISCARDABLE');
      expect(wrongState.body.error.details).toEqual([{ path: 'keys.1', message: 'a1/2026-11-20/r1 is RATED' }]);
      expect(missing.status).toBe(404);
      expect(missing.body.error.details).toEqual([{ path: 'keys.1', message: 'no such record' }]);
      expect(noReason.status).toBe(400);
      expect(noReason.body.error.details[0].path).toBe('reason');
      expect((await h.ledger.getUsage(clientId, [s1])).get('a1/2026-11-20/s1')?.state).toBe('SUSPENDED');
    });
  });

  describe('rerate requests', () => {
    const request = { accountId: 'a1', requestId: 'rr1', fromDate: '2026-11-01', toDate: '2026-11-30', reason: 'wrong CALLS price' };

    it('creates, lists by status and cancels a request; the RERATING queue no longer offers it', async () => {
      const clientId = await clientWithAccount();
      const path = `${ledgerPath(clientId)}/rerate-requests`;

      const created = await h.send({ method: 'POST', path, body: request });
      const again = await h.send({ method: 'POST', path, body: request });
      const open = await h.send({ method: 'GET', path: `${path}?status=OPEN` });
      const cancelled = await h.send({ method: 'DELETE', path: `${path}/a1/rr1` });
      const cancelledTwice = await h.send({ method: 'DELETE', path: `${path}/a1/rr1` });
      const listed = await h.send({ method: 'GET', path: `${path}?status=CANCELLED` });
      const queue = [];
      for await (const key of h.ledger.rerateRequests(clientId)) queue.push(key);

      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ ...request, status: 'OPEN', requestedAt: '2026-11-25T12:00:00.000Z' });
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('RERATE_REQUEST_EXISTS');
      expect(open.body.items).toEqual([expect.objectContaining({ requestId: 'rr1', status: 'OPEN' })]);
      expect(cancelled.status).toBe(204);
      expect(cancelledTwice.status).toBe(204);
      expect(listed.body.items).toEqual([expect.objectContaining({ requestId: 'rr1', status: 'CANCELLED' })]);
      expect(queue).toEqual([]);
    });

    it('answers 409 when cancelling a DONE request, 404 for an unknown one, 409 for an unknown account', async () => {
      const clientId = await clientWithAccount();
      const path = `${ledgerPath(clientId)}/rerate-requests`;
      await h.send({ method: 'POST', path, body: request });
      await h.ledger.completeRerateRequest(clientId, 'a1', 'rr1');

      const done = await h.send({ method: 'DELETE', path: `${path}/a1/rr1` });
      const unknown = await h.send({ method: 'DELETE', path: `${path}/a1/rr9` });
      const noAccount = await h.send({ method: 'POST', path, body: { ...request, accountId: 'ghost' } });
      const listed = await h.send({ method: 'GET', path });

      expect(done.status).toBe(409);
      expect(done.body.error.code).toBe('RERATE_REQUEST_DONE');
      expect(unknown.status).toBe(404);
      expect(noAccount.status).toBe(409);
      expect(noAccount.body.error.code).toBe('ACCOUNT_NOT_FOUND');
      expect(listed.body.items).toEqual([expect.objectContaining({ requestId: 'rr1', status: 'DONE' })]);
    });

    it('refuses a range that ends before it starts', async () => {
      const response = await h.send({ method: 'POST', path: `${ledgerPath(h.newClientId('rerate'))}/rerate-requests`, body: { ...request, toDate: '2026-10-31' } });

      expect(response.status).toBe(400);
      expect(response.body.error.details[0].path).toBe('toDate');
    });
  });

  it('lists invoices by period and by account', async () => {
    const clientId = await clientWithAccount();
    const invoice = (accountId: string, periodId: string): Invoice => ({
      clientId,
      accountId,
      periodId,
      invoiceId: `inv-${accountId}-${periodId}`,
      periodStart: `${periodId}-01`,
      periodEnd: `${periodId}-28`,
      billedOn: `${periodId}-28`,
      currency: 'USD',
      recurringChargeMinor: 900,
      usageChargeMinor: 10,
      totalMinor: 910,
      transactionCount: 1,
      runId: 'run_x',
      createdAt: '2026-11-28T00:00:00Z',
    });
    await h.ledger.createInvoices(clientId, [invoice('a1', '2026-10'), invoice('a2', '2026-10')]);
    await h.ledger.createInvoices(clientId, [invoice('a1', '2026-11')]);

    const october = await allPages(`${ledgerPath(clientId)}/invoices?periodId=2026-10`, 1);
    const ofA1 = await h.send({ method: 'GET', path: `${ledgerPath(clientId)}/invoices?accountId=a1` });
    const badPeriod = await h.send({ method: 'GET', path: `${ledgerPath(clientId)}/invoices?periodId=2026-13` });

    expect(october.items.map((i) => i.accountId).sort()).toEqual(['a1', 'a2']);
    expect(ofA1.body.items.map((i: Invoice) => i.periodId)).toEqual(['2026-10', '2026-11']);
    expect(badPeriod.status).toBe(400);
  });

  it('never shows or changes one client’s ledger with another client’s token (403)', async () => {
    const path = `${ledgerPath('acme')}`;
    await h.send({ method: 'PUT', path: `${path}/rate-plans/basic`, body: PLAN });

    const read = await h.send({ method: 'GET', path: `${path}/rate-plans`, token: 'beta-token' });
    const write = await h.send({ method: 'PUT', path: `${path}/rate-plans/other`, body: PLAN, token: 'beta-token' });

    expect(read.status).toBe(403);
    expect(read.body.error.code).toBe('FORBIDDEN');
    expect(write.status).toBe(403);
    expect((await h.send({ method: 'GET', path: `${path}/rate-plans/other` })).status).toBe(404);
  });
});
