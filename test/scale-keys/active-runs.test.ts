import { beforeAll, describe, expect, it } from 'vitest';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoRunStore } from '../../lambdas/adapters/aws/dynamo-run-store';
import { ACTIVE_SHARDS, activeShardPk, runScheduleKey } from '../../lambdas/adapters/aws/dynamo-run-table';
import { batchWriteAll } from '../../lambdas/adapters/aws/dynamo-toolkit';
import { RUNS_TABLE } from '../../lambdas/adapters/aws/table-definitions';
import type { Run } from '../../lambdas/domain/model';
import { executionNameFor, runIdFor } from '../../lambdas/domain/run-naming';
import type { ExecutionStatusService } from '../../lambdas/services/execution-status-service';
import { ReconcileService } from '../../lambdas/services/reconcile-service';
import { meteredDocument } from '../adapters/support/metered-client';
import { createTestTables, type TestTables } from '../support/dynamo';
import { RecordingOrchestrator, silentLogger } from '../support/engine-harness';
import { runDraftFixture } from '../support/fixtures';

type ActiveHeader = Pick<Run, 'runId' | 'clientId' | 'scheduleId' | 'executionName'>;

/**
 * One active run for each of `count` schedules: one claimed through the store, the others copies
 * of its header (same size, same index keys, derived from their own ids) written 25 at a time,
 * since 10,000 claim transactions take minutes on a shared DynamoDB Local.
 */
async function activeRuns(tables: TestTables, count: number, prefix: string): Promise<ActiveHeader[]> {
  const tableName = tables.tableName(RUNS_TABLE);
  const { run } = await new DynamoRunStore(tables.document, tableName).claimRun(runDraftFixture({ scheduleId: `${prefix}0`, processingDate: '2026-12-01' }));
  const header = (await tables.document.send(new GetCommand({ TableName: tableName, Key: { pk: `RUN#${run.runId}`, sk: 'RUN' } }))).Item!;
  const headers: ActiveHeader[] = [run];
  const items: Array<Record<string, unknown>> = [];
  for (let i = 1; i < count; i++) {
    const scheduleId = `${prefix}${i}`;
    const runId = runIdFor('acme', scheduleId, '2026-12-01', 1);
    const executionName = executionNameFor(runId, 1);
    headers.push({ runId, clientId: 'acme', scheduleId, executionName });
    items.push({
      ...header,
      pk: `RUN#${runId}`,
      runId,
      scheduleId,
      executionName,
      runSchedule: runScheduleKey('acme', scheduleId),
      activePk: activeShardPk(runId),
      activeSk: runId,
      gsi1sk: `${scheduleId}#0001`,
    });
  }
  await batchWriteAll(tables.document, tableName, items);
  return headers;
}

describe('active runs are read by schedule and by shard, never as one table-wide key', () => {
  let tables: TestTables;
  let tableName: string;

  beforeAll(async () => {
    tables = await createTestTables();
    tableName = tables.tableName(RUNS_TABLE);
  });

  it('lets 1,000 schedules firing at midnight each read its own active runs: kilobytes in all, where one ACTIVE key read a gigabyte', async () => {
    const runs = await activeRuns(tables, 1_000, 'sch_midnight_');
    const metered = meteredDocument(tables.endpoint);
    const store = new DynamoRunStore(metered.document, tableName);

    // What every BeginRun and queue check reads: the other active runs of its own schedule.
    for (let start = 0; start < runs.length; start += 25) {
      const checked = runs.slice(start, start + 25);
      const found = await Promise.all(checked.map((run) => store.listActiveRunsOfSchedule(run.clientId, run.scheduleId)));
      expect(found.map((headers) => headers.map((h) => h.runId))).toEqual(checked.map((run) => [run.runId]));
    }

    const readUnits = metered.meter.get('dynamoReadUnits');
    // The old index had one partition (ACTIVE) with every attribute: each check read all 1,000
    // headers in full (a filter does not reduce what a Query bills).
    const header = (await tables.document.send(new GetCommand({ TableName: tableName, Key: { pk: `RUN#${runs[0]!.runId}`, sk: 'RUN' } }))).Item!;
    const headerBytes = Buffer.byteLength(JSON.stringify(header));
    const oldReadUnits = runs.length * Math.ceil((runs.length * headerBytes) / 4096) * 0.5;
    console.log(`1,000 overlap checks: ${readUnits} read units (${(readUnits * 4).toFixed(0)} KB at most); one ACTIVE key: ${oldReadUnits} (${((oldReadUnits * 4) / 1024 / 1024).toFixed(2)} GB)`);
    // Each check costs one eventually consistent unit at most: half a unit per 4 KB read.
    expect(readUnits).toBeLessThanOrEqual(runs.length * 0.5);
    expect(oldReadUnits).toBeGreaterThan(readUnits * 100);
    metered.close();
  }, 300_000);

  it('keeps a finished run out of its schedule\'s active runs and the shards, and puts a reopened one back', async () => {
    const store = new DynamoRunStore(tables.document, tableName);
    const { run } = await store.claimRun(runDraftFixture({ scheduleId: 'sch_lifecycle', processingDate: '2026-12-02' }));
    const inShards = async (): Promise<boolean> => {
      let cursor: string | undefined;
      do {
        const page = await store.activeRunPage(100, cursor);
        if (page.runs.some((r) => r.runId === run.runId)) return true;
        cursor = page.cursor;
      } while (cursor);
      return false;
    };

    expect(await inShards()).toBe(true);
    expect(await store.transitionRun(run.runId, { from: ['PENDING'], set: { status: 'FAILED', endedAt: '2026-12-02T01:00:00Z' } })).toBe(true);
    expect(await store.listActiveRunsOfSchedule('acme', 'sch_lifecycle')).toEqual([]);
    expect(await inShards()).toBe(false);

    expect(await store.reopenRun(run.runId, { from: ['FAILED'], set: { status: 'PENDING', executionName: `${run.runId}-x2` } }, run.jobs, `${run.runId}-x2`)).toBe(true);
    expect((await store.listActiveRunsOfSchedule('acme', 'sch_lifecycle')).map((h) => [h.runId, h.status])).toEqual([[run.runId, 'PENDING']]);
    expect(await inShards()).toBe(true);
  }, 60_000);

  it('reconciles 10,000 active runs in pages over invocations, each run once a pass, reads in proportion to the pages', async () => {
    const other = await createTestTables();
    const otherTable = other.tableName(RUNS_TABLE);
    const runs = await activeRuns(other, 10_000, 'sch_fleet_');
    const metered = meteredDocument(other.endpoint);
    const store = new DynamoRunStore(metered.document, otherTable);
    const orchestrator = new RecordingOrchestrator();
    for (const run of runs) orchestrator.executions.set(run.executionName, { status: 'RUNNING', redriveCount: 0 });
    const described: string[] = [];
    const describe = orchestrator.describeExecution.bind(orchestrator);
    orchestrator.describeExecution = async (name) => {
      described.push(name);
      return describe(name);
    };
    const reconciler = new ReconcileService({
      runs: store,
      orchestrator,
      executionStatus: { handle: async () => undefined } as unknown as ExecutionStatusService,
      clock: { now: () => new Date('2026-12-01T00:10:00Z') },
      logger: silentLogger,
      startGraceMs: 120_000,
    });

    const reports = [];
    do {
      metered.meter.reset();
      reports.push(await reconciler.reconcile());
      // One invocation: its pages of 100 runs (a page that ends a shard may take one more Query),
      // and the saved cursor; never a Scan or a read per run.
      expect(metered.meter.get('dynamoReads')).toBeLessThanOrEqual(reports.at(-1)!.pages + ACTIVE_SHARDS + 1);
      // Index entries of a few hundred bytes: a tenth of what reading each run's header would cost.
      expect(metered.meter.get('dynamoReadUnits')).toBeLessThan((1_000 * 0.5) / 10);
    } while (!reports.at(-1)!.passComplete && reports.length < 20);

    // Ten invocations of 1,000 (an eleventh may find the last shard's end, where DynamoDB could
    // not tell at the tenth's last page that nothing follows).
    expect(reports.slice(0, 10).map((r) => r.checked)).toEqual(Array(10).fill(1_000));
    expect(reports.slice(10).map((r) => r.checked)).toEqual(reports.length === 11 ? [0] : []);
    expect(described).toHaveLength(10_000);
    expect(new Set(described)).toEqual(new Set(runs.map((r) => r.executionName)));
    // The next invocation starts the next pass from the first shard.
    expect((await reconciler.reconcile()).checked).toBe(1_000);
    metered.close();
  }, 600_000);
});
