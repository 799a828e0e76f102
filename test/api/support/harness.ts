import { expect } from 'vitest';
import { DynamoBackfillStore } from '../../../lambdas/adapters/aws/dynamo-backfill-store';
import { DynamoAuditLog } from '../../../lambdas/adapters/aws/dynamo-audit-log';
import { DynamoConfigStore } from '../../../lambdas/adapters/aws/dynamo-config-store';
import { DynamoLedger } from '../../../lambdas/adapters/aws/dynamo-ledger';
import { DynamoLedgerMaintenance } from '../../../lambdas/adapters/aws/dynamo-ledger-maintenance';
import { AUDIT_TABLE, CONFIG_TABLE, LEDGER_TABLE, RUNS_TABLE } from '../../../lambdas/adapters/aws/table-definitions';
import type { InMemoryUsageMeter } from '../../../lambdas/adapters/local/usage-meter';
import { parseApiTokens, TokenAuthorizer, type Authorizer } from '../../../lambdas/api/auth';
import { API_ROUTES, type ApiRoute } from '../../../lambdas/api/route-table';
import { createApi, type ApiHandler } from '../../../lambdas/api/router';
import { ErrorBodySchema } from '../../../lambdas/api/schemas';
import { JobRegistry, type JobHandler } from '../../../lambdas/domain/job-registry';
import type { JobType } from '../../../lambdas/domain/model';
import { SyntheticJob } from '../../../lambdas/jobs/synthetic-job';
import type { AuditLog } from '../../../lambdas/ports/audit-log';
import type { Clock } from '../../../lambdas/ports/clock';
import type { RunOperations } from '../../../lambdas/services/run-operations';
import { BackfillService } from '../../../lambdas/services/backfill-service';
import { LedgerService } from '../../../lambdas/services/ledger-service';
import { NotificationService } from '../../../lambdas/services/notification-service';
import { DynamoNotificationStore } from '../../../lambdas/adapters/aws/dynamo-notification-store';
import { DnsUrlPolicy } from '../../../lambdas/adapters/aws/dns-url-policy';
import { LocalSecretSealer } from '../../../lambdas/adapters/local/local-notifications';
import { SAMPLE_SUBSCRIPTION_ID } from './route-samples';
import { ScheduleConfigService } from '../../../lambdas/services/schedule-config-service';
import { meteredDocument } from '../../adapters/support/metered-client';
import { createTestTables } from '../../support/dynamo';
import { silentLogger } from '../../support/engine-harness';
import { apiEvent, type EventSpec } from './events';
import { FakeRunOperations } from './fake-runs';
import { sampleBackfillId } from './route-samples';

export const ADMIN_TOKEN = 'admin-token-for-tests-0123456789';
/** API_TOKENS of these tests: one token per client. */
export const API_TOKENS = 'acme-token:acme,beta-token:beta';
export const NOW = new Date('2026-11-25T12:00:00.000Z');

/**
 * Job types as a deployment registers them, reduced to what the API needs: their settings
 * validation (SYNTHETIC's is the real one). RERATING is left out: it stands for a job type this
 * deployment does not offer.
 */
export function testRegistry(): JobRegistry {
  const handler = (type: JobType, parseSettings: JobHandler['parseSettings'] = (s) => s ?? {}): JobHandler => ({
    type,
    batchSize: 100,
    parseSettings,
    collect: async function* () {},
    process: async () => [],
  });
  return new JobRegistry([
    handler('USAGE_RATING'),
    handler('SYNC_TRANSACTIONS'),
    handler('BILLING'),
    handler('SUSPENSE_REPROCESSING'),
    handler('SYNC_ERROR_REPROCESSING'),
    new SyntheticJob(),
  ]);
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON, or undefined for an empty body. */
  body: any;
  raw: string;
}

export interface RequestSpec extends Omit<EventSpec, 'headers'> {
  headers?: Record<string, string>;
  /** Bearer token; default the admin token; null sends no Authorization header. */
  token?: string | null;
}

export interface ApiHarness {
  api: ApiHandler;
  send(request: RequestSpec): Promise<ApiResponse>;
  runs: FakeRunOperations;
  store: DynamoConfigStore;
  schedules: ScheduleConfigService;
  /** The ledger the API's ledger routes write, for arranging what the API cannot (suspended usage). */
  ledger: DynamoLedger;
  /** Counts the ledger routes' DynamoDB requests. */
  ledgerMeter: InMemoryUsageMeter;
  logged: unknown[][];
  /** A client id no other test of the file uses. */
  newClientId(prefix?: string): string;
  /** Onboards a fresh client and returns its id. */
  onboard(timezone?: string): Promise<string>;
}

export interface HarnessOptions {
  /** Builds the authorizer over the harness's store; default a TokenAuthorizer with the test tokens. */
  authorizer?: (store: DynamoConfigStore) => Authorizer;
  runs?: RunOperations;
  clock?: Clock;
  /** Where the router records changes. @default a DynamoAuditLog on the harness's tables */
  audit?: AuditLog;
  /** API_TOKENS of the default TokenAuthorizer. @default API_TOKENS */
  apiTokens?: string;
}

let clientCounter = 0;

/**
 * The real HTTP layer and ScheduleConfigService over DynamoConfigStore on DynamoDB Local, the fake run
 * engine, and a fixed clock. Every response is checked against the route table: its status must
 * be documented for the route and its body must match the documented schema.
 */
export async function createApiHarness(options: HarnessOptions = {}): Promise<ApiHarness> {
  const tables = await createTestTables();
  const store = new DynamoConfigStore(tables.document, tables.tableName(CONFIG_TABLE));
  const clock = options.clock ?? { now: () => NOW };
  const schedules = new ScheduleConfigService({ store, registry: testRegistry(), clock });
  const runs = new FakeRunOperations();
  const metered = meteredDocument(tables.endpoint);
  const ledgerTable = tables.tableName(LEDGER_TABLE);
  const ledger = new DynamoLedger(tables.document, ledgerTable);
  const ledgerService = new LedgerService({ ledger: new DynamoLedger(metered.document, ledgerTable), maintenance: new DynamoLedgerMaintenance(metered.document, ledgerTable), clock });
  const logged: unknown[][] = [];
  const api = createApi({
    schedules,
    runs: options.runs ?? runs,
    ledger: ledgerService,
    // Over the fake runs: a backfill's runs never end here, and its id is one the route samples know.
    backfills: new BackfillService({
      store: new DynamoBackfillStore(tables.document, tables.tableName(RUNS_TABLE)),
      config: store,
      runs: options.runs ?? runs,
      clock,
      logger: silentLogger,
      newBackfillId: sampleBackfillId,
    }),
    notifications: new NotificationService({
      subscriptions: new DynamoNotificationStore(tables.document, { config: tables.tableName(CONFIG_TABLE), runs: tables.tableName(RUNS_TABLE) }),
      config: store,
      sealer: new LocalSecretSealer(),
      urlPolicy: new DnsUrlPolicy({ allowLoopbackHttp: true }),
      clock,
      // The route samples name this id: their delete and delivery log follow their create.
      newSubscriptionId: () => SAMPLE_SUBSCRIPTION_ID,
    }),
    // Over the fake runs a start answers the run as it is; test/waits starts a MANUAL job for real.
    jobStarts: { startJob: (clientId, runId) => (options.runs ?? runs).getRun(clientId, runId) },
    authorizer: options.authorizer?.(store) ?? new TokenAuthorizer(ADMIN_TOKEN, parseApiTokens(options.apiTokens ?? API_TOKENS)),
    audit: options.audit ?? new DynamoAuditLog(tables.document, tables.tableName(AUDIT_TABLE)),
    logger: { error: (...args: unknown[]) => logged.push(args) },
  });
  const prefix = `c${Math.random().toString(36).slice(2, 8)}`;
  const newClientId = (name = 'client'): string => `${name}-${prefix}-${++clientCounter}`;

  async function send(request: RequestSpec): Promise<ApiResponse> {
    const { token = ADMIN_TOKEN, headers = {}, ...rest } = request;
    const event = apiEvent({ ...rest, headers: { ...(token === null ? {} : { Authorization: `Bearer ${token}` }), ...headers } });
    const result = await api(event);
    const response: ApiResponse = {
      status: result.statusCode,
      headers: Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)])),
      body: result.body ? JSON.parse(result.body) : undefined,
      raw: result.body,
    };
    expectDocumented(request.method, new URL(request.path, 'https://x').pathname, response);
    return response;
  }

  return {
    api,
    send,
    runs,
    store,
    schedules,
    ledger,
    ledgerMeter: metered.meter,
    logged,
    newClientId,
    onboard: async (timezone = 'America/New_York') => {
      const clientId = newClientId();
      const response = await send({ method: 'PUT', path: `/v1/clients/${clientId}`, body: { name: `Client ${clientId}`, timezone } });
      expect(response.status).toBe(201);
      return clientId;
    },
  };
}

/** The route of the table whose method and path template match, if any. */
export function routeFor(method: string, path: string): ApiRoute | undefined {
  return API_ROUTES.find((route) => route.method === method && new RegExp(`^${route.path.replace(/\{\w+\}/g, '[^/]+')}$`).test(path));
}

function expectDocumented(method: string, path: string, response: ApiResponse): void {
  expect(response.headers['x-content-type-options']).toBe('nosniff');
  expect(response.headers['cache-control']).toBe('no-store');
  if (response.status === 204) expect(response.raw).toBe('');
  else expect(response.headers['content-type']).toBe('application/json');
  if (response.status >= 400) expect(ErrorBodySchema.parse(response.body)).toBeDefined();
  const route = routeFor(method, path);
  if (!route) return;
  const documented = route.responses[response.status];
  expect(documented, `${route.operationId} answered ${response.status}, which route-table.ts does not document`).toBeDefined();
  if (documented?.schema) {
    const parsed = documented.schema.safeParse(response.body);
    expect(parsed.success, `${route.operationId} ${response.status} body does not match its schema: ${parsed.error?.message}`).toBe(true);
  }
}
