import { NotFoundError } from '../../../lambdas/domain/errors';
import { DAILY_SCHEDULE_ID } from '../../../lambdas/domain/model';
import type { ItemPage } from '../../../lambdas/ports/item-pages';
import type { ReprocessRequest, RunView } from '../../../lambdas/domain/run';
import type { ClientScope, RunOperations, RunPage, RunRangeRequest, TriggerRequest } from '../../../lambdas/services/run-operations';

export const KNOWN_RUN_ID = 'run_0123456789abcdef01234567';

export function sampleRun(clientId: string, overrides: Partial<RunView> = {}): RunView {
  const at = '2026-11-25T06:00:00.000Z';
  return {
    runId: KNOWN_RUN_ID,
    clientId,
    scheduleId: DAILY_SCHEDULE_ID,
    scheduleName: 'Daily billing',
    processingDate: '2026-11-25',
    attempt: 1,
    status: 'PENDING',
    trigger: 'API',
    createdAt: at,
    updatedAt: at,
    executionName: `${KNOWN_RUN_ID}-x1`,
    config: {
      scheduleId: DAILY_SCHEDULE_ID,
      clientId,
      name: 'Daily billing',
      frequency: { type: 'DAILY' },
      executionTime: '01:00:00',
      timezone: 'America/New_York',
      exceptionWindows: [],
      jobs: [{ type: 'BILLING' }],
      enabled: true,
      mandatory: true,
      version: 1,
      createdAt: at,
      updatedAt: at,
    },
    jobs: [{ seq: 1, type: 'BILLING', status: 'PENDING', stats: { total: 0, succeeded: 0, failed: 0, pending: 0 }, generation: 0 }],
    stats: { jobs: { total: 1, completed: 0, failed: 0, pending: 1 }, items: { total: 0, succeeded: 0, failed: 0, pending: 0 } },
    ...overrides,
  };
}

export interface RecordedCall {
  method: keyof RunOperations;
  args: unknown[];
}

/**
 * Stands in for the run engine (tested on its own) so these tests check only what the HTTP layer
 * does with run routes: routing, validation, status codes, what it passes on. Records each call.
 * A trigger creates on the first call per (client, schedule, date) and returns that run after.
 * Run ids other than KNOWN_RUN_ID do not exist.
 */
export class FakeRunOperations implements RunOperations {
  readonly calls: RecordedCall[] = [];
  private readonly triggered = new Set<string>();
  /** When set, the next call throws it. */
  failNext: Error | undefined;

  async trigger(clientId: string, scheduleId: string, request: TriggerRequest): Promise<{ run: RunView; created: boolean }> {
    this.record('trigger', clientId, scheduleId, request);
    const key = `${clientId}/${scheduleId}/${request.processingDate}`;
    const created = !this.triggered.has(key);
    this.triggered.add(key);
    return { run: sampleRun(clientId, { scheduleId, processingDate: request.processingDate }), created };
  }

  async getRun(clientId: string, runId: string): Promise<RunView> {
    this.record('getRun', clientId, runId);
    return sampleRun(clientId, { runId: this.known(runId) });
  }

  async getRunByDate(clientId: string, scheduleId: string, processingDate: string): Promise<RunView> {
    this.record('getRunByDate', clientId, scheduleId, processingDate);
    if (!this.triggered.has(`${clientId}/${scheduleId}/${processingDate}`)) throw new NotFoundError(`no run of ${scheduleId} for ${processingDate}`);
    return sampleRun(clientId, { scheduleId, processingDate });
  }

  async listRuns(clientId: string, query: { date: string; scheduleId?: string; status?: RunView['status'] }): Promise<RunView[]> {
    this.record('listRuns', clientId, query);
    return [sampleRun(clientId, { processingDate: query.date })];
  }

  async listRunRange(scope: ClientScope, query: RunRangeRequest): Promise<RunPage> {
    this.record('listRunRange', scope, query);
    const clientId = scope === 'EVERY_CLIENT' ? 'acme' : (scope.clientIds[0] ?? 'acme');
    return { items: [sampleRun(clientId, { processingDate: query.to })] };
  }

  async listItems(clientId: string, runId: string, seq: number, query: { status?: 'PENDING' | 'SUCCEEDED' | 'FAILED'; limit: number; nextToken?: string }): Promise<ItemPage> {
    this.record('listItems', clientId, runId, seq, query);
    this.known(runId);
    return {
      items: [{ itemId: 'acct-1', status: 'FAILED', attempts: 2, error: { code: 'NO_RATE', message: 'no rate for usage type X' }, updatedAt: '2026-11-25T06:01:00.000Z' }],
      nextToken: 'page-2',
    };
  }

  async reprocess(clientId: string, runId: string, request: ReprocessRequest): Promise<RunView> {
    this.record('reprocess', clientId, runId, request);
    return sampleRun(clientId, { runId: this.known(runId), status: 'PENDING' });
  }

  async reset(clientId: string, runId: string): Promise<RunView> {
    this.record('reset', clientId, runId);
    return sampleRun(clientId, { runId: this.known(runId), status: 'RESET' });
  }

  callsOf(method: keyof RunOperations): unknown[][] {
    return this.calls.filter((call) => call.method === method).map((call) => call.args);
  }

  private record(method: keyof RunOperations, ...args: unknown[]): void {
    this.calls.push({ method, args });
    const failure = this.failNext;
    this.failNext = undefined;
    if (failure) throw failure;
  }

  private known(runId: string): string {
    if (runId !== KNOWN_RUN_ID) throw new NotFoundError(`run ${runId} not found`);
    return runId;
  }
}
