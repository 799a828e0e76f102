import { fileURLToPath } from 'node:url';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoBatchStore } from '../../lambdas/adapters/aws/dynamo-batch-store';
import { RUNS_TABLE } from '../../lambdas/adapters/aws/table-definitions';
import { HISTORY_EVENT_LIMIT, PAYLOAD_LIMIT_BYTES } from '../../lambdas/adapters/local/aws-limits';
import { LocalQueue } from '../../lambdas/adapters/local/local-queue';
import { LocalStateMachine, type StepFunctions } from '../../lambdas/adapters/local/local-state-machine';
import { syntheticItemId } from '../../lambdas/jobs/synthetic-job';
import type { BatchRecord } from '../../lambdas/ports/batch-store';
import { DEFAULT_QUEUE_POLL_SECONDS } from '../../lambdas/services/steps/step-io';
import { createTestTables, type TestTables } from '../support/dynamo';
import { DYNAMO_ITEM_LIMIT_BYTES, dynamoItemBytes, margin } from './aws-sizes';

/**
 * A scale model of a 10,000,000-item job: what each AWS quota is measured against, at the sizes
 * that decide it, with each margin printed (docs/cost-and-scaling.md, "Limits: measured margins").
 * The interpreter spends about 3 ms per Map child on this machine, so 40,000 children do not fit
 * in the suite: the parent's payloads are measured at the full 40,000 batches with the Map stopped
 * at its entry, and the children (their histories, the Map's aggregated result) on 2,000 batches,
 * each child outputting the same `{}` whatever the batch count.
 */

const realAsl = fileURLToPath(new URL('../../statemachines/schedule-run.asl.json', import.meta.url));

const ITEMS = 10_000_000;
/** BILLING's batch size, the smallest of the jobs that meet millions of items (RERATING's 25 is for corrections). */
const ITEMS_PER_BATCH = 250;
const BATCHES = ITEMS / ITEMS_PER_BATCH;

// The longest ids the API accepts, and a run reprocessed 999 times.
const clientId = 'c'.repeat(40);
const scheduleId = `sch_${'s'.repeat(40)}`;
const runId = `run_${'0'.repeat(24)}`;
const executionName = `${runId}-x999`;
const executionInput = { clientId, scheduleId, runId, processingDate: '2026-12-31', trigger: 'API' };

const report: string[] = [];
afterAll(() => console.log(['10 M-item scale model, measured:', ...report.map((line) => `  ${line}`)].join('\n')));

/** The steps' answers, shaped as lambdas/services/steps answers them, for one job of `batches` batches. */
function jobSteps(batches: number, failedBatches: number, maxConcurrency: number): StepFunctions {
  return {
    BeginRun: async () => ({ runId, index: 0, action: 'RUN', maxConcurrency, batchTimeoutSeconds: 900 }),
    BeginJob: async (input) => ((input as { index: number }).index === 0 ? { action: 'RUN', seq: 20 } : { action: 'COMPLETE', seq: 20 }),
    CollectWorkItems: async (input) => ({ batches: Array.from({ length: (input as { failedOnly?: boolean }).failedOnly ? failedBatches : batches }, (_, i) => i) }),
    FinalizeJob: async (input) => (input as { index: number }).index + 1,
    CompleteRun: async () => ({ status: 'COMPLETED' }),
  };
}

describe(`a ${ITEMS.toLocaleString('en')}-item job on the real schedule-run ASL`, () => {
  it(`carries its ${BATCHES.toLocaleString('en')} batch numbers into the Map under 256 KiB`, async () => {
    // A MaxConcurrency AWS refuses (negative) fails the Map at its entry, after its input was
    // measured and before 40,000 children would run.
    const machine = new LocalStateMachine({ definitionPath: realAsl, steps: jobSteps(BATCHES, 0, -1), workQueue: new LocalQueue({ name: 'work' }) });

    const outcome = await machine.start(executionName, executionInput).result;

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'States.Runtime', cause: expect.stringContaining('$.run.maxConcurrency') });
    const { largestPayload } = outcome.limits;
    expect(largestPayload.where).toMatch(/ProcessBatches|CollectWorkItems/);
    expect(largestPayload.value).toBeLessThan(PAYLOAD_LIMIT_BYTES);
    report.push(margin(`largest state payload at ${BATCHES.toLocaleString('en')} batches (${largestPayload.where}), bytes`, largestPayload.value, PAYLOAD_LIMIT_BYTES));
    // Each further batch number adds 6 bytes (5 digits and a comma) up to batch 99,999.
    report.push(`batches a job can have before its list reaches 256 KiB: ${(BATCHES + Math.floor((PAYLOAD_LIMIT_BYTES - largestPayload.value) / 6)).toLocaleString('en')}`);
  });

  it('runs every batch as a child execution whose output adds 3 bytes to the Map result, with a short history of its own', async () => {
    const batches = 2_000;
    const queue = new LocalQueue({ name: 'work' });
    const machine = new LocalStateMachine({ definitionPath: realAsl, steps: jobSteps(batches, batches, 40), workQueue: queue });
    // A worker that answers at once, as lambdas/services/worker-service.ts answers.
    queue.startConsumer({
      batchSize: 10,
      maxConcurrency: 4,
      visibilityTimeoutMs: 60_000,
      maxReceiveCount: 1,
      handler: async (event) => {
        for (const record of event.Records) {
          const { taskToken, batchNo } = JSON.parse(record.body) as { taskToken: string; batchNo: number };
          await machine.callbacks.sendTaskSuccess(taskToken, { batchNo, succeeded: ITEMS_PER_BATCH - 1, failed: 1 });
        }
      },
    });

    const outcome = await machine.start(executionName, executionInput).result;
    await queue.stop();

    expect(outcome.status).toBe('SUCCEEDED');
    const { largestMapResult, childHistoryEvents, historyEvents } = outcome.limits;
    expect(largestMapResult.value).toBe(3 * batches + 1);
    // ExecutionStarted, TaskStateEntered, TaskScheduled, TaskStarted, TaskSubmitted, TaskSucceeded, TaskStateExited, ExecutionSucceeded.
    expect(childHistoryEvents.value).toBe(8);
    const atScale = 3 * BATCHES + 1;
    expect(atScale).toBeLessThan(PAYLOAD_LIMIT_BYTES);
    report.push(margin(`Distributed Map result at ${BATCHES.toLocaleString('en')} batches (3 bytes a child, measured at ${batches.toLocaleString('en')}), bytes`, atScale, PAYLOAD_LIMIT_BYTES));
    report.push(margin('history of one Map child execution (no retry), events', childHistoryEvents.value, HISTORY_EVENT_LIMIT));
    // One job with both Maps, whatever its batch count: children do not count in the parent.
    report.push(margin('history of a one-job run with a retry pass, events', historyEvents, HISTORY_EVENT_LIMIT));
    // Around the jobs: ExecutionStarted, BeginRun, HasWork, the first BeginJob and JobGate, CompleteRun, ExecutionSucceeded.
    const aroundJobs = 1 + 5 + 2 + 5 + 2 + 5 + 1;
    const perJob = historyEvents - aroundJobs;
    report.push(margin(`history of a 20-job run, each with a retry pass (${perJob} events a job), events`, aroundJobs + 20 * perJob, HISTORY_EVENT_LIMIT));
  });

  it('can wait for an earlier run of its schedule for days before its history runs out', async () => {
    let rounds = 0;
    const steps: StepFunctions = {
      ...jobSteps(0, 0, 40),
      BeginRun: async () => {
        rounds += 1;
        return { runId, index: 0, action: 'WAIT', waitUntil: '2026-12-31T00:00:00Z', maxConcurrency: 40, batchTimeoutSeconds: 900 };
      },
    };
    const machine = new LocalStateMachine({ definitionPath: realAsl, steps, workQueue: new LocalQueue({ name: 'work' }), waitTimeOverrides: { WaitForPreviousRun: 0 } });

    const outcome = await machine.start(executionName, executionInput).result;

    expect(outcome).toMatchObject({ status: 'FAILED', error: 'States.Runtime', cause: expect.stringContaining(String(HISTORY_EVENT_LIMIT)) });
    const days = ((rounds - 1) * DEFAULT_QUEUE_POLL_SECONDS) / 86_400;
    expect(days).toBeGreaterThan(3);
    report.push(`queued behind an earlier run: ${rounds - 1} rounds of ${DEFAULT_QUEUE_POLL_SECONDS} s (9 events each) fit in the history: ${days.toFixed(1)} days`);
  });
});

describe('the largest DynamoDB items of a 10,000,000-item job', () => {
  let tables: TestTables;
  beforeAll(async () => {
    tables = await createTestTables();
  });

  /** A batch whose every item failed with `message`, saved through the real adapter on DynamoDB Local. */
  async function failedBatch(store: DynamoBatchStore, batchNo: number, itemIds: string[], message: string): Promise<void> {
    await store.putBatches(runId, 20, [{ batchNo, itemIds }]);
    const record: BatchRecord = {
      runId,
      seq: 20,
      batchNo,
      itemIds,
      status: itemIds.map(() => 'FAILED'),
      attempts: itemIds.map(() => 99),
      generations: itemIds.map(() => 999),
      updated: itemIds.map(() => Date.parse('2026-12-31T23:59:59.999Z')),
      errors: Object.fromEntries(itemIds.map((_, i) => [i, { code: 'CORE_BILLING_REJECTED', message }])),
      version: 0,
    };
    expect(await store.saveBatchOutcome(record, 0)).toBe(true);
  }

  it('keeps a batch record of every failed item under 400 KB', async () => {
    const store = new DynamoBatchStore(tables.document, tables.tableName(RUNS_TABLE));
    // SYNTHETIC's largest batch (1,000) with its own message; a ledger batch of 500 usage records
    // that core billing rejected with 300 characters each, as http-core-billing.ts quotes them.
    const synthetic = Array.from({ length: 1_000 }, (_, i) => syntheticItemId(9_999_000 + i));
    const usage = Array.from({ length: 500 }, (_, i) => `usage#acc-${String(i).padStart(7, '0')}#2026-12#${'u'.repeat(24)}`);
    await failedBatch(store, 0, synthetic, `Injected failure for item 9999999; reprocess with {"heal": true} to let it succeed.`);
    await failedBatch(store, 1, usage, `Core billing at https://core-billing.example.com/v1/transactions refused the record: ${'r'.repeat(300)}`);

    const items = (await tables.document.send(new ScanCommand({ TableName: tables.tableName(RUNS_TABLE) }))).Items ?? [];
    const sizes = items.map((item) => ({ batchNo: item.batchNo as number, bytes: dynamoItemBytes(item) }));

    expect(sizes).toHaveLength(2);
    for (const { batchNo, bytes } of sizes) {
      expect(bytes).toBeLessThan(DYNAMO_ITEM_LIMIT_BYTES);
      report.push(margin(`batch record, every item failed (${batchNo === 0 ? '1,000 SYNTHETIC items' : '500 usage items, 300-character rejections'}), bytes`, bytes, DYNAMO_ITEM_LIMIT_BYTES));
    }
  });
});
