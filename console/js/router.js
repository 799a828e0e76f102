/**
 * Hash routes, so that every screen has a link that can be shared or reloaded and the static
 * host needs nothing but index.html:
 *   #/sign-in  #/clients
 *   #/c/{clientId}/runs?date=                       runs of a date across schedules
 *   #/c/{clientId}/schedules                        configuration list
 *   #/c/{clientId}/schedules/new | /{scheduleId}    add / edit
 *   #/c/{clientId}/execution?schedule=&date=&job=&status=
 *   #/c/{clientId}/ledger?part=&plan=&account=&usage=    the ledger (ledger.js ledgerHash)
 *   #/c/{clientId}/attention?scope=&from=&to=          failed, late and missed runs, oldest first
 *   #/c/{clientId}/grid?to=                         schedule × date grid of the 30 days up to `to`
 *   #/c/{clientId}/calendars | /new | /{calendarId}  business-day calendars
 *   #/c/{clientId}/audit?from=&to=                  the audit trail, newest first
 *   #/c/{clientId}/subscriptions?open=              webhook subscriptions and their deliveries
 *   #/c/{clientId}/versions/{scheduleId}?from=&to=  a schedule's versions, two of them compared
 *   #/c/{clientId}/backfill/{backfillId}?schedule=  a backfill's progress
 */

export function parseRoute(hash) {
  const raw = hash.replace(/^#/, '');
  const [pathPart, queryPart = ''] = raw.split('?');
  const segments = pathPart.split('/').filter(Boolean).map((segment) => {
    try {
      return decodeURIComponent(segment);
    } catch {
      return segment;
    }
  });
  const query = Object.fromEntries(new URLSearchParams(queryPart));
  if (segments[0] === 'c' && segments[1]) {
    return { name: segments[2] ?? 'runs', clientId: segments[1], id: segments[3], query };
  }
  return { name: segments[0] ?? '', query };
}

/** `routeHash('acme', 'execution', { schedule: 'sch_1', date: '2026-11-25' })` */
export function routeHash(clientId, name, query = {}, id) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  const search = params.toString();
  const path = ['#', 'c', encodeURIComponent(clientId), name, ...(id ? [encodeURIComponent(id)] : [])].join('/');
  return `${path}${search ? `?${search}` : ''}`;
}
