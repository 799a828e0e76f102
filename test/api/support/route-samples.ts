import { createHash } from 'node:crypto';
import type { OperationId } from '../../../lambdas/api/route-table';
import { resolveScheduleId } from '../../../lambdas/domain/run';
import type { RequestSpec } from './harness';
import { KNOWN_RUN_ID } from './fake-runs';

/** The id the API harness gives a schedule's backfill, so that the getBackfill sample reads the one createBackfill made. */
export function sampleBackfillId(clientId: string, scheduleId: string): string {
  return `bf_${createHash('sha256').update(`${clientId}/${scheduleId}`).digest('hex').slice(0, 20)}`;
}

/** The usage record the discard sample names: a 2xx only where a test has put it in suspense. */
export const SUSPENDED_USAGE_ID = 'u-suspended';
/** The id the harness gives every subscription: the samples' delete and delivery log follow their create. */
export const SAMPLE_SUBSCRIPTION_ID = 'sub_00000000000000000000';

/**
 * One valid request per route of the table, for a client and one of its schedules: used to sweep
 * every route (auth, routing, documented statuses). The ledger samples, in this order, each
 * succeed for a fresh client (the plan before the account, the request before its cancel).
 */
export function sampleRequests(clientId: string, scheduleId = 'daily', version = 1): Record<OperationId, RequestSpec> {
  const client = `/v1/clients/${clientId}`;
  const schedule = `${client}/schedules/${scheduleId}`;
  const run = `${client}/runs/${KNOWN_RUN_ID}`;
  const ledger = `${client}/ledger`;
  const usageKey = { accountId: 'acct-1', usageDate: '2026-11-20', usageId: 'u-1' };
  const config = {
    name: `Sample ${scheduleId}`,
    frequency: { type: 'DAILY' },
    executionTime: '04:00:00',
    timezone: 'America/New_York',
    jobs: [{ type: 'BILLING' }],
  };
  return {
    getCatalogue: { method: 'GET', path: '/v1/catalogue' },
    getMe: { method: 'GET', path: '/v1/me' },
    putClient: { method: 'PUT', path: client, body: { name: 'Sample client', timezone: 'America/New_York' } },
    getClient: { method: 'GET', path: client },
    createSchedule: { method: 'POST', path: `${client}/schedules`, body: { ...config, name: `Created ${Math.random().toString(36).slice(2)}` } },
    listSchedules: { method: 'GET', path: `${client}/schedules` },
    getSchedule: { method: 'GET', path: schedule },
    replaceSchedule: { method: 'PUT', path: schedule, headers: { 'If-Match': String(version) }, body: config },
    previewSchedule: { method: 'POST', path: `${client}/schedule-preview`, body: { frequency: { type: 'DAILY' }, executionTime: '02:30:00', timezone: 'UTC' } },
    triggerRun: { method: 'POST', path: `${schedule}/runs`, body: { processingDate: '2026-11-25' } },
    getRunByDate: { method: 'GET', path: `${schedule}/runs/2026-11-25` },
    listRuns: { method: 'GET', path: `${client}/runs?date=2026-11-25` },
    getRun: { method: 'GET', path: run },
    listRunItems: { method: 'GET', path: `${run}/jobs/1/items?status=FAILED` },
    reprocessRun: { method: 'POST', path: `${run}/reprocess`, body: { scope: 'RUN' } },
    resetRun: { method: 'POST', path: `${run}/reset` },
    startRunJob: { method: 'POST', path: `${run}/jobs/2/start` },
    putRatePlan: { method: 'PUT', path: `${ledger}/rate-plans/basic`, body: { name: 'Basic', currency: 'USD', recurringChargeMinor: 900, rates: [{ usageType: 'CALLS', effectiveFrom: '2026-01-01', unitPriceMicros: 1500 }] } },
    getRatePlan: { method: 'GET', path: `${ledger}/rate-plans/basic` },
    listRatePlans: { method: 'GET', path: `${ledger}/rate-plans?limit=10` },
    putAccount: { method: 'PUT', path: `${ledger}/accounts/acct-1`, body: { name: 'Account 1', anniversaryDay: 15, status: 'ACTIVE', ratePlanId: 'basic', openedOn: '2026-01-15' } },
    getAccount: { method: 'GET', path: `${ledger}/accounts/acct-1` },
    listAccounts: { method: 'GET', path: `${ledger}/accounts` },
    importUsage: { method: 'POST', path: `${ledger}/usage`, body: { records: [{ ...usageKey, usageType: 'CALLS', quantity: 3 }] } },
    listUsage: { method: 'GET', path: `${ledger}/usage?state=UNRATED&accountId=acct-1` },
    discardUsage: { method: 'POST', path: `${ledger}/usage/discard`, body: { keys: [{ ...usageKey, usageId: SUSPENDED_USAGE_ID }], reason: 'sample' } },
    createRerateRequest: { method: 'POST', path: `${ledger}/rerate-requests`, body: { accountId: 'acct-1', requestId: 'rr-1', fromDate: '2026-11-01', toDate: '2026-11-30', reason: 'sample' } },
    listRerateRequests: { method: 'GET', path: `${ledger}/rerate-requests?status=OPEN` },
    cancelRerateRequest: { method: 'DELETE', path: `${ledger}/rerate-requests/acct-1/rr-1` },
    listInvoices: { method: 'GET', path: `${ledger}/invoices?periodId=2026-11` },
    createSubscription: { method: 'POST', path: `${client}/subscriptions`, body: { url: 'http://127.0.0.1:9/hooks', secret: 'a-sample-secret-16+', events: ['*'] } },
    listSubscriptions: { method: 'GET', path: `${client}/subscriptions` },
    listDeliveries: { method: 'GET', path: `${client}/subscriptions/${SAMPLE_SUBSCRIPTION_ID}/deliveries?limit=10` },
    deleteSubscription: { method: 'DELETE', path: `${client}/subscriptions/${SAMPLE_SUBSCRIPTION_ID}` },
    listAudit: { method: 'GET', path: `${client}/audit?limit=5` },
    listScheduleVersions: { method: 'GET', path: `${schedule}/versions` },
    getScheduleVersion: { method: 'GET', path: `${schedule}/versions/1` },
    listAllRuns: { method: 'GET', path: '/v1/runs?from=2026-11-01&to=2026-11-30&status=FAILED' },
    putCalendar: { method: 'PUT', path: `${client}/calendars/sample`, body: { name: 'Sample', weekend: ['SAT', 'SUN'], holidays: ['2026-12-25'] } },
    listCalendars: { method: 'GET', path: `${client}/calendars` },
    getCalendar: { method: 'GET', path: `${client}/calendars/sample` },
    deleteCalendar: { method: 'DELETE', path: `${client}/calendars/sample` },
    createBackfill: { method: 'POST', path: `${schedule}/backfill`, body: { from: '2026-11-01', to: '2026-11-30' } },
    getBackfill: { method: 'GET', path: `${schedule}/backfills/${sampleBackfillId(clientId, resolveScheduleId(scheduleId))}` },
    deleteSchedule: { method: 'DELETE', path: schedule },
  };
}
