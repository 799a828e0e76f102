import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, SQSEvent, SQSBatchResponse } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoConfigStore } from '../../lambdas/adapters/aws/dynamo-config-store';
import { CONFIG_TABLE, LEDGER_TABLE, RUNS_TABLE } from '../../lambdas/adapters/aws/table-definitions';
import { apiEvent } from '../api/support/events';
import { createTestTables } from '../support/dynamo';

/**
 * The deployed entry points (lambdas/handlers/*) with the AWS composition root
 * (lambdas/composition/aws-context.ts), configured only through the environment the CDK stack
 * sets: DynamoDB is DynamoDB Local, and Step Functions is a stand-in that speaks its JSON protocol
 * on loopback and records every call (StartExecution, SendTaskSuccess/Failure, StopExecution).
 */
interface SfnCall {
  action: string;
  body: Record<string, any>;
}

const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:JobScheduleManager-test-ScheduleRun';
const CORE_BILLING_ROLE = 'arn:aws:iam::123456789012:role/core-billing';

type Handler<E, R> = (event: E, context?: unknown) => Promise<R>;

describe('the Lambda entry points with the AWS composition', () => {
  const sfnCalls: SfnCall[] = [];
  let sfn: Server;
  let handlers: {
    api: Handler<APIGatewayProxyEvent, APIGatewayProxyResult>;
    beginRun: Handler<unknown, any>;
    beginJob: Handler<unknown, any>;
    collect: Handler<unknown, any>;
    finalize: Handler<unknown, any>;
    complete: Handler<unknown, any>;
    worker: Handler<SQSEvent, SQSBatchResponse>;
    status: Handler<unknown, void>;
  };

  const savedEnvironment = { ...process.env };

  beforeAll(async () => {
    sfn = createServer((request: IncomingMessage, response) => {
      let text = '';
      request.on('data', (chunk: Buffer) => (text += chunk.toString()));
      request.on('end', () => {
        const action = String(request.headers['x-amz-target'] ?? '').replace('AWSStepFunctions.', '');
        sfnCalls.push({ action, body: JSON.parse(text || '{}') });
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(action === 'StartExecution' ? JSON.stringify({ executionArn: `${STATE_MACHINE_ARN}:x`, startDate: 1 }) : '{}');
      });
    });
    await new Promise<void>((resolve) => sfn.listen(0, '127.0.0.1', resolve));
    const tables = await createTestTables();
    await new DynamoConfigStore(tables.document, tables.tableName(CONFIG_TABLE)).putPrincipalClients(CORE_BILLING_ROLE, ['acme']);
    Object.assign(process.env, {
      STAGE: 'test',
      CONFIG_TABLE_NAME: tables.tableName(CONFIG_TABLE),
      RUNS_TABLE_NAME: tables.tableName(RUNS_TABLE),
      LEDGER_TABLE_NAME: tables.tableName(LEDGER_TABLE),
      STATE_MACHINE_ARN,
      ALLOW_SYNTHETIC: 'true',
      OUTCOME_RETENTION_DAYS: '30',
      MAP_MAX_CONCURRENCY: '7',
      BATCH_TIMEOUT_SECONDS: '2400',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL_DYNAMODB: tables.endpoint,
      AWS_ENDPOINT_URL_SFN: `http://127.0.0.1:${(sfn.address() as AddressInfo).port}`,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    });
    const load = async (file: string) => (await import(`../../lambdas/handlers/${file}`)).handler;
    handlers = {
      api: await load('api-handler'),
      beginRun: await load('begin-run-handler'),
      beginJob: await load('begin-job-handler'),
      collect: await load('collect-work-items-handler'),
      finalize: await load('finalize-job-handler'),
      complete: await load('complete-run-handler'),
      worker: await load('worker-handler'),
      status: await load('execution-status-handler'),
    };
  });

  afterAll(async () => {
    process.env = savedEnvironment;
    await new Promise((resolve) => sfn.close(resolve));
  });

  const call = async (method: string, path: string, body?: unknown, userArn = `arn:aws:sts::123456789012:assumed-role/core-billing/nightly`) => {
    const result = await handlers.api(apiEvent({ method, path, body, userArn }));
    return { status: result.statusCode, body: result.body ? JSON.parse(result.body) : undefined };
  };

  it('runs a schedule through API, step and worker handlers, answering the task tokens over the Step Functions API', async () => {
    expect((await call('PUT', '/v1/clients/acme', { name: 'Acme', timezone: 'Europe/Berlin' })).status).toBe(201);
    const schedule = await call('POST', '/v1/clients/acme/schedules', {
      name: 'Synthetic',
      frequency: { type: 'MANUAL' },
      executionTime: '03:00:00',
      timezone: 'Europe/Berlin',
      jobs: [{ type: 'SYNTHETIC', settings: { items: 600, failItems: [3] } }],
    });
    const trigger = await call('POST', `/v1/clients/acme/schedules/${schedule.body.scheduleId}/runs`, { processingDate: '2026-11-25' });
    expect(trigger.status).toBe(202);
    const start = sfnCalls.find((c) => c.action === 'StartExecution');
    expect(start?.body).toMatchObject({ stateMachineArn: STATE_MACHINE_ARN, name: trigger.body.executionName });
    const input = JSON.parse(start?.body.input);
    expect(input).toMatchObject({ clientId: 'acme', runId: trigger.body.runId, processingDate: '2026-11-25', trigger: 'API' });

    const executionName = trigger.body.executionName as string;
    const run = await handlers.beginRun({ input, executionName });
    expect(run).toMatchObject({ action: 'RUN', index: 0, maxConcurrency: 7, batchTimeoutSeconds: 2400 });
    const job = await handlers.beginJob({ runId: run.runId, index: 0, executionName });
    const { batches } = await handlers.collect({ runId: run.runId, seq: job.seq, executionName });
    expect(batches).toEqual([0, 1]);

    const sqsEvent = (finalAttempt: boolean): SQSEvent => ({
      Records: batches.map((batchNo: number) => ({
        messageId: `m-${batchNo}-${finalAttempt}`,
        receiptHandle: `r-${batchNo}`,
        body: JSON.stringify({ taskToken: `token-${batchNo}-${finalAttempt}`, runId: run.runId, seq: job.seq, batchNo, executionName, finalAttempt }),
        attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'states', ApproximateFirstReceiveTimestamp: '0' },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:work',
        awsRegion: 'us-east-1',
      })),
    });
    expect(await handlers.worker(sqsEvent(false))).toEqual({ batchItemFailures: [] });
    expect(sfnCalls.filter((c) => c.action === 'SendTaskSuccess').map((c) => c.body.taskToken).sort()).toEqual(['token-0-false', 'token-1-false']);
    expect(await handlers.collect({ runId: run.runId, seq: job.seq, executionName, failedOnly: true })).toEqual({ batches: [0] });

    const retry = await handlers.worker({ Records: sqsEvent(true).Records.slice(0, 1) });
    expect(retry).toEqual({ batchItemFailures: [] });
    const failure = sfnCalls.find((c) => c.action === 'SendTaskFailure');
    expect(failure?.body).toMatchObject({ taskToken: 'token-0-true', error: 'ItemsFailed' });
    expect(failure?.body.cause).toContain('SYNTHETIC_FAILURE');

    await handlers.status({
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      detail: { name: executionName, status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold', cause: 'map run failed', redriveCount: 0, stateMachineArn: STATE_MACHINE_ARN },
    });
    const failed = await call('GET', `/v1/clients/acme/runs/${run.runId}`);
    expect(failed.body).toMatchObject({ status: 'FAILED', error: { code: 'ITEMS_FAILED', seq: 1 } });
    expect(failed.body.stats.items).toEqual({ total: 600, succeeded: 599, failed: 1, pending: 0 });

    await handlers.status({ 'detail-type': 'Step Functions Execution Status Change', source: 'aws.states', detail: { name: executionName, status: 'RUNNING', redriveCount: 1 } });
    expect((await call('GET', `/v1/clients/acme/runs/${run.runId}`)).body.status).toBe('RUNNING');
  });

  it('refuses callers whose IAM principal is not mapped to the client', async () => {
    const response = await call('GET', '/v1/clients/acme/schedules', undefined, 'arn:aws:sts::123456789012:assumed-role/intruder/x');
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('FORBIDDEN');
  });

  it('stops the execution when a running run is reset', async () => {
    const schedule = await call('POST', '/v1/clients/acme/schedules', {
      name: 'To reset',
      frequency: { type: 'MANUAL' },
      executionTime: '03:00:00',
      timezone: 'Europe/Berlin',
      jobs: [{ type: 'SYNTHETIC', settings: { items: 10 } }],
    });
    const trigger = await call('POST', `/v1/clients/acme/schedules/${schedule.body.scheduleId}/runs`, { processingDate: '2026-11-26' });

    const reset = await call('POST', `/v1/clients/acme/runs/${trigger.body.runId}/reset`);

    expect(reset.body.status).toBe('RESET');
    const stop = sfnCalls.find((c) => c.action === 'StopExecution');
    expect(stop?.body.executionArn).toBe(`arn:aws:states:us-east-1:123456789012:execution:JobScheduleManager-test-ScheduleRun:${trigger.body.executionName}`);
  });
});
