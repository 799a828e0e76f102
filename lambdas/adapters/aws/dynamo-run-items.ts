import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ErrorInfo, Run, RunJob } from '../../domain/model';
import { isTerminal } from '../../domain/run';
import type { RunTransition } from '../../ports/run-store';
import { runsByClientKeys } from './dynamo-run-ranges';
import { activeShardPk, execPk, jobSk, pad, runHeaderKey, runPk, runScheduleKey } from './dynamo-run-table';
import { queryAll, type Item } from './dynamo-toolkit';

/*
 * How a run is stored on the runs table (RUNS_TABLE in table-definitions.ts): `RUN#<runId>` /
 * `RUN` its header, which carries the keys of the indexes that find it, and `JOB#<seq>` a job
 * each; `EXEC#<name>` / `EXEC` links an execution to the run it works for.
 */

interface JobItem {
  seq: number;
  type: RunJob['type'];
  settings?: Record<string, unknown>;
  status: RunJob['status'];
  total: number;
  succeeded: number;
  failed: number;
  startedAt?: string;
  endedAt?: string;
  batchCount?: number;
  generation: number;
  onItemFailure?: RunJob['onItemFailure'];
  collectAgain?: boolean;
  start?: RunJob['start'];
  manualStart?: RunJob['manualStart'];
  error?: ErrorInfo;
}

/** A conditional update of a run's header: sent alone, or as one action of a transaction. */
export interface HeaderUpdate {
  TableName: string;
  Key: { pk: string; sk: string };
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
}

/** The header with its index keys: only PENDING and RUNNING runs carry the active indexes' sort keys. */
export function runHeaderItem(header: Omit<Run, 'jobs'>): Item {
  return {
    ...header,
    ...runHeaderKey(header.runId),
    gsi1pk: `CLIENT#${header.clientId}#DATE#${header.processingDate}`,
    gsi1sk: `${header.scheduleId}#${pad(header.attempt, 4)}`,
    ...runsByClientKeys(header),
    runSchedule: runScheduleKey(header.clientId, header.scheduleId),
    ...(isTerminal(header.status) ? {} : { activePk: activeShardPk(header.runId), activeSk: header.runId }),
  };
}

export function jobItem(runId: string, job: RunJob): Item {
  const item: JobItem & { pk: string; sk: string } = {
    pk: runPk(runId),
    sk: jobSk(job.seq),
    seq: job.seq,
    type: job.type,
    settings: job.settings,
    status: job.status,
    total: job.stats.total,
    succeeded: job.stats.succeeded,
    failed: job.stats.failed,
    startedAt: job.startedAt,
    endedAt: job.endedAt,
    batchCount: job.batchCount,
    generation: job.generation,
    onItemFailure: job.onItemFailure,
    collectAgain: job.collectAgain,
    start: job.start,
    manualStart: job.manualStart,
    error: job.error,
  };
  return item as unknown as Item;
}

export function execLinkItem(executionName: string, runId: string): Item {
  return { pk: execPk(executionName), sk: 'EXEC', runId };
}

/** A run with its jobs, from its partition. */
export async function readRun(db: DynamoDBDocumentClient, tableName: string, runId: string, consistent: boolean): Promise<Run | undefined> {
  const items = await queryAll(db, {
    TableName: tableName,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': runPk(runId) },
    ConsistentRead: consistent,
  });
  const header = items.find((item) => item.sk === 'RUN');
  if (!header) return undefined;
  const jobs = items.filter((item) => String(item.sk).startsWith('JOB#')).map((item) => toRunJob(item as unknown as JobItem));
  return toRun(header, jobs);
}

/** The conditional update of a run's header that a transition is. */
export function transitionUpdate(tableName: string, runId: string, transition: RunTransition): HeaderUpdate {
  const names: Record<string, string> = { '#status': 'status' };
  const values: Record<string, unknown> = {};
  const conditions: string[] = ['attribute_exists(pk)'];
  const fromKeys = transition.from.map((status, i) => {
    values[`:from${i}`] = status;
    return `:from${i}`;
  });
  conditions.push(`#status IN (${fromKeys.join(', ')})`);
  if (transition.executionName !== undefined) {
    names['#executionName'] = 'executionName';
    values[':ownerExecution'] = transition.executionName;
    conditions.push('#executionName = :ownerExecution');
  }
  if (transition.redriveBelow !== undefined) {
    names['#redriveCount'] = 'redriveCount';
    values[':redriveBelow'] = transition.redriveBelow;
    // redriveCount may also be SET below: the condition uses its own placeholder.
    conditions.push('#redriveCount < :redriveBelow');
  }
  const sets: string[] = [];
  const removes: string[] = [...(transition.remove ?? [])].map((field) => {
    names[`#${field}`] = field;
    return `#${field}`;
  });
  for (const [field, value] of Object.entries(transition.set)) {
    if (value === undefined) continue;
    names[`#${field}`] = field;
    values[`:${field}`] = value;
    sets.push(`#${field} = :${field}`);
  }
  if (transition.set.status) {
    names['#activePk'] = 'activePk';
    names['#activeSk'] = 'activeSk';
    if (isTerminal(transition.set.status)) {
      removes.push('#activePk', '#activeSk');
    } else {
      values[':active'] = activeShardPk(runId);
      values[':activeSk'] = runId;
      sets.push('#activePk = :active', '#activeSk = :activeSk');
    }
  }
  names['#updatedAt'] = 'updatedAt';
  values[':updatedAt'] = new Date().toISOString();
  sets.push('#updatedAt = :updatedAt');
  return {
    TableName: tableName,
    Key: runHeaderKey(runId),
    UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
    ConditionExpression: conditions.join(' AND '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

function toRun(header: Item, jobs: RunJob[]): Run {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, activePk: _a1, activeSk: _a2, runSchedule: _rs, clientRunsPk: _c1, clientRunsSk: _c2, ...run } = header;
  return { ...(run as unknown as Omit<Run, 'jobs'>), jobs: jobs.sort((a, b) => a.seq - b.seq) };
}

function toRunJob(item: JobItem): RunJob {
  const total = Number(item.total ?? 0);
  const succeeded = Number(item.succeeded ?? 0);
  const failed = Number(item.failed ?? 0);
  return {
    seq: item.seq,
    type: item.type,
    ...(item.settings ? { settings: item.settings } : {}),
    status: item.status,
    stats: { total, succeeded, failed, pending: Math.max(0, total - succeeded - failed) },
    ...(item.startedAt ? { startedAt: item.startedAt } : {}),
    ...(item.endedAt ? { endedAt: item.endedAt } : {}),
    ...(item.batchCount !== undefined ? { batchCount: item.batchCount } : {}),
    generation: item.generation ?? 0,
    ...(item.onItemFailure ? { onItemFailure: item.onItemFailure } : {}),
    ...(item.collectAgain ? { collectAgain: true } : {}),
    ...(item.start ? { start: item.start } : {}),
    ...(item.manualStart ? { manualStart: item.manualStart } : {}),
    ...(item.error ? { error: item.error } : {}),
  };
}
