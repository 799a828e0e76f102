import { beforeAll, describe, expect, it } from 'vitest';
import { DnsUrlPolicy } from '../../lambdas/adapters/aws/dns-url-policy';
import { DynamoNotificationStore } from '../../lambdas/adapters/aws/dynamo-notification-store';
import { CONFIG_TABLE, RUNS_TABLE } from '../../lambdas/adapters/aws/table-definitions';
import { LocalSecretSealer } from '../../lambdas/adapters/local/local-notifications';
import { TokenAuthorizer } from '../../lambdas/api/auth';
import { createApi, type ApiDependencies, type ApiHandler } from '../../lambdas/api/router';
import { NotificationService } from '../../lambdas/services/notification-service';
import { apiEvent } from '../api/support/events';
import { createTestTables } from '../support/dynamo';

const ADMIN = 'subscription-pages-admin-token';
const SECRET = 'a-secret-of-enough-length';

/** API.md: every v1.1 list route pages with limit (1..1000, default 100) and nextToken. */
describe('GET .../subscriptions pages (DynamoDB Local)', () => {
  let api: ApiHandler;
  const created: string[] = [];

  async function get(path: string): Promise<{ status: number; body: { items: Array<{ subscriptionId: string }>; nextToken?: string; error?: { details: Array<{ path: string }> } } }> {
    const response = await api(apiEvent({ method: 'GET', path, headers: { Authorization: `Bearer ${ADMIN}` } }));
    return { status: response.statusCode, body: JSON.parse(response.body) };
  }

  beforeAll(async () => {
    const tables = await createTestTables();
    const notifications = new NotificationService({
      subscriptions: new DynamoNotificationStore(tables.document, { config: tables.tableName(CONFIG_TABLE), runs: tables.tableName(RUNS_TABLE) }),
      config: { getClient: async (clientId: string) => ({ clientId, name: clientId, timezone: 'UTC' }) } as never,
      sealer: new LocalSecretSealer(),
      urlPolicy: new DnsUrlPolicy({ allowLoopbackHttp: true }),
      clock: { now: () => new Date('2026-11-25T00:00:00Z') },
    });
    // Only the subscription routes are called: the other services are not needed here.
    api = createApi({ schedules: {}, runs: {}, ledger: {}, backfills: {}, jobStarts: {}, notifications, authorizer: new TokenAuthorizer(ADMIN), audit: { append: async () => undefined, list: async () => ({ items: [] }) } } as unknown as ApiDependencies);
    for (let i = 0; i < 5; i++) created.push((await notifications.createSubscription('acme', { url: `http://127.0.0.1:9/hook-${i}`, secret: SECRET, events: ['*'] })).subscriptionId);
    await notifications.createSubscription('beta', { url: 'http://127.0.0.1:9/beta', secret: SECRET, events: ['*'] });
  });

  it('pages a client’s subscriptions with limit and nextToken, each once, the last page without a token', async () => {
    const seen: string[] = [];
    let path = '/v1/clients/acme/subscriptions?limit=2';
    const sizes: number[] = [];
    for (;;) {
      const page = await get(path);
      expect(page.status).toBe(200);
      sizes.push(page.body.items.length);
      seen.push(...page.body.items.map((item) => item.subscriptionId));
      if (!page.body.nextToken) break;
      path = `/v1/clients/acme/subscriptions?limit=2&nextToken=${encodeURIComponent(page.body.nextToken)}`;
    }
    expect(sizes).toEqual([2, 2, 1]);
    expect(seen.sort()).toEqual([...created].sort());
    const all = await get('/v1/clients/acme/subscriptions');
    expect(all.body.items).toHaveLength(5);
    expect(all.body.nextToken).toBeUndefined();
  });

  it('refuses a nextToken it did not issue and a limit out of range, naming the field', async () => {
    const garbage = await get('/v1/clients/acme/subscriptions?nextToken=not-a-token');
    const forged = await get(`/v1/clients/acme/subscriptions?nextToken=${Buffer.from('CONFIG#acme').toString('base64url')}`);
    const forgedLog = await get(`/v1/clients/acme/subscriptions/${created[0]}/deliveries?nextToken=garbage`);
    const tooMany = await get('/v1/clients/acme/subscriptions?limit=1001');

    expect([garbage.status, forged.status, forgedLog.status, tooMany.status]).toEqual([400, 400, 400, 400]);
    expect([garbage, forged, forgedLog].map((response) => response.body.error?.details[0]?.path)).toEqual(['nextToken', 'nextToken', 'nextToken']);
    expect(tooMany.body.error?.details[0]?.path).toBe('limit');
  });
});
