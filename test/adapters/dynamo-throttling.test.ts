import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { DynamoConfigStore } from '../../lambdas/adapters/aws/dynamo-config-store';
import { DynamoLedger } from '../../lambdas/adapters/aws/dynamo-ledger';
import { DynamoRunStore } from '../../lambdas/adapters/aws/dynamo-run-store';
import { THROTTLED_ATTEMPTS } from '../../lambdas/adapters/aws/dynamo-toolkit';
import { CONFIG_TABLE, LEDGER_TABLE, RUNS_TABLE, TABLES, type TableDefinition } from '../../lambdas/adapters/aws/table-definitions';
import { ensureTables, localDynamoClient } from '../../lambdas/adapters/local/dynamo-local';
import { injectDynamoThrottling, type DynamoThrottling } from '../../lambdas/adapters/local/dynamo-throttling';
import { TransientStoreError } from '../../lambdas/domain/errors';
import { seedUsage } from '../../lambdas/jobs/ledger-generator';
import { runDraftFixture } from '../support/fixtures';

/**
 * The throttling fault of the chaos suite, and how the stores take throttling. The random source
 * is scripted: per request, one draw decides whether it is throttled, one how (a batch left partly
 * unprocessed or a transaction cancelled, or an exception), one which exception.
 */
describe('DynamoDB throttling: the injected fault and the stores on DynamoDB Local', () => {
  const prefix = `thr${randomBytes(4).toString('hex')}`;
  const tableName = (definition: TableDefinition): string => `${prefix}-${definition.id}`;
  const client = localDynamoClient(inject('dynamoEndpoint'));
  const document = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  let script: number[] = [];
  let throttling: DynamoThrottling;

  beforeAll(async () => {
    await ensureTables(client, TABLES, tableName);
    throttling = injectDynamoThrottling(client, { rate: 0.5, enabled: false, random: () => script.shift() ?? 0.99 });
  });

  /** Throttles the next `n` requests with exceptions (alternating the two names), then lets everything through. */
  function throttleNext(n: number): void {
    script = Array.from({ length: n }, (_, i) => [0, 0.9, i % 2 === 0 ? 0.1 : 0.9]).flat();
    for (const key of Object.keys(throttling.injected)) delete throttling.injected[key];
    throttling.enabled = true;
  }

  it('fails a request as the SDK surfaces throttling: the exception by name, HTTP 400 after its attempts, retryable as throttling', async () => {
    throttleNext(2);
    const errors = [];
    for (let i = 0; i < 2; i++) {
      errors.push(await client.send(new GetItemCommand({ TableName: tableName(RUNS_TABLE), Key: { pk: { S: 'x' }, sk: { S: 'y' } } })).catch((error: unknown) => error));
    }

    expect(errors.map((error) => (error as Error).name)).toEqual(['ProvisionedThroughputExceededException', 'ThrottlingException']);
    for (const error of errors as Array<Error & { $metadata: { httpStatusCode: number; attempts: number }; $retryable: unknown; $fault: string }>) {
      expect(error.$metadata).toMatchObject({ httpStatusCode: 400, attempts: 3 });
      expect(error.$retryable).toEqual({ throttling: true });
      expect(error.$fault).toBe('client');
    }
    expect(throttling.injected).toEqual({ GetItemCommand: 2 });
  });

  // Chaos finding (test/chaos/data-path-faults.test.ts, DynamoDB throttling): a throttling exception
  // failed the store call at once, although the stores already sent throttled batches and
  // cancelled transactions again; a worker then threw its whole batch back to the queue (30
  // minutes of visibility timeout deployed, one of five receives spent) for one throttled read.
  it("sends a throttled call again: a short spike reaches none of the stores' callers", async () => {
    const runs = new DynamoRunStore(document, tableName(RUNS_TABLE));
    const ledger = new DynamoLedger(document, tableName(LEDGER_TABLE));
    const config = new DynamoConfigStore(document, tableName(CONFIG_TABLE));

    throttleNext(THROTTLED_ATTEMPTS - 1);
    expect(await runs.getBatch('run_x', 1, 0)).toBeUndefined();
    throttleNext(THROTTLED_ATTEMPTS - 1);
    expect(await ledger.getRerateRequest('acme', 'acc-1', 'r1')).toBeUndefined();
    throttleNext(THROTTLED_ATTEMPTS - 1);
    expect(await config.getSchedule('acme', 'sch_daily')).toBeUndefined();
    expect(throttling.injected).toEqual({ GetItemCommand: THROTTLED_ATTEMPTS - 1 });
  });

  it('gives up with TransientStoreError when DynamoDB stays throttled, after THROTTLED_ATTEMPTS requests', async () => {
    const runs = new DynamoRunStore(document, tableName(RUNS_TABLE));

    throttleNext(THROTTLED_ATTEMPTS + 5);
    await expect(runs.getBatch('run_x', 1, 0)).rejects.toBeInstanceOf(TransientStoreError);
    expect(throttling.injected).toEqual({ GetItemCommand: THROTTLED_ATTEMPTS });
  });

  // A transaction cancelled by throttling wrote nothing; the SDK does not send it again, the toolkit does.
  it('sends a transaction cancelled by throttling again: the reset goes through', async () => {
    const runs = new DynamoRunStore(document, tableName(RUNS_TABLE));
    const { run } = await runs.claimRun(runDraftFixture({ processingDate: '2026-02-01' }));

    // The run's read goes through (0.99); the transaction is cancelled (throttled, the "half" draw, the action); its resend goes through.
    script = [0.99, 0, 0.1, 0];
    for (const key of Object.keys(throttling.injected)) delete throttling.injected[key];
    throttling.enabled = true;
    const reset = await runs.resetRun(run.runId, '2026-02-01T10:00:00Z');
    throttling.enabled = false;

    expect(reset).toBe(true);
    expect(throttling.injected).toEqual({ 'TransactWriteItemsCommand:cancelled': 1 });
    expect((await runs.getRun(run.runId, true))?.status).toBe('RESET');
  });

  it('writes and reads every item of a batch that DynamoDB leaves partly unprocessed', async () => {
    const ledger = new DynamoLedger(document, tableName(LEDGER_TABLE));
    const records = [0, 1, 2].flatMap((index) => seedUsage({ clientId: 'acme', accounts: 3, usagePerAccount: 4, month: '2026-11' }, index));

    // Throttled, the "half" draw below 0.5: the batch goes out half, the rest comes back unprocessed.
    script = [0, 0.1, 0, 0.1];
    throttling.enabled = true;
    await ledger.importUsage(records);
    script = [0, 0.1];
    const read = await ledger.getUsage('acme', records);

    expect(read.size).toBe(records.length);
    expect(throttling.injected).toMatchObject({ 'BatchWriteItemCommand:unprocessed': 2, 'BatchGetItemCommand:unprocessed': 1 });
  });
});
