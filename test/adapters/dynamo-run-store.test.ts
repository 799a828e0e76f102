import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoRunStore } from '../../lambdas/adapters/aws/dynamo-run-store';
import { RUNS_TABLE } from '../../lambdas/adapters/aws/table-definitions';
import { ValidationError } from '../../lambdas/domain/errors';
import { runIdFor } from '../../lambdas/domain/run-naming';
import { createTestTables, type TestTables } from '../support/dynamo';
import { runDraftFixture } from '../support/fixtures';
import { meteredDocument } from './support/metered-client';

describe('DynamoRunStore on DynamoDB Local', () => {
  let tables: TestTables;
  let store: DynamoRunStore;

  beforeAll(async () => {
    tables = await createTestTables();
    store = new DynamoRunStore(tables.document, tables.tableName(RUNS_TABLE));
  });

  it('gives 20 concurrent claims of one schedule and date exactly one run', async () => {
    const draft = runDraftFixture({ processingDate: '2026-01-01' });

    const results = await Promise.all(Array.from({ length: 20 }, () => store.claimRun(draft)));

    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.run.runId))).toEqual(new Set([runIdFor('acme', 'sch_test', '2026-01-01', 1)]));
    expect(await store.listRuns('acme', '2026-01-01', {})).toHaveLength(1);
  });

  it('frees the date on reset, so the next claim is attempt 2 with a new run id', async () => {
    const draft = runDraftFixture({ processingDate: '2026-01-02' });
    const first = await store.claimRun(draft);

    expect(await store.resetRun(first.run.runId, '2026-01-02T10:00:00Z')).toBe(true);
    expect(await store.resetRun(first.run.runId, '2026-01-02T10:00:00Z')).toBe(false);
    const second = await store.claimRun(draft);

    expect(second.created).toBe(true);
    expect(second.run.attempt).toBe(2);
    expect(second.run.runId).not.toBe(first.run.runId);
    expect((await store.getRun(first.run.runId))?.status).toBe('RESET');
    expect((await store.getCurrentRun('acme', 'sch_test', '2026-01-02'))?.runId).toBe(second.run.runId);
    expect((await store.listRuns('acme', '2026-01-02', { status: 'RESET' })).map((r) => r.runId)).toEqual([first.run.runId]);
  });

  it('applies a transition only from the expected status and execution', async () => {
    const { run } = await store.claimRun(runDraftFixture({ processingDate: '2026-01-03' }));

    expect(await store.transitionRun(run.runId, { from: ['RUNNING'], set: { status: 'COMPLETED' } })).toBe(false);
    expect(await store.transitionRun(run.runId, { from: ['PENDING'], executionName: 'someone-else', set: { status: 'RUNNING' } })).toBe(false);
    expect(await store.transitionRun(run.runId, { from: ['PENDING'], executionName: run.executionName, set: { status: 'RUNNING' } })).toBe(true);
    expect((await store.listActiveRuns()).map((r) => r.runId)).toContain(run.runId);
    expect(await store.transitionRun(run.runId, { from: ['RUNNING'], set: { status: 'FAILED', error: { code: 'X', message: 'y' } } })).toBe(true);

    expect((await store.listActiveRuns()).map((r) => r.runId)).not.toContain(run.runId);
    expect((await store.getRun(run.runId))?.error).toEqual({ code: 'X', message: 'y' });
  });

  it('reopens a run for a new execution in one write: header, jobs and link together, or nothing', async () => {
    const { run } = await store.claimRun(runDraftFixture({ processingDate: '2026-01-08', status: 'COMPLETED' }));
    const [job] = run.jobs;
    if (!job) throw new Error('the fixture has a job');
    const reopened = { ...job, status: 'PENDING' as const, generation: 1 };
    const transition = { from: ['COMPLETED' as const], executionName: run.executionName, set: { status: 'PENDING' as const, executionName: `${run.executionName}-x2` } };

    expect(await store.reopenRun(run.runId, { ...transition, from: ['FAILED'] }, [reopened], `${run.executionName}-x2`)).toBe(false);
    expect((await store.getRun(run.runId, true))?.jobs[0]?.generation).toBe(0);
    expect(await store.findRunIdByExecution(`${run.executionName}-x2`)).toBeUndefined();

    expect(await store.reopenRun(run.runId, transition, [reopened], `${run.executionName}-x2`)).toBe(true);
    const after = await store.getRun(run.runId, true);
    expect(after).toMatchObject({ status: 'PENDING', executionName: `${run.executionName}-x2`, jobs: [{ status: 'PENDING', generation: 1 }] });
    expect(await store.findRunIdByExecution(`${run.executionName}-x2`)).toBe(run.runId);
    expect((await store.listActiveRuns()).map((r) => r.runId)).toContain(run.runId);
  });

  it('orders redrive events by redrive count', async () => {
    const { run } = await store.claimRun(runDraftFixture({ processingDate: '2026-01-04', status: 'FAILED' }));

    expect(await store.transitionRun(run.runId, { from: ['FAILED'], redriveBelow: 1, set: { status: 'RUNNING', redriveCount: 1 } })).toBe(true);
    expect(await store.transitionRun(run.runId, { from: ['RUNNING'], redriveBelow: 1, set: { status: 'RUNNING', redriveCount: 1 } })).toBe(false);
  });

  it('keeps outcomes per batch with an optimistic version, and lists failed items through the sparse index', async () => {
    const { run } = await store.claimRun(runDraftFixture({ processingDate: '2026-01-05' }));
    const ids = (batchNo: number): string[] => Array.from({ length: 5 }, (_, i) => `b${batchNo}-i${i}`);
    await store.putBatches(run.runId, 1, [0, 1, 2].map((batchNo) => ({ batchNo, itemIds: ids(batchNo) })));
    const batch = await store.getBatch(run.runId, 1, 1);
    if (!batch) throw new Error('batch missing');
    batch.status = ['SUCCEEDED', 'FAILED', 'SUCCEEDED', 'FAILED', 'FAILED'];
    batch.attempts = [1, 1, 1, 1, 1];
    batch.generations = [0, 0, 0, 0, 0];
    batch.updated = batch.updated.map(() => Date.parse('2026-01-05T01:00:00Z'));
    batch.errors = { 1: { code: 'E1', message: 'one' }, 3: { code: 'E3', message: 'three' }, 4: { code: 'E4', message: 'four' } };

    expect(await store.saveBatchOutcome(batch, 0)).toBe(true);
    expect(await store.saveBatchOutcome(batch, 0)).toBe(false);

    const firstPage = await store.listItems(run.runId, 1, { status: 'FAILED', limit: 2 });
    expect(firstPage.items.map((i) => [i.itemId, i.error?.code, i.attempts])).toEqual([
      ['b1-i1', 'E1', 1],
      ['b1-i3', 'E3', 1],
    ]);
    expect(firstPage.items[0]?.updatedAt).toBe('2026-01-05T01:00:00.000Z');
    const secondPage = await store.listItems(run.runId, 1, { status: 'FAILED', limit: 2, nextToken: firstPage.nextToken });
    expect(secondPage.items.map((i) => i.itemId)).toEqual(['b1-i4']);
    expect(secondPage.nextToken).toBeUndefined();

    const all = await store.listItems(run.runId, 1, { limit: 1000 });
    expect(all.items).toHaveLength(15);
    expect(all.items.filter((i) => i.status === 'PENDING')).toHaveLength(10);
    const summaries = [];
    for await (const s of store.batchSummaries(run.runId, 1)) summaries.push(s);
    expect(summaries.map((s) => [s.batchNo, s.succeeded, s.failed, s.minGeneration])).toEqual([
      [0, 0, 0, -1],
      [1, 2, 3, 0],
      [2, 0, 0, -1],
    ]);
  });

  it('pages through every item exactly once', async () => {
    const { run } = await store.claimRun(runDraftFixture({ processingDate: '2026-01-06' }));
    const batches = Array.from({ length: 30 }, (_, batchNo) => ({ batchNo, itemIds: Array.from({ length: 7 }, (_, i) => `${batchNo}:${i}`) }));
    await store.putBatches(run.runId, 1, batches);

    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await store.listItems(run.runId, 1, { limit: 13, nextToken });
      seen.push(...page.items.map((i) => i.itemId));
      nextToken = page.nextToken;
    } while (nextToken);

    expect(seen).toEqual(batches.flatMap((b) => b.itemIds));
  });

  it('rejects a nextToken it did not issue', async () => {
    await expect(store.listItems('run_x', 1, { limit: 10, nextToken: 'garbage!' })).rejects.toBeInstanceOf(ValidationError);
  });

  it('is counted at the client: a read per request, a write per item written, a lease refused by its condition too', async () => {
    const { document, meter, close } = meteredDocument(tables.endpoint);
    const metered = new DynamoRunStore(document, tables.tableName(RUNS_TABLE));

    const { run } = await metered.claimRun(runDraftFixture({ processingDate: '2026-01-09' }));
    // The date's pointer read; one transaction of the pointer, the run, its execution link and its one job.
    expect(meter.snapshot()).toMatchObject({ dynamoReads: 1, dynamoWrites: 4, dynamoCalls: 2 });

    meter.reset();
    await metered.putBatches(run.runId, 1, Array.from({ length: 30 }, (_, batchNo) => ({ batchNo, itemIds: [`i${batchNo}`] })));
    // Two BatchWriteItem requests, 25 batches and 5.
    expect(meter.snapshot()).toMatchObject({ dynamoReads: 0, dynamoWrites: 30, dynamoCalls: 2 });

    meter.reset();
    const batch = { runId: run.runId, seq: 1, batchNo: 0 };
    expect(await metered.leaseBatch(batch, 0, { holder: 'w1', untilMs: 2_000 }, 1_000)).toBe(true);
    expect(await metered.leaseBatch(batch, 0, { holder: 'w2', untilMs: 2_000 }, 1_000)).toBe(false);
    // DynamoDB bills the refused write too, though it reports no capacity for it.
    expect(meter.snapshot()).toMatchObject({ dynamoWrites: 2, dynamoWriteUnits: 1, dynamoCalls: 1 });
    close();
  });
});
