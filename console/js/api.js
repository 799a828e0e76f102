/**
 * The HTTP API v1 (shared/API.md) as the console uses it, and nothing else. Credentials come from
 * the session: a bearer token locally, SigV4 signatures in the deployed console.
 */

/** An error answer of the API (`{ error: { code, message, details } }`), or a network failure (status 0). */
export class ApiError extends Error {
  constructor(status, code, message, details = []) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = Array.isArray(details) ? details : [];
  }
}

const enc = encodeURIComponent;

export class Api {
  /**
   * @param {{ authorize(request: { method: string, path: string, query: URLSearchParams, body: string | undefined }): Promise<Record<string, string>> }} session
   * @param {{ onUnauthorized?: (error: ApiError) => void, baseUrl?: string }} [options]
   */
  constructor(session, options = {}) {
    this.session = session;
    this.onUnauthorized = options.onUnauthorized ?? (() => undefined);
    this.baseUrl = options.baseUrl ?? '';
  }

  async request(method, path, { body, query, headers = {} } = {}) {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query ?? {})) if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
    const text = body === undefined ? undefined : JSON.stringify(body);
    let response;
    try {
      const auth = await this.session.authorize({ method, path, query: params, body: text });
      const search = params.toString();
      response = await fetch(`${this.baseUrl}${path}${search ? `?${search}` : ''}`, {
        method,
        headers: { accept: 'application/json', ...(text === undefined ? {} : { 'content-type': 'application/json' }), ...headers, ...auth },
        body: text,
        cache: 'no-store',
      });
    } catch (error) {
      if (error instanceof ApiError) throw error;
      throw new ApiError(0, 'NETWORK', `The API could not be reached (${error?.message ?? error}). Check the connection and try again.`);
    }
    const raw = await response.text();
    let payload;
    try {
      payload = raw ? JSON.parse(raw) : undefined;
    } catch {
      payload = undefined;
    }
    if (!response.ok) {
      const error = payload?.error;
      const failure = new ApiError(response.status, error?.code ?? `HTTP_${response.status}`, error?.message ?? `The API answered ${response.status}`, error?.details);
      if (response.status === 401) this.onUnauthorized(failure);
      throw failure;
    }
    return { status: response.status, body: payload, etag: response.headers.get('etag') };
  }

  /** The words for the API's values and the job types this stage runs (catalogue.js keeps it). */
  async getCatalogue() {
    return (await this.request('GET', '/v1/catalogue')).body;
  }

  /** Who the credentials are and each client's role: `{ actor, clients: [ { clientId, role } ] }` (clientId `*`: every client). */
  async me() {
    return (await this.request('GET', '/v1/me')).body;
  }

  async getClient(clientId) {
    return (await this.request('GET', `/v1/clients/${enc(clientId)}`)).body;
  }

  /** Onboards a client (201, with its mandatory daily schedule) or updates it (200). */
  async putClient(clientId, client) {
    return this.request('PUT', `/v1/clients/${enc(clientId)}`, { body: client });
  }

  async listSchedules(clientId) {
    return (await this.request('GET', `/v1/clients/${enc(clientId)}/schedules`)).body.items;
  }

  async getSchedule(clientId, scheduleId) {
    return (await this.request('GET', `/v1/clients/${enc(clientId)}/schedules/${enc(scheduleId)}`)).body;
  }

  async createSchedule(clientId, config) {
    return (await this.request('POST', `/v1/clients/${enc(clientId)}/schedules`, { body: config })).body;
  }

  /** 412 STALE_VERSION when `version` is no longer the schedule's version. */
  async replaceSchedule(clientId, scheduleId, config, version) {
    return (await this.request('PUT', `/v1/clients/${enc(clientId)}/schedules/${enc(scheduleId)}`, { body: config, headers: { 'if-match': String(version) } })).body;
  }

  async deleteSchedule(clientId, scheduleId) {
    await this.request('DELETE', `/v1/clients/${enc(clientId)}/schedules/${enc(scheduleId)}`);
  }

  async preview(clientId, calendar) {
    return (await this.request('POST', `/v1/clients/${enc(clientId)}/schedule-preview`, { body: calendar })).body.occurrences;
  }

  /** 202 with a new run, or 200 with the date's existing run: `{ run, created }`. A person asked for it: MANUAL. */
  async trigger(clientId, scheduleId, processingDate) {
    const { status, body } = await this.request('POST', `/v1/clients/${enc(clientId)}/schedules/${enc(scheduleId)}/runs`, { body: { processingDate, trigger: 'MANUAL' } });
    return { run: body, created: status === 202 };
  }

  /** The schedule's current run for the date, or undefined when there is none. */
  async findRunByDate(clientId, scheduleId, processingDate) {
    try {
      return (await this.request('GET', `/v1/clients/${enc(clientId)}/schedules/${enc(scheduleId)}/runs/${enc(processingDate)}`)).body;
    } catch (error) {
      if (error instanceof ApiError && error.status === 404 && error.code === 'NOT_FOUND') return undefined;
      throw error;
    }
  }

  async listRuns(clientId, date, { scheduleId, status } = {}) {
    return (await this.request('GET', `/v1/clients/${enc(clientId)}/runs`, { query: { date, scheduleId, status } })).body.items;
  }

  async getRun(clientId, runId) {
    return (await this.request('GET', `/v1/clients/${enc(clientId)}/runs/${enc(runId)}`)).body;
  }

  async listItems(clientId, runId, seq, { status, limit, nextToken } = {}) {
    return (await this.request('GET', `/v1/clients/${enc(clientId)}/runs/${enc(runId)}/jobs/${enc(seq)}/items`, { query: { status, limit, nextToken } })).body;
  }

  async reprocess(clientId, runId, request) {
    return (await this.request('POST', `/v1/clients/${enc(clientId)}/runs/${enc(runId)}/reprocess`, { body: request })).body;
  }

  async reset(clientId, runId) {
    return (await this.request('POST', `/v1/clients/${enc(clientId)}/runs/${enc(runId)}/reset`)).body;
  }

  // The ledger (API.md "The ledger: fix the cause, then reprocess"): every route needs the operator role.

  /** A page of usage records in a state, each with its `suspense` or `syncError` reason: `{ items, nextToken }`. */
  async listUsage(clientId, { state, accountId, limit, nextToken }) {
    return (await this.request('GET', `/v1/clients/${enc(clientId)}/ledger/usage`, { query: { state, accountId, limit, nextToken } })).body;
  }

  /** All or none: 409 NOT_DISCARDABLE names a key that is not SUSPENDED or SYNC_ERROR. */
  async discardUsage(clientId, keys, reason) {
    return (await this.request('POST', `/v1/clients/${enc(clientId)}/ledger/usage/discard`, { body: { keys, reason } })).body;
  }

  async listRatePlans(clientId, { limit, nextToken } = {}) {
    return (await this.request('GET', `/v1/clients/${enc(clientId)}/ledger/rate-plans`, { query: { limit, nextToken } })).body;
  }

  async getRatePlan(clientId, ratePlanId) {
    return (await this.request('GET', `/v1/clients/${enc(clientId)}/ledger/rate-plans/${enc(ratePlanId)}`)).body;
  }

  /** Replaces the whole plan; 412 STALE_VERSION when `version` is no longer the plan's. */
  async replaceRatePlan(clientId, ratePlanId, plan, version) {
    return (await this.request('PUT', `/v1/clients/${enc(clientId)}/ledger/rate-plans/${enc(ratePlanId)}`, { body: plan, headers: { 'if-match': String(version) } })).body;
  }

  async listAccounts(clientId, { limit, nextToken } = {}) {
    return (await this.request('GET', `/v1/clients/${enc(clientId)}/ledger/accounts`, { query: { limit, nextToken } })).body;
  }

  async getAccount(clientId, accountId) {
    return (await this.request('GET', `/v1/clients/${enc(clientId)}/ledger/accounts/${enc(accountId)}`)).body;
  }

  async listRerateRequests(clientId, { status, limit, nextToken } = {}) {
    return (await this.request('GET', `/v1/clients/${enc(clientId)}/ledger/rerate-requests`, { query: { status, limit, nextToken } })).body;
  }

  async createRerateRequest(clientId, request) {
    return (await this.request('POST', `/v1/clients/${enc(clientId)}/ledger/rerate-requests`, { body: request })).body;
  }

  /** 409 RERATE_REQUEST_DONE once RERATING has applied it. */
  async cancelRerateRequest(clientId, accountId, requestId) {
    await this.request('DELETE', `/v1/clients/${enc(clientId)}/ledger/rerate-requests/${enc(accountId)}/${enc(requestId)}`);
  }

  async listInvoices(clientId, { accountId, periodId, limit, nextToken } = {}) {
    return (await this.request('GET', `/v1/clients/${enc(clientId)}/ledger/invoices`, { query: { accountId, periodId, limit, nextToken } })).body;
  }

  // Failures across dates and clients (API.md v1.1): pages of runs, newest processing date first.

  /** A page of the client's runs of a date range (at most 366 days): `{ items, nextToken }`. */
  async listRunsBetween(clientId, { from, to, status, scheduleId, limit, nextToken }) {
    return (await this.request('GET', `/v1/clients/${enc(clientId)}/runs`, { query: { from, to, status, scheduleId, limit, nextToken } })).body;
  }

  /** The same over every client the credentials may act for: one inbox. */
  async listRunsOfAllClients({ from, to, status, limit, nextToken }) {
    return (await this.request('GET', '/v1/runs', { query: { from, to, status, limit, nextToken } })).body;
  }

  /** Starts the job a run waits at (waitingReason MANUAL_JOB); 409 when the run does not wait there. */
  async startJob(clientId, runId, seq) {
    return (await this.request('POST', `/v1/clients/${enc(clientId)}/runs/${enc(runId)}/jobs/${enc(seq)}/start`)).body;
  }

  // Audit trail and schedule versions.

  /** A page of the client's audit records, newest first: `{ items, nextToken }`. */
  async listAudit(clientId, { from, to, limit, nextToken } = {}) {
    return (await this.request('GET', `/v1/clients/${enc(clientId)}/audit`, { query: { from, to, limit, nextToken } })).body;
  }

  /** `{ items: [ { version, savedAt, savedBy } ], nextToken }` */
  async listScheduleVersions(clientId, scheduleId, { limit, nextToken } = {}) {
    return (await this.request('GET', `/v1/clients/${enc(clientId)}/schedules/${enc(scheduleId)}/versions`, { query: { limit, nextToken } })).body;
  }

  /** The schedule as it was saved at `version`. */
  async getScheduleVersion(clientId, scheduleId, version) {
    return (await this.request('GET', `/v1/clients/${enc(clientId)}/schedules/${enc(scheduleId)}/versions/${enc(version)}`)).body;
  }

  // Notifications: webhook subscriptions (the admin role writes them).

  async listSubscriptions(clientId, { limit, nextToken } = {}) {
    return (await this.request('GET', `/v1/clients/${enc(clientId)}/subscriptions`, { query: { limit, nextToken } })).body;
  }

  /** 201 with the subscription; its secret is never answered back. */
  async createSubscription(clientId, subscription) {
    return (await this.request('POST', `/v1/clients/${enc(clientId)}/subscriptions`, { body: subscription })).body;
  }

  async deleteSubscription(clientId, subscriptionId) {
    await this.request('DELETE', `/v1/clients/${enc(clientId)}/subscriptions/${enc(subscriptionId)}`);
  }

  /** Recent delivery attempts of a subscription: `{ items: [ { eventId, type, at, status, responseStatus, attempts } ], nextToken }`. */
  async listDeliveries(clientId, subscriptionId, { limit, nextToken } = {}) {
    return (await this.request('GET', `/v1/clients/${enc(clientId)}/subscriptions/${enc(subscriptionId)}/deliveries`, { query: { limit, nextToken } })).body;
  }

  // Business-day calendars and backfill.

  async listCalendars(clientId, { limit, nextToken } = {}) {
    return (await this.request('GET', `/v1/clients/${enc(clientId)}/calendars`, { query: { limit, nextToken } })).body;
  }

  async getCalendar(clientId, calendarId) {
    return (await this.request('GET', `/v1/clients/${enc(clientId)}/calendars/${enc(calendarId)}`)).body;
  }

  /** Creates (201) or replaces (200) a calendar: `{ calendar, created }`. Every schedule using it is re-armed. */
  async putCalendar(clientId, calendarId, calendar) {
    const { status, body } = await this.request('PUT', `/v1/clients/${enc(clientId)}/calendars/${enc(calendarId)}`, { body: calendar });
    return { calendar: body, created: status === 201 };
  }

  /** 409 while a schedule uses the calendar. */
  async deleteCalendar(clientId, calendarId) {
    await this.request('DELETE', `/v1/clients/${enc(clientId)}/calendars/${enc(calendarId)}`);
  }

  /** 202 `{ backfillId, dates }`: one run per occurrence date of the range, oldest first. */
  async startBackfill(clientId, scheduleId, request) {
    return (await this.request('POST', `/v1/clients/${enc(clientId)}/schedules/${enc(scheduleId)}/backfill`, { body: request })).body;
  }

  /** `{ status: RUNNING | DONE, runs: [ { processingDate, runId, status } ] }` */
  async getBackfill(clientId, scheduleId, backfillId) {
    return (await this.request('GET', `/v1/clients/${enc(clientId)}/schedules/${enc(scheduleId)}/backfills/${enc(backfillId)}`)).body;
  }
}

/**
 * Every item of a paged list, page after page (`nextToken`), stopping at `max` items: a screen
 * reads what it shows, never an unbounded crawl. `{ items, more }`: more is true when it stopped early.
 */
export async function readPages(readPage, { max = 1000, limit = 100 } = {}) {
  const items = [];
  let nextToken;
  do {
    const page = await readPage({ limit: Math.min(limit, max - items.length), nextToken });
    items.push(...page.items);
    nextToken = page.nextToken;
  } while (nextToken && items.length < max);
  return { items, more: Boolean(nextToken) };
}

/** Runs `task` over `inputs` with at most `limit` in flight; results keep the inputs' order. */
export async function mapLimited(inputs, limit, task) {
  const results = new Array(inputs.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, inputs.length) }, async () => {
    while (next < inputs.length) {
      const index = next++;
      results[index] = await task(inputs[index], index);
    }
  });
  await Promise.all(workers);
  return results;
}
