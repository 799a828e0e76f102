import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context, SQSEvent, SQSBatchResponse } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoConfigStore } from '../../lambdas/adapters/aws/dynamo-config-store';
import { AUDIT_TABLE, CONFIG_TABLE, LEDGER_TABLE, RUNS_TABLE } from '../../lambdas/adapters/aws/table-definitions';
import { apiEvent } from '../api/support/events';
import { createTestTables } from '../support/dynamo';

/**
 * The deployed entry points (lambdas/handlers/*) with the AWS composition root
 * (lambdas/composition/aws-context.ts), configured only through the environment the CDK stack
 * sets: DynamoDB is DynamoDB Local; Step Functions and EventBridge Scheduler are a stand-in on
 * loopback that speaks their protocols and records every call (StartExecution,
 * SendTaskSuccess/Failure, StopExecution; the schedules armed).
 */
interface SfnCall {
  action: string;
  body: Record<string, any>;
}

/** What Lambda passes each invocation; the handlers put it on their log lines. */
function lambdaContext(functionName: string): Context {
  return {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: `request-of-${functionName}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'stream',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** The JSON lines a call writes to stdout and stderr, where Lambda's log agent (and CloudWatch EMF) reads them. */
async function logLinesOf<T>(call: () => Promise<T>): Promise<{ result: T; lines: Record<string, any>[] }> {
  const lines: Record<string, any>[] = [];
  const spies = [process.stdout, process.stderr].map((stream) => {
    const write = stream.write.bind(stream);
    return vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      for (const line of String(chunk).split('\n')) {
        if (line.startsWith('{')) lines.push(JSON.parse(line));
        else if (line) write(`${line}\n`);
      }
      return true;
    });
  });
  try {
    return { result: await call(), lines };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

/** The EMF blobs among the lines: metric name → value, with their dimensions. */
function emfMetrics(lines: Record<string, any>[]): Array<{ dimensions: string[]; values: Record<string, number>; clientId: string }> {
  return lines
    .filter((line) => line._aws?.CloudWatchMetrics)
    .map((line) => {
      const [directive] = line._aws.CloudWatchMetrics;
      expect(directive.Namespace).toBe('JobScheduleManager');
      const names: string[] = directive.Metrics.map((metric: { Name: string }) => metric.Name);
      return { dimensions: directive.Dimensions.flat(), values: Object.fromEntries(names.map((name) => [name, line[name]])), clientId: line.clientId };
    });
}

const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:JobScheduleManager-test-ScheduleRun';
const CORE_BILLING_ROLE = 'arn:aws:iam::123456789012:role/core-billing';

type Handler<E, R> = (event: E, context: Context) => Promise<R>;

describe('the Lambda entry points with the AWS composition', () => {
  const sfnCalls: SfnCall[] = [];
  const schedulerCalls: Array<{ request: string; body: Record<string, any> }> = [];
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
        if (!request.headers['x-amz-target']) {
          // EventBridge Scheduler is a REST API: PUT (update), POST (create), GET, DELETE on /schedules/{name}.
          schedulerCalls.push({ request: `${request.method} ${request.url}`, body: JSON.parse(text || '{}') });
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ ScheduleArn: 'arn:aws:scheduler:us-east-1:123456789012:schedule/x' }));
          return;
        }
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
      AUDIT_TABLE_NAME: tables.tableName(AUDIT_TABLE),
      WEBHOOK_SECRET_PREFIX: 'job-schedule-manager/test/webhooks/',
      WEBHOOK_SECRET_KEY_ARN: 'arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000',
      STATE_MACHINE_ARN,
      SCHEDULE_GROUP_NAME: 'job-schedule-manager-test',
      SCHEDULER_ROLE_ARN: 'arn:aws:iam::123456789012:role/scheduler',
      SCHEDULER_DLQ_ARN: 'arn:aws:sqs:us-east-1:123456789012:scheduler-dlq',
      CORE_BILLING_URL: 'https://core-billing.example.com',
      CORE_BILLING_SECRET_ID: 'core-billing-api-key',
      ALLOW_SYNTHETIC: 'true',
      OUTCOME_RETENTION_DAYS: '30',
      MAP_MAX_CONCURRENCY: '7',
      BATCH_TIMEOUT_SECONDS: '2400',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL_DYNAMODB: tables.endpoint,
      AWS_ENDPOINT_URL_SFN: `http://127.0.0.1:${(sfn.address() as AddressInfo).port}`,
      AWS_ENDPOINT_URL_SCHEDULER: `http://127.0.0.1:${(sfn.address() as AddressInfo).port}`,
      POWERTOOLS_SERVICE_NAME: 'job-schedule-manager',
      POWERTOOLS_METRICS_NAMESPACE: 'JobScheduleManager',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
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
    const result = await handlers.api(apiEvent({ method, path, body, userArn }), lambdaContext('api'));
    return { status: result.statusCode, body: result.body ? JSON.parse(result.body) : undefined };
  };

  it('runs a schedule through API, step and worker handlers, answering the task tokens over the Step Functions API', async () => {
    expect((await call('PUT', '/v1/clients/acme', { name: 'Acme', timezone: 'Europe/Berlin' })).status).toBe(201);
    // Onboarding armed the default daily schedule's trigger in the stage's schedule group.
    expect(schedulerCalls.find((c) => c.request.startsWith('PUT /schedules/'))?.body).toMatchObject({
      GroupName: 'job-schedule-manager-test',
      Target: { Arn: STATE_MACHINE_ARN, RoleArn: 'arn:aws:iam::123456789012:role/scheduler', DeadLetterConfig: { Arn: 'arn:aws:sqs:us-east-1:123456789012:scheduler-dlq' } },
    });
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
    const run = await handlers.beginRun({ input, executionName }, lambdaContext('begin-run'));
    expect(run).toMatchObject({ action: 'RUN', index: 0, maxConcurrency: 7, batchTimeoutSeconds: 2400 });
    const job = await handlers.beginJob({ runId: run.runId, index: 0, executionName }, lambdaContext('begin-job'));
    const { batches } = await handlers.collect({ runId: run.runId, seq: job.seq, executionName }, lambdaContext('collect'));
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
    const firstPass = await logLinesOf(() => handlers.worker(sqsEvent(false), lambdaContext('worker')));
    expect(firstPass.result).toEqual({ batchItemFailures: [] });
    // One EMF blob per batch, per client and never per run: 500 items with item 3 failing, then 100.
    const itemCounts = (metrics: ReturnType<typeof emfMetrics>) => metrics.map(({ values }) => [values.ItemsSucceeded, values.ItemsFailed]);
    const batchMetrics = emfMetrics(firstPass.lines).filter((metric) => 'ItemsSucceeded' in metric.values);
    expect(itemCounts(batchMetrics).sort()).toEqual([[100, 0], [499, 1]]);
    for (const metric of batchMetrics) {
      expect(metric).toMatchObject({ dimensions: ['service', 'clientId'], clientId: 'acme' });
      expect(metric.values.BatchDuration).toBeGreaterThanOrEqual(0);
    }
    expect(sfnCalls.filter((c) => c.action === 'SendTaskSuccess').map((c) => c.body.taskToken).sort()).toEqual(['token-0-false', 'token-1-false']);
    expect(await handlers.collect({ runId: run.runId, seq: job.seq, executionName, failedOnly: true }, lambdaContext('collect'))).toEqual({ batches: [0] });

    const retry = await logLinesOf(() => handlers.worker({ Records: sqsEvent(true).Records.slice(0, 1) }, lambdaContext('worker')));
    expect(retry.result).toEqual({ batchItemFailures: [] });
    // The retry pass counts only what it processed again: the one failed item.
    expect(itemCounts(emfMetrics(retry.lines).filter((metric) => 'ItemsSucceeded' in metric.values))).toEqual([[0, 1]]);
    const failure = sfnCalls.find((c) => c.action === 'SendTaskFailure');
    expect(failure?.body).toMatchObject({ taskToken: 'token-0-true', error: 'ItemsFailed' });
    expect(failure?.body.cause).toContain('SYNTHETIC_FAILURE');

    const failedEvent = {
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      detail: { name: executionName, status: 'FAILED', error: 'States.ExceedToleratedFailureThreshold', cause: 'map run failed', redriveCount: 0, stateMachineArn: STATE_MACHINE_ARN },
    };
    const statusMetrics = emfMetrics((await logLinesOf(() => handlers.status(failedEvent, lambdaContext('status')))).lines);
    expect(statusMetrics.filter((metric) => 'RunsFailed' in metric.values)).toEqual([{ dimensions: ['service', 'clientId'], values: { RunsFailed: 1 }, clientId: 'acme' }]);
    const failed = await call('GET', `/v1/clients/acme/runs/${run.runId}`);
    expect(failed.body).toMatchObject({ status: 'FAILED', error: { code: 'ITEMS_FAILED', seq: 1 } });
    expect(failed.body.stats.items).toEqual({ total: 600, succeeded: 599, failed: 1, pending: 0 });

    await handlers.status(
      { 'detail-type': 'Step Functions Execution Status Change', source: 'aws.states', detail: { name: executionName, status: 'RUNNING', redriveCount: 1 } },
      lambdaContext('status'),
    );
    expect((await call('GET', `/v1/clients/acme/runs/${run.runId}`)).body.status).toBe('RUNNING');
  });

  it('logs a failing step once with the Lambda context and its run keys, and rethrows the domain error for the ASL', async () => {
    const { result: error, lines } = await logLinesOf(() =>
      handlers.beginJob({ runId: 'run_missing', index: 0, executionName: 'exec-missing' }, lambdaContext('begin-job')).catch((thrown: Error) => thrown),
    );

    expect(error).toMatchObject({ name: 'NotFoundError' });
    const logged = lines.filter((line) => line.level === 'ERROR');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({
      message: 'BeginJob failed',
      service: 'job-schedule-manager',
      function_name: 'begin-job',
      function_request_id: 'request-of-begin-job',
      runId: 'run_missing',
      executionName: 'exec-missing',
      error: { name: 'NotFoundError' },
    });
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
