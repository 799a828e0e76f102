import type { OperationId } from '../../../lambdas/api/route-table';
import type { RequestSpec } from './harness';
import { KNOWN_RUN_ID } from './fake-runs';

/**
 * One valid request per route of the table, for a client and one of its schedules: used to sweep
 * every route (auth, routing, documented statuses).
 */
export function sampleRequests(clientId: string, scheduleId = 'daily', version = 1): Record<OperationId, RequestSpec> {
  const client = `/v1/clients/${clientId}`;
  const schedule = `${client}/schedules/${scheduleId}`;
  const run = `${client}/runs/${KNOWN_RUN_ID}`;
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
    deleteSchedule: { method: 'DELETE', path: schedule },
  };
}
