import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Run, RunStatus } from '../../domain/model';
import { byCodeUnits, compareRunPositions, type RunPosition } from '../../domain/run-position';
import type { RunRangeQuery } from '../../ports/run-store';
import { queryPages } from './dynamo-toolkit';

/** Index entries read per Query page: a page of runs is usually one round trip. */
const ENTRIES_PER_QUERY = 100;

const pad4 = (n: number): string => String(n).padStart(4, '0');

/**
 * The runsByClient index keys of a run header (RUNS_TABLE in table-definitions.ts): a client's
 * runs sorted by processing date, schedule and attempt, so a date range is one Query.
 */
export function runsByClientKeys(run: Pick<Run, 'clientId' | 'processingDate' | 'scheduleId' | 'attempt'>): { clientRunsPk: string; clientRunsSk: string } {
  return { clientRunsPk: `CLIENT#${run.clientId}`, clientRunsSk: `${run.processingDate}#${run.scheduleId}#${pad4(run.attempt)}` };
}

/**
 * A client's runs over a date range, newest first, from the runsByClient index (keys and status
 * only: the runs themselves are read by the caller, a page at a time).
 */
export class DynamoRunRanges {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async listRunPositions(clientId: string, query: RunRangeQuery): Promise<{ positions: Array<RunPosition & { runId: string }>; more: boolean }> {
    const upper = upperBound(clientId, query);
    const lower = `${query.from}#`;
    const positions: Array<RunPosition & { runId: string }> = [];
    if (upper < lower) return { positions, more: false };
    for await (const page of queryPages(this.db, {
      TableName: this.tableName,
      IndexName: 'runsByClient',
      KeyConditionExpression: 'clientRunsPk = :pk AND clientRunsSk BETWEEN :lower AND :upper',
      ExpressionAttributeValues: { ':pk': runsByClientKeys({ clientId, processingDate: '', scheduleId: '', attempt: 0 }).clientRunsPk, ':lower': lower, ':upper': upper },
      ScanIndexForward: false,
      Limit: ENTRIES_PER_QUERY,
    })) {
      for (const entry of page.items) {
        const [processingDate = '', scheduleId = '', attempt = '0'] = String(entry.clientRunsSk).split('#');
        const position = { processingDate, clientId, scheduleId, attempt: Number(attempt), runId: String(entry.pk).slice('RUN#'.length) };
        if (query.after && compareRunPositions(position, query.after) <= 0) continue;
        if (query.scheduleId !== undefined && scheduleId !== query.scheduleId) continue;
        if (query.status !== undefined && (entry.status as RunStatus) !== query.status) continue;
        if (positions.length === query.limit) return { positions, more: true };
        positions.push(position);
      }
    }
    return { positions, more: false };
  }
}

/**
 * The highest sort key of this client still due after `query.after`: at the previous page's last
 * date, a client above that page's client has been listed already (`<date>#` excludes the date),
 * one below has not (`<date>#~`: `~` sorts above every schedule id), and that client itself
 * continues at its key (which the filter drops).
 */
function upperBound(clientId: string, query: RunRangeQuery): string {
  const end = `${query.to}#~`;
  const after = query.after;
  if (!after) return end;
  const bound =
    byCodeUnits(clientId, after.clientId) > 0
      ? `${after.processingDate}#`
      : byCodeUnits(clientId, after.clientId) < 0
        ? `${after.processingDate}#~`
        : runsByClientKeys({ ...after, clientId }).clientRunsSk;
  return bound < end ? bound : end;
}
