import { describe, expect, it } from 'vitest';
import { TokenAuthorizer } from '../../lambdas/api/auth';
import { createApi, type ApiDependencies } from '../../lambdas/api/router';
import type { AuditRecord } from '../../lambdas/ports/audit-log';
import { apiEvent } from '../api/support/events';

const ADMIN = 'audit-clock-admin-token';

describe('the audit record’s time', () => {
  it('is the injected clock’s, the one runtimes and harnesses advance, not the system clock', async () => {
    const appended: AuditRecord[] = [];
    // Only the routes this test calls are real: putClient over a schedules stub, and the audit log.
    const api = createApi({
      schedules: { putClient: async (clientId: string) => ({ client: { clientId, name: 'Acme', timezone: 'UTC' }, created: true }) },
      authorizer: new TokenAuthorizer(ADMIN),
      audit: { append: async (record: AuditRecord) => void appended.push(record), list: async () => ({ items: [] }) },
      clock: { now: () => new Date('2031-03-04T05:06:07.000Z') },
    } as unknown as ApiDependencies);

    const response = await api(apiEvent({ method: 'PUT', path: '/v1/clients/acme', body: { name: 'Acme', timezone: 'UTC' }, headers: { Authorization: `Bearer ${ADMIN}` } }));

    expect(response.statusCode).toBe(201);
    expect(appended.map((record) => [record.action, record.at])).toEqual([['putClient', '2031-03-04T05:06:07.000Z']]);
  });
});
