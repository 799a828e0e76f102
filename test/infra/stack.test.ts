import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_TABLE, LEDGER_TABLE, RUNS_TABLE } from '../../lambdas/adapters/aws/table-definitions';
import { API_ROUTES, ROUTES } from '../../lambdas/api/route-table';
import { AUDIT_WRITE_FAILED } from '../../lambdas/api/router';
import {
  ApiEnvironment,
  BeginRunEnvironment,
  ExecutionStatusEnvironment,
  JobStepEnvironment,
  NotificationDispatchEnvironment,
  ReconcileEnvironment,
  WebhookDeliveryEnvironment,
  WorkerEnvironment,
} from '../../lambdas/composition/environment';
import { dataLifecycle, stageConfig, STAGES, UnknownStageError } from '../../lib/config/stage-config';
import { requestBodyJsonSchema, requestParameters } from '../../lib/constructs/api';
import { SCHEDULE_RUN_ASL } from '../../lib/constructs/orchestration';
import { createApp } from '../../lib/job-schedule-manager-app';
import {
  appFunctions,
  asArray,
  HANDLER_FILES,
  readAsset,
  render,
  resource,
  resourceByPrefix,
  resourcesOfType,
  roleOf,
  roleStatements,
  stage,
  synthStage,
  type CfnResourceJson,
  type TemplateJson,
} from './support/synth';

/*
 * Template assertions for the intent of each construct (least privilege, encryption, DLQs,
 * alarms), not resource counts. One file, so that each stage is synthesized once per test run
 * (bundling skipped); bundling.test.ts does the one real esbuild synth.
 */

// Both stages' synthesis (cdk-nag included) takes over a minute on a loaded machine: paid here,
// not by whichever test happens to ask first.
beforeAll(() => {
  stage('dev');
  stage('prod');
}, 300_000);

// ── Stage configuration ───────────────────────────────────────────────────────────────────────

describe('stage configuration', () => {
  it('derives removal policy and deletion protection from retainData alone', () => {
    expect(dataLifecycle({ retainData: true })).toEqual({ removalPolicy: RemovalPolicy.RETAIN, deletionProtection: true });
    expect(dataLifecycle({ retainData: false })).toEqual({ removalPolicy: RemovalPolicy.DESTROY, deletionProtection: false });
  });

  it('refuses a stage it does not know', () => {
    expect(() => stageConfig('staging')).toThrow(UnknownStageError);
  });

  it('names one stack per stage and defaults to dev', () => {
    expect(createApp({ context: { 'aws:cdk:bundling-stacks': [] } }).stack.stackName).toBe('JobScheduleManager-dev');
    expect(createApp({ context: { stage: 'prod', 'aws:cdk:bundling-stacks': [] } }).stack.stackName).toBe('JobScheduleManager-prod');
  });
});

// ── Storage: the system of record ─────────────────────────────────────────────────────────────

const TABLE = 'AWS::DynamoDB::Table';

describe.each([CONFIG_TABLE, RUNS_TABLE, LEDGER_TABLE])('the $id table', (definition) => {
  it('has the keys, indexes and TTL of its shared definition, every key a string', () => {
    const { json } = stage('dev');

    const [, table] = resourceByPrefix(json, TABLE, `Storage${definition.id}`);

    const props = table.Properties as Record<string, unknown>;
    expect(props.KeySchema).toEqual([
      { AttributeName: definition.partitionKey, KeyType: 'HASH' },
      { AttributeName: definition.sortKey, KeyType: 'RANGE' },
    ]);
    for (const attribute of props.AttributeDefinitions as Array<{ AttributeType: string }>) {
      expect(attribute.AttributeType).toBe('S');
    }
    const indexes = (props.GlobalSecondaryIndexes ?? []) as Array<{ IndexName: string; KeySchema: unknown; Projection: unknown }>;
    expect(indexes.map((index) => index.IndexName)).toEqual(definition.globalIndexes.map((index) => index.indexName));
    for (const index of definition.globalIndexes) {
      const synthesized = indexes.find((candidate) => candidate.IndexName === index.indexName);
      expect(synthesized?.KeySchema).toEqual([
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        ...(index.sortKey ? [{ AttributeName: index.sortKey, KeyType: 'RANGE' }] : []),
      ]);
      expect(synthesized?.Projection).toEqual(
        typeof index.projection === 'object' ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.projection.include] } : { ProjectionType: index.projection ?? 'ALL' },
      );
    }
    expect(props.TimeToLiveSpecification).toEqual(
      definition.timeToLiveAttribute ? { AttributeName: definition.timeToLiveAttribute, Enabled: true } : undefined,
    );
  });

  it('is on-demand, point-in-time recoverable and encrypted with the stage data key', () => {
    const { json } = stage('dev');
    const [keyId] = resourceByPrefix(json, 'AWS::KMS::Key', 'StorageDataKey');

    const [, table] = resourceByPrefix(json, TABLE, `Storage${definition.id}`);

    expect(table.Properties?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.Properties?.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    const sse = table.Properties?.SSESpecification as Record<string, unknown>;
    expect(sse.SSEEnabled).toBe(true);
    expect(sse.SSEType).toBe('KMS');
    expect(render(sse.KMSMasterKeyId)).toBe(`\${${keyId}.Arn}`);
  });

  it('is retained and deletion-protected in prod', () => {
    const { json } = stage('prod');

    const [, table] = resourceByPrefix(json, TABLE, `Storage${definition.id}`);

    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
    expect(table.Properties?.DeletionProtectionEnabled).toBe(true);
  });

  it('is deleted with the stack in dev', () => {
    const { json } = stage('dev');

    const [, table] = resourceByPrefix(json, TABLE, `Storage${definition.id}`);

    expect(table.DeletionPolicy).toBe('Delete');
    expect(table.Properties?.DeletionProtectionEnabled).toBe(false);
  });
});

describe('the data key', () => {
  it.each([
    ['prod', 'Retain'],
    ['dev', 'Delete'],
  ] as const)('rotates and follows the data lifecycle in %s', (name, deletionPolicy) => {
    const { json } = stage(name);

    const [, key] = resourceByPrefix(json, 'AWS::KMS::Key', 'StorageDataKey');

    expect(key.Properties?.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe(deletionPolicy);
  });
});

// ── Functions: one L3 construct for all ───────────────────────────────────────────────────────

describe.each(['dev', 'prod'] as const)('every function (%s)', (name) => {
  it('runs Node.js 24 on ARM64 with active tracing, JSON logs and source maps', () => {
    const { json } = stage(name);

    const functions = appFunctions(json);

    expect(functions).toHaveLength(HANDLER_FILES);
    for (const [id, fn] of functions) {
      const props = fn.Properties!;
      expect(props.Runtime, id).toBe('nodejs24.x');
      expect(props.Architectures, id).toEqual(['arm64']);
      expect(props.TracingConfig, id).toEqual({ Mode: 'Active' });
      expect(props.Handler, id).toBe('index.handler');
      const logging = props.LoggingConfig as { LogFormat: string; LogGroup: unknown };
      expect(logging.LogFormat, id).toBe('JSON');
      const logGroup = resource(json, render(logging.LogGroup).slice(2, -1));
      expect(logGroup.Properties?.RetentionInDays, id).toBe(STAGES[name].logRetention);
      expect(logGroup.DeletionPolicy, id).toBe(STAGES[name].retainData ? 'Retain' : 'Delete');
    }
  });

  it('gets the shared environment from the stage config', () => {
    const { json } = stage(name);

    for (const [id, fn] of appFunctions(json)) {
      const variables = (fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(variables, id).toMatchObject({
        NODE_OPTIONS: '--enable-source-maps',
        STAGE: name,
        ALLOW_SYNTHETIC: String(STAGES[name].allowSynthetic),
        OUTCOME_RETENTION_DAYS: String(STAGES[name].outcomeRetentionDays),
        POWERTOOLS_SERVICE_NAME: 'job-schedule-manager',
        POWERTOOLS_LOG_LEVEL: STAGES[name].logLevel,
      });
      expect(render(variables.CONFIG_TABLE_NAME), id).toMatch(/^\$\{StorageConfig\w+\}$/);
      expect(render(variables.RUNS_TABLE_NAME), id).toMatch(/^\$\{StorageRuns\w+\}$/);
    }
  });
});

// ── Orchestration: state machine, work queue, worker, status rule ─────────────────────────────

const ASL_TEXT = readFileSync(SCHEDULE_RUN_ASL, 'utf8');
const ASL_PLACEHOLDERS = [...new Set([...ASL_TEXT.matchAll(/\$\{(\w+)\}/g)].map((match) => match[1]))].sort();
const STATE_MACHINE_NAME = 'JobScheduleManager-dev-ScheduleRun';
const STEP_SUBSTITUTIONS = ['BeginRunFunctionArn', 'BeginJobFunctionArn', 'CollectWorkItemsFunctionArn', 'FinalizeJobFunctionArn', 'CompleteRunFunctionArn'];

/** Actions CDK adds for logging and tracing, whose services accept only Resource "*". */
const RESOURCE_STAR_ACTIONS = new Set([
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
]);

function stateMachine(json: TemplateJson): [string, CfnResourceJson] {
  return resourceByPrefix(json, 'AWS::StepFunctions::StateMachine', 'OrchestrationScheduleRun');
}

function workerFunction(json: TemplateJson): [string, CfnResourceJson] {
  return resourceByPrefix(json, 'AWS::Lambda::Function', 'OrchestrationWorkerFunction');
}

function actionsOf(statements: ReturnType<typeof roleStatements>): string[] {
  return statements.flatMap((statement) => asArray(statement.Action));
}

describe('the work queue', () => {
  it('is encrypted, TLS-only and dead-letters a batch after 5 receives into an encrypted, TLS-only queue', () => {
    const { json } = stage('dev');

    const [, queue] = resourceByPrefix(json, 'AWS::SQS::Queue', 'OrchestrationWorkQueue');
    const redrive = queue.Properties?.RedrivePolicy as { deadLetterTargetArn: unknown; maxReceiveCount: number };
    const dlqId = render(redrive.deadLetterTargetArn).replace(/^\$\{(.+)\.Arn\}$/, '$1');

    expect(redrive.maxReceiveCount).toBe(5);
    for (const [id, candidate] of [['work queue', queue], [dlqId, resource(json, dlqId)]] as const) {
      expect(candidate.Properties?.SqsManagedSseEnabled, id).toBe(true);
    }
    const tlsOnlyQueues = resourcesOfType(json, 'AWS::SQS::QueuePolicy')
      .filter(([, policy]) =>
        (policy.Properties?.PolicyDocument as { Statement: Array<{ Effect: string; Condition?: unknown }> }).Statement.some(
          (statement) => statement.Effect === 'Deny' && JSON.stringify(statement.Condition) === '{"Bool":{"aws:SecureTransport":"false"}}',
        ),
      )
      .flatMap(([, policy]) => asArray(policy.Properties?.Queues as unknown[]).map(render));
    expect(tlsOnlyQueues).toEqual(expect.arrayContaining([expect.stringContaining('OrchestrationWorkQueue'), `\${${dlqId}}`]));
  });

  it('keeps a message invisible for longer than its worker may run', () => {
    const { json } = stage('dev');
    const [, mapping] = resourcesOfType(json, 'AWS::Lambda::EventSourceMapping')[0]!;
    const worker = resource(json, render(mapping.Properties?.FunctionName).slice(2, -1));
    const queue = resource(json, render(mapping.Properties?.EventSourceArn).replace(/^\$\{(.+)\.Arn\}$/, '$1'));

    const visibility = queue.Properties?.VisibilityTimeout as number;
    const workerTimeout = worker.Properties?.Timeout as number;

    expect(visibility).toBeGreaterThanOrEqual(6 * workerTimeout);
    expect(STAGES.dev.batchTimeout.toSeconds()).toBeGreaterThan(visibility);
  });

  it.each(['dev', 'prod'] as const)('feeds the worker one batch at a time with partial failures and bounded concurrency (%s)', (name) => {
    const { json } = stage(name);
    const [workerId] = workerFunction(json);

    const mappings = resourcesOfType(json, 'AWS::Lambda::EventSourceMapping');

    // The other mappings feed the notifications' functions (test/infra/notifications.test.ts).
    const [dispatchId] = resourceByPrefix(json, 'AWS::Lambda::Function', 'NotificationsDispatchFunction');
    const [deliveryId] = resourceByPrefix(json, 'AWS::Lambda::Function', 'NotificationsDeliveryFunction');
    expect(mappings.map(([, mapping]) => render(mapping.Properties?.FunctionName)).sort()).toEqual([deliveryId, dispatchId, workerId].map((id) => `\${${id}}`).sort());
    const props = mappings.find(([, mapping]) => render(mapping.Properties?.FunctionName) === `\${${workerId}}`)![1].Properties!;
    expect(props.BatchSize).toBe(1);
    expect(props.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(props.ScalingConfig).toEqual({ MaximumConcurrency: STAGES[name].workerMaxConcurrency });
  });
});

describe('the schedule-run state machine', () => {
  it('is a STANDARD state machine that logs ALL events and traces with X-Ray', () => {
    const { json } = stage('dev');

    const [, machine] = stateMachine(json);

    expect(machine.Properties?.StateMachineName).toBe(STATE_MACHINE_NAME);
    expect(machine.Properties?.StateMachineType).toBe('STANDARD');
    expect(machine.Properties?.TracingConfiguration).toEqual({ Enabled: true });
    const logging = machine.Properties?.LoggingConfiguration as { Level: string; Destinations: unknown[] };
    expect(logging.Level).toBe('ALL');
    expect(logging.Destinations).toHaveLength(1);
  });

  it('deploys the ASL file itself, with a substitution for every placeholder in it', () => {
    const synthesized = stage('dev');
    const [, machine] = stateMachine(synthesized.json);
    const location = machine.Properties?.DefinitionS3Location as { Key: string };

    const deployed = readAsset(synthesized, location.Key);

    expect(JSON.parse(deployed)).toEqual(JSON.parse(ASL_TEXT));
    expect(deployed).toContain('"ProcessBatches"');
    expect(deployed).toContain('"Mode": "DISTRIBUTED"');
    const substitutions = machine.Properties?.DefinitionSubstitutions as Record<string, unknown>;
    expect(Object.keys(substitutions).sort()).toEqual(ASL_PLACEHOLDERS);
    expect(render(substitutions.WorkQueueUrl)).toMatch(/^\$\{OrchestrationWorkQueue\w+\}$/);
    for (const name of STEP_SUBSTITUTIONS) {
      expect(render(substitutions[name])).toMatch(/^\$\{Orchestration\w+Function\w+\.Arn\}$/);
    }
  });

  it('has a role with exactly the permissions the ASL needs, scoped to this stack', () => {
    const { json } = stage('dev');
    const [, machine] = stateMachine(json);
    const substitutions = machine.Properties?.DefinitionSubstitutions as Record<string, unknown>;
    const roleId = roleOf(machine);

    const statements = roleStatements(json, roleId);

    expect(new Set(actionsOf(statements))).toEqual(
      new Set([
        ...RESOURCE_STAR_ACTIONS,
        'lambda:InvokeFunction',
        'sqs:SendMessage',
        'states:StartExecution',
        'states:DescribeExecution',
        'states:StopExecution',
        'states:RedriveExecution',
      ]),
    );
    for (const statement of statements) {
      expect(statement.Effect).toBe('Allow');
      const resources = asArray(statement.Resource).map(render);
      if (resources.includes('*')) {
        // AWS requires "*" for vended log delivery and X-Ray; nothing else may use it.
        expect(asArray(statement.Action).every((action) => RESOURCE_STAR_ACTIONS.has(action)), JSON.stringify(statement)).toBe(true);
      }
    }
    const resourcesFor = (action: string): string[] =>
      statements.filter((statement) => asArray(statement.Action).includes(action)).flatMap((statement) => asArray(statement.Resource).map(render));
    expect(resourcesFor('lambda:InvokeFunction').sort()).toEqual(STEP_SUBSTITUTIONS.map((name) => render(substitutions[name])).sort());
    expect(resourcesFor('sqs:SendMessage')).toEqual([render(substitutions.WorkQueueUrl).replace(/\}$/, '.Arn}')]);
    const arn = (resourcePart: string): string => `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:${resourcePart}`;
    expect(resourcesFor('states:StartExecution')).toEqual([arn(`stateMachine:${STATE_MACHINE_NAME}`)]);
    expect(resourcesFor('states:DescribeExecution')).toEqual([arn(`execution:${STATE_MACHINE_NAME}:*`)]);
    expect(resourcesFor('states:StopExecution')).toEqual([arn(`execution:${STATE_MACHINE_NAME}:*`)]);
    expect(resourcesFor('states:RedriveExecution').sort()).toEqual([arn(`execution:${STATE_MACHINE_NAME}/*:*`), arn(`mapRun:${STATE_MACHINE_NAME}/*:*`)].sort());
  });
});

describe('the worker', () => {
  it('may answer and heartbeat task tokens of the state machine and of its Distributed Map children, and nothing more on it', () => {
    const { json } = stage('dev');
    const [, worker] = workerFunction(json);

    const statements = roleStatements(json, roleOf(worker)).filter((statement) => asArray(statement.Action).some((action) => action.startsWith('states:')));

    expect(statements).toHaveLength(1);
    expect(new Set(asArray(statements[0]!.Action))).toEqual(new Set(['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat']));
    // The tokens come from Map child executions, which run as stateMachine:<name>/<map label>.
    const arn = (resourcePart: string): string => `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:${resourcePart}`;
    expect(asArray(statements[0]!.Resource).map(render).sort()).toEqual([arn(`stateMachine:${STATE_MACHINE_NAME}`), arn(`stateMachine:${STATE_MACHINE_NAME}/*`)].sort());
  });

  it('may shorten the visibility of the work queue’s messages, for a batch another delivery holds', () => {
    const { json } = stage('dev');
    const [, worker] = workerFunction(json);
    const [queueId] = resourceByPrefix(json, 'AWS::SQS::Queue', 'OrchestrationWorkQueue');

    const statements = roleStatements(json, roleOf(worker)).filter((statement) => asArray(statement.Action).includes('sqs:ChangeMessageVisibility'));

    expect(statements.flatMap((statement) => asArray(statement.Resource).map(render))).toEqual([`\${${queueId}.Arn}`]);
  });
});

describe('the BeginRun step', () => {
  it.each(['dev', 'prod'] as const)('hands the Map its concurrency and batch timeout from the stage config (%s)', (name) => {
    const { json } = stage(name);

    const [, beginRun] = resourceByPrefix(json, 'AWS::Lambda::Function', 'OrchestrationBeginRunFunction');

    const variables = (beginRun.Properties?.Environment as { Variables: Record<string, string> }).Variables;
    expect(variables.MAP_MAX_CONCURRENCY).toBe(String(STAGES[name].mapMaxConcurrency));
    expect(variables.BATCH_TIMEOUT_SECONDS).toBe(String(STAGES[name].batchTimeout.toSeconds()));
  });
});

describe('the reconciler', () => {
  it('runs every five minutes and may only describe executions of this state machine and start it', () => {
    const { json } = stage('dev');
    const [reconcileId, reconcile] = resourceByPrefix(json, 'AWS::Lambda::Function', 'OrchestrationReconcileFunction');

    // The notifications' one-minute sweep is the other scheduled rule (test/infra/notifications.test.ts).
    const scheduled = resourcesOfType(json, 'AWS::Events::Rule').filter(
      ([, rule]) => rule.Properties?.ScheduleExpression !== undefined && JSON.stringify(rule.Properties.Targets).includes(reconcileId),
    );
    expect(scheduled).toHaveLength(1);
    expect(scheduled[0]![1].Properties!.ScheduleExpression).toBe('rate(5 minutes)');
    expect(JSON.stringify(scheduled[0]![1].Properties!.Targets)).toContain(reconcileId);
    const roleId = (reconcile.Properties!.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!;
    const statements = resourcesOfType(json, 'AWS::IAM::Policy')
      .filter(([, policy]) => JSON.stringify(policy.Properties!.Roles).includes(roleId))
      .flatMap(([, policy]) => (policy.Properties!.PolicyDocument as { Statement: Array<{ Action: string | string[]; Resource: unknown }> }).Statement);
    const states = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('states:')));
    expect(states.map((s) => [[s.Action].flat(), render(s.Resource)])).toEqual([
      [['states:StartExecution'], `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:${STATE_MACHINE_NAME}`],
      [['states:DescribeExecution'], `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:execution:${STATE_MACHINE_NAME}:*`],
    ]);
  });
});

describe('the execution status rule', () => {
  it('forwards successes, failures, time-outs, aborts and redrives of this state machine to the status function, with retries and a DLQ', () => {
    const { json } = stage('dev');
    const [statusId] = resourceByPrefix(json, 'AWS::Lambda::Function', 'OrchestrationExecutionStatusFunction');

    const rules = resourcesOfType(json, 'AWS::Events::Rule').filter(([, rule]) => rule.Properties?.EventPattern !== undefined);

    expect(rules).toHaveLength(1);
    const props = rules[0]![1].Properties!;
    const pattern = props.EventPattern as { source: string[]; 'detail-type': string[]; detail: { stateMachineArn: unknown[]; status: string[] } };
    expect(pattern.source).toEqual(['aws.states']);
    expect(pattern['detail-type']).toEqual(['Step Functions Execution Status Change']);
    expect(pattern.detail.stateMachineArn.map(render)).toEqual([
      `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:${STATE_MACHINE_NAME}`,
    ]);
    expect(pattern.detail.status).toEqual(expect.arrayContaining(['FAILED', 'TIMED_OUT', 'ABORTED', 'RUNNING']));
    // SUCCEEDED starts a backfill's next date without waiting for the reconciler (issue 14 item 4).
    expect(pattern.detail.status).toContain('SUCCEEDED');
    const [target] = props.Targets as Array<{ Arn: unknown; DeadLetterConfig?: { Arn: unknown }; RetryPolicy?: { MaximumRetryAttempts: number } }>;
    expect(render(target!.Arn)).toBe(`\${${statusId}.Arn}`);
    expect(render(target!.DeadLetterConfig?.Arn)).toMatch(/^\$\{OrchestrationStatusEventDeadLetterQueue\w+\.Arn\}$/);
    expect(target!.RetryPolicy?.MaximumRetryAttempts).toBeGreaterThan(0);
  });
});

// ── API ───────────────────────────────────────────────────────────────────────────────────────

interface ApiMethod {
  path: string;
  httpMethod: string;
  props: Record<string, unknown>;
}

/** Every API Gateway method with the full path of its resource, rebuilt from ParentId links. */
function apiMethods(json: TemplateJson): ApiMethod[] {
  const resources = Object.fromEntries(resourcesOfType(json, 'AWS::ApiGateway::Resource').map(([id, r]) => [id, r.Properties!]));
  const pathOf = (reference: unknown): string => {
    const id = render(reference).slice(2, -1);
    const node = resources[id];
    return node ? `${pathOf(node.ParentId)}/${String(node.PathPart)}` : '';
  };
  return resourcesOfType(json, 'AWS::ApiGateway::Method').map(([, method]) => ({
    path: pathOf(method.Properties?.ResourceId),
    httpMethod: String(method.Properties?.HttpMethod),
    props: method.Properties!,
  }));
}

describe('the HTTP API', () => {
  it('requires IAM (SigV4) authorization and a request validator on every method', () => {
    const { json } = stage('dev');

    const methods = resourcesOfType(json, 'AWS::ApiGateway::Method');

    expect(methods.length).toBeGreaterThan(0);
    for (const [id, method] of methods) {
      expect(method.Properties?.AuthorizationType, id).toBe('AWS_IAM');
      expect(method.Properties?.RequestValidatorId, id).toBeDefined();
    }
  });

  it('has a method for every route of the route table, with its parameters and body schema validated', () => {
    const { json } = stage('dev');
    const [apiFunctionId] = resourceByPrefix(json, 'AWS::Lambda::Function', 'ApiApiFunction');
    const methods = apiMethods(json);
    const models = Object.fromEntries(resourcesOfType(json, 'AWS::ApiGateway::Model').map(([id, model]) => [id, model.Properties!]));

    for (const route of API_ROUTES) {
      const method = methods.find((candidate) => candidate.path === route.path && candidate.httpMethod === route.method);

      expect(method, `${route.method} ${route.path}`).toBeDefined();
      const props = method!.props;
      expect(props.OperationName).toBe(route.operationId);
      expect(render((props.Integration as { Uri: unknown }).Uri)).toContain(`\${${apiFunctionId}.Arn}`);
      expect(props.RequestParameters).toEqual(requestParameters(route));
      for (const name of route.path.match(/\{\w+\}/g) ?? []) {
        expect(props.RequestParameters, route.operationId).toHaveProperty([`method.request.path.${name.slice(1, -1)}`], true);
      }
      const requestModel = (props.RequestModels as Record<string, unknown> | undefined)?.['application/json'];
      if (route.body) {
        const model = models[render(requestModel).slice(2, -1)];
        expect(model?.Schema, route.operationId).toEqual(requestBodyJsonSchema(route.body));
      } else {
        expect(requestModel, route.operationId).toBeUndefined();
      }
    }
    const listRuns = methods.find((method) => method.path === ROUTES.listRuns.path && method.httpMethod === 'GET');
    // date= or from/to (API.md, Failures across dates and clients): none of them is required alone.
    expect(listRuns?.props.RequestParameters).toMatchObject({ 'method.request.querystring.date': false, 'method.request.querystring.from': false, 'method.request.querystring.status': false });
  });

  it('sends any other path under /v1 to the function, signed, so that it answers 404 in the error model', () => {
    const { json } = stage('dev');

    const others = apiMethods(json).filter((method) => !API_ROUTES.some((route) => route.path === method.path && route.method === method.httpMethod));

    expect(others.map((method) => `${method.httpMethod} ${method.path}`)).toEqual(['ANY /v1/{proxy+}']);
  });

  it('lets only this API invoke the function', () => {
    const { json } = stage('dev');
    const [apiFunctionId] = resourceByPrefix(json, 'AWS::Lambda::Function', 'ApiApiFunction');
    const [restApiId] = resourcesOfType(json, 'AWS::ApiGateway::RestApi')[0]!;

    const permissions = resourcesOfType(json, 'AWS::Lambda::Permission').filter(([, p]) => render(p.Properties?.FunctionName) === `\${${apiFunctionId}.Arn}`);

    expect(permissions.map(([, p]) => render(p.Properties?.SourceArn))).toEqual([
      `arn:\${AWS::Partition}:execute-api:\${AWS::Region}:\${AWS::AccountId}:\${${restApiId}}/*/*/*`,
    ]);
  });

  it.each(['dev', 'prod'] as const)('throttles, traces and writes JSON access logs at the stage (%s)', (name) => {
    const { json } = stage(name);

    const [, apiStage] = resourcesOfType(json, 'AWS::ApiGateway::Stage')[0]!;

    const props = apiStage.Properties!;
    expect(props.StageName).toBe(name);
    expect(props.TracingEnabled).toBe(true);
    const access = props.AccessLogSetting as { DestinationArn: unknown; Format: string };
    expect(render(access.DestinationArn)).toMatch(/:log-group:\$\{ApiAccessLogs\w+\}$/);
    expect(JSON.parse(access.Format)).toMatchObject({ requestId: '$context.requestId', status: '$context.status', userArn: '$context.identity.userArn' });
    expect(props.MethodSettings).toEqual([
      expect.objectContaining({
        HttpMethod: '*',
        ResourcePath: '/*',
        ThrottlingRateLimit: STAGES[name].apiThrottle.rateLimit,
        ThrottlingBurstLimit: STAGES[name].apiThrottle.burstLimit,
        DataTraceEnabled: false,
        LoggingLevel: 'ERROR',
      }),
    ]);
  });

  it('has the account-level CloudWatch role that execution logging needs', () => {
    const { json } = stage('dev');

    const accounts = resourcesOfType(json, 'AWS::ApiGateway::Account');

    expect(accounts).toHaveLength(1);
    expect(render(accounts[0]![1].Properties?.CloudWatchRoleArn)).toMatch(/^\$\{ApiRestApiCloudWatchRole\w+\.Arn\}$/);
  });

  it('answers gateway errors in the product error model', () => {
    const { json } = stage('dev');

    const responses = resourcesOfType(json, 'AWS::ApiGateway::GatewayResponse').map(([, r]) => r.Properties!);

    const byType = Object.fromEntries(responses.map((r) => [r.ResponseType, r]));
    expect(byType.MISSING_AUTHENTICATION_TOKEN?.StatusCode).toBe('401');
    expect(byType.ACCESS_DENIED?.StatusCode).toBe('403');
    expect(byType.THROTTLED?.StatusCode).toBe('429');
    for (const response of responses) {
      const template = (response.ResponseTemplates as Record<string, string>)['application/json']!;
      expect(template).toMatch(/^\{"error":\{"code":"[A-Z_]+","message":\$context\.error\.messageString,"details":\[\]\}\}$/);
    }
  });
});

describe('the API function', () => {
  it('may start executions of the state machine and stop or describe only its executions', () => {
    const { json } = stage('dev');
    const [, apiFunction] = resourceByPrefix(json, 'AWS::Lambda::Function', 'ApiApiFunction');

    const statements = roleStatements(json, roleOf(apiFunction)).filter((statement) => asArray(statement.Action).some((action) => action.startsWith('states:')));

    const byAction = Object.fromEntries(statements.flatMap((statement) => asArray(statement.Action).map((action) => [action, asArray(statement.Resource).map(render)])));
    const arn = (part: string): string => `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:${part}`;
    expect(byAction).toEqual({
      'states:StartExecution': [arn('stateMachine:JobScheduleManager-dev-ScheduleRun')],
      'states:StopExecution': [arn('execution:JobScheduleManager-dev-ScheduleRun:*')],
      'states:DescribeExecution': [arn('execution:JobScheduleManager-dev-ScheduleRun:*')],
    });
    const variables = (apiFunction.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(render(variables.STATE_MACHINE_ARN)).toBe(arn('stateMachine:JobScheduleManager-dev-ScheduleRun'));
  });
});

// ── Scheduling: EventBridge Scheduler triggers ────────────────────────────────────────────────

const ARMING_FUNCTIONS = ['ApiApiFunction', 'OrchestrationBeginRunFunction', 'OrchestrationReconcileFunction'];

function schedulerRole(json: TemplateJson): [string, CfnResourceJson] {
  return resourceByPrefix(json, 'AWS::IAM::Role', 'SchedulingSchedulerRole');
}

describe('scheduling', () => {
  it.each(['dev', 'prod'] as const)('has one schedule group per stage (%s)', (name) => {
    const { json } = stage(name);

    const groups = resourcesOfType(json, 'AWS::Scheduler::ScheduleGroup');

    expect(groups.map(([, group]) => group.Properties?.Name)).toEqual([`job-schedule-manager-${name}`]);
  });

  it('runs its triggers as a role that EventBridge Scheduler of this account assumes and that may only start this state machine and dead-letter', () => {
    const { json } = stage('dev');
    const [roleId, role] = schedulerRole(json);
    const [dlqId] = resourceByPrefix(json, 'AWS::SQS::Queue', 'SchedulingDeadLetterQueue');

    const statements = roleStatements(json, roleId);

    const trust = (role.Properties?.AssumeRolePolicyDocument as { Statement: Array<Record<string, unknown>> }).Statement;
    expect(trust).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'scheduler.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } },
    ]);
    expect(statements.map((statement) => [statement.Effect, asArray(statement.Action), asArray(statement.Resource).map(render)])).toEqual([
      ['Allow', ['states:StartExecution'], [`arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:${STATE_MACHINE_NAME}`]],
      ['Allow', ['sqs:SendMessage'], [`\${${dlqId}.Arn}`]],
    ]);
  });

  it('has an encrypted, TLS-only dead-letter queue for fires that could not start a run, alarmed into the topic', () => {
    const { json } = stage('dev');
    const [dlqId, dlq] = resourceByPrefix(json, 'AWS::SQS::Queue', 'SchedulingDeadLetterQueue');

    const policies = resourcesOfType(json, 'AWS::SQS::QueuePolicy').filter(([, policy]) =>
      asArray(policy.Properties?.Queues as unknown[]).map(render).includes(`\${${dlqId}}`),
    );

    expect(dlq.Properties?.SqsManagedSseEnabled).toBe(true);
    expect(JSON.stringify(policies.map(([, policy]) => policy.Properties?.PolicyDocument))).toContain('{"Bool":{"aws:SecureTransport":"false"}}');
    const alarm = alarms(json).find((candidate) => dimension(candidate, 'QueueName') === `\${${dlqId}.QueueName}`);
    expect(alarm?.AlarmActions.map(render)).toEqual([`\${${topicId(json)}}`]);
  });

  it('lets the API, BeginRun and the reconciler arm triggers in the stage group only, passing the scheduler role and no other', () => {
    const { json } = stage('dev');
    const [roleId] = schedulerRole(json);
    const [dlqId] = resourceByPrefix(json, 'AWS::SQS::Queue', 'SchedulingDeadLetterQueue');
    const schedules = `arn:\${AWS::Partition}:scheduler:\${AWS::Region}:\${AWS::AccountId}:schedule/job-schedule-manager-dev/*`;

    for (const prefix of ARMING_FUNCTIONS) {
      const [, fn] = resourceByPrefix(json, 'AWS::Lambda::Function', prefix);
      const statements = roleStatements(json, roleOf(fn));
      const scheduler = statements.filter((statement) => asArray(statement.Action).some((action) => action.startsWith('scheduler:')));
      const passRole = statements.filter((statement) => asArray(statement.Action).includes('iam:PassRole'));

      expect(scheduler.map((statement) => [new Set(asArray(statement.Action)), asArray(statement.Resource).map(render)]), prefix).toEqual([
        [new Set(['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule', 'scheduler:GetSchedule']), [schedules]],
      ]);
      expect(passRole.map((statement) => [asArray(statement.Resource).map(render), statement.Condition]), prefix).toEqual([
        [[`\${${roleId}.Arn}`], { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } }],
      ]);
      const variables = (fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(variables.SCHEDULE_GROUP_NAME, prefix).toBe('job-schedule-manager-dev');
      expect(render(variables.SCHEDULER_ROLE_ARN), prefix).toBe(`\${${roleId}.Arn}`);
      expect(render(variables.SCHEDULER_DLQ_ARN), prefix).toBe(`\${${dlqId}.Arn}`);
      expect(render(variables.STATE_MACHINE_ARN), prefix).toBe(`arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:${STATE_MACHINE_NAME}`);
    }
    const others = resourcesOfType(json, 'AWS::Lambda::Function').filter(([id]) => !ARMING_FUNCTIONS.some((prefix) => id.startsWith(prefix)));
    for (const [id, fn] of others) {
      const actions = roleStatements(json, roleOf(fn)).flatMap((statement) => asArray(statement.Action));
      expect(actions.filter((action) => action.startsWith('scheduler:') || action === 'iam:PassRole'), id).toEqual([]);
    }
  });
});

// ── Monitoring ────────────────────────────────────────────────────────────────────────────────

interface AlarmProps {
  MetricName: string;
  Namespace: string;
  Dimensions?: Array<{ Name: string; Value: unknown }>;
  Threshold: number;
  ComparisonOperator: string;
  AlarmActions: unknown[];
}

function alarms(json: TemplateJson): AlarmProps[] {
  return resourcesOfType(json, 'AWS::CloudWatch::Alarm').map(([, alarm]) => alarm.Properties as unknown as AlarmProps);
}

function topicId(json: TemplateJson): string {
  return resourceByPrefix(json, 'AWS::SNS::Topic', 'MonitoringAlarmTopic')[0];
}

function dimension(alarm: AlarmProps, name: string): string | undefined {
  const found = alarm.Dimensions?.find((d) => d.Name === name);
  return found ? render(found.Value) : undefined;
}

describe('the alarms', () => {
  it('fire on any message in a dead-letter queue, into the alarm topic', () => {
    const { json } = stage('dev');
    const deadLetterQueues = resourcesOfType(json, 'AWS::SQS::Queue').filter(([id]) => id.includes('DeadLetterQueue'));

    const depthAlarms = alarms(json).filter((alarm) => alarm.MetricName === 'ApproximateNumberOfMessagesVisible');

    const owners = ['OrchestrationWorkDeadLetterQueue', 'OrchestrationStatusEventDeadLetterQueue', 'SchedulingDeadLetterQueue', 'NotificationsDeliveryDeadLetterQueue', 'NotificationsBusFeedDeadLetterQueue'];
    expect(deadLetterQueues.map(([id]) => owners.find((owner) => id.startsWith(owner)) ?? id).sort()).toEqual([...owners].sort());
    for (const [queueId] of deadLetterQueues) {
      const alarm = depthAlarms.find((candidate) => dimension(candidate, 'QueueName') === `\${${queueId}.QueueName}`);
      // Monitoring's alarms say "> 0", the notifications' ">= 1": either fires on the first message.
      expect([
        [0, 'GreaterThanThreshold'],
        [1, 'GreaterThanOrEqualToThreshold'],
      ], queueId).toContainEqual([alarm?.Threshold, alarm?.ComparisonOperator]);
      expect(alarm!.AlarmActions.map(render)).toEqual([`\${${topicId(json)}}`]);
    }
  });

  it('fire on failed, timed-out and aborted schedule runs', () => {
    const { json } = stage('dev');
    const [machineId] = resourceByPrefix(json, 'AWS::StepFunctions::StateMachine', 'OrchestrationScheduleRun');

    const runAlarms = alarms(json).filter((alarm) => alarm.Namespace === 'AWS/States');

    expect(runAlarms.map((alarm) => alarm.MetricName).sort()).toEqual(['ExecutionsAborted', 'ExecutionsFailed', 'ExecutionsTimedOut']);
    for (const alarm of runAlarms) {
      expect(dimension(alarm, 'StateMachineArn')).toBe(`\${${machineId}}`);
      expect(alarm).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
      expect(alarm.AlarmActions.map(render)).toEqual([`\${${topicId(json)}}`]);
    }
  });

  it('fire on errors of every function', () => {
    const { json } = stage('dev');

    const errorAlarms = alarms(json).filter((alarm) => alarm.Namespace === 'AWS/Lambda' && alarm.MetricName === 'Errors');

    const watched = errorAlarms.map((alarm) => dimension(alarm, 'FunctionName'));
    const functions = appFunctions(json).map(([id]) => `\${${id}}`);
    expect(watched.sort()).toEqual(functions.sort());
    for (const alarm of errorAlarms) expect(alarm.AlarmActions.map(render)).toEqual([`\${${topicId(json)}}`]);
  });

  it('fire on API 5xx responses', () => {
    const { json } = stage('dev');

    const serverErrors = alarms(json).filter((alarm) => alarm.Namespace === 'AWS/ApiGateway' && alarm.MetricName === '5XXError');

    expect(serverErrors).toHaveLength(1);
    expect(serverErrors[0]!.AlarmActions.map(render)).toEqual([`\${${topicId(json)}}`]);
  });
});

describe('the alarm topic', () => {
  function topic(json: TemplateJson): CfnResourceJson {
    return resourceByPrefix(json, 'AWS::SNS::Topic', 'MonitoringAlarmTopic')[1];
  }

  it('is encrypted with its own key and accepts only TLS publishers', () => {
    const { json } = stage('dev');
    const [keyId] = resourceByPrefix(json, 'AWS::KMS::Key', 'MonitoringAlarmTopicKey');

    const [, policy] = resourcesOfType(json, 'AWS::SNS::TopicPolicy')[0]!;

    expect(render(topic(json).Properties?.KmsMasterKeyId)).toBe(`\${${keyId}.Arn}`);
    const statements = (policy.Properties?.PolicyDocument as { Statement: Array<{ Effect: string; Condition?: unknown }> }).Statement;
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
  });

  it('subscribes the alarm address only when one is configured', () => {
    const without = stage('dev').json;

    const withEmail = synthStage('dev', { context: { alarmEmail: 'billing-ops@example.com' } }).json;

    expect(resourcesOfType(without, 'AWS::SNS::Subscription')).toHaveLength(0);
    const subscriptions = resourcesOfType(withEmail, 'AWS::SNS::Subscription').map(([, s]) => s.Properties);
    expect(subscriptions).toEqual([expect.objectContaining({ Protocol: 'email', Endpoint: 'billing-ops@example.com' })]);
  });
});

// ── The billing ledger and core billing ──────────────────────────────────────────────────────

describe('the billing ledger and core billing', () => {
  const functionsOf = (json: TemplateJson): Array<[string, CfnResourceJson]> =>
    resourcesOfType(json, 'AWS::Lambda::Function').filter(([id]) => id.startsWith('Orchestration') || id.startsWith('Api') || id.startsWith('Scheduling'));
  const actionsOn = (json: TemplateJson, fn: CfnResourceJson, resourceId: string): string[] =>
    roleStatements(json, roleOf(fn))
      .filter((statement) => asArray(statement.Resource).some((r) => render(r).includes(`\${${resourceId}`)))
      .flatMap((statement) => asArray(statement.Action));

  it('lets the worker and the API (the ledger routes) read and write the ledger, CollectWorkItems only read it, and no other function touch it', () => {
    const { json } = stage('dev');
    const [ledgerId] = resourceByPrefix(json, TABLE, 'StorageLedger');

    const access = Object.fromEntries(functionsOf(json).map(([id, fn]) => [id.replace(/Function[0-9A-F]{8}$/, ''), actionsOn(json, fn, ledgerId)]));

    const worker = Object.entries(access).find(([id]) => id.startsWith('OrchestrationWorker'))?.[1] ?? [];
    const collect = Object.entries(access).find(([id]) => id.startsWith('OrchestrationCollectWorkItems'))?.[1] ?? [];
    expect(worker).toEqual(expect.arrayContaining(['dynamodb:BatchWriteItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:BatchGetItem']));
    expect(collect).toEqual(expect.arrayContaining(['dynamodb:Query']));
    expect(collect.filter((action) => /Put|Write|Update|Delete/.test(action))).toEqual([]);
    const api = Object.entries(access).find(([id]) => id.startsWith('ApiApi'))?.[1] ?? [];
    expect(api).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:ConditionCheckItem', 'dynamodb:Query', 'dynamodb:BatchGetItem']));
    const others = Object.entries(access).filter(([id]) => !['OrchestrationWorker', 'OrchestrationCollectWorkItems', 'ApiApi'].some((prefix) => id.startsWith(prefix)));
    expect(others.filter(([, actions]) => actions.length > 0).map(([id]) => id)).toEqual([]);
  });

  it('gives only the worker the core billing endpoint of the stage and the right to read its secret', () => {
    for (const name of ['dev', 'prod'] as const) {
      const { json } = stage(name);
      const [secretId] = resourceByPrefix(json, 'AWS::SecretsManager::Secret', 'CoreBillingApiKey');

      const withSecret = functionsOf(json).filter(([, fn]) => actionsOn(json, fn, secretId).includes('secretsmanager:GetSecretValue'));
      const withEndpoint = functionsOf(json).filter(([, fn]) => (fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables.CORE_BILLING_URL);

      expect(withSecret.map(([id]) => id)).toEqual([expect.stringMatching(/^OrchestrationWorker/)]);
      expect(withEndpoint.map(([id]) => id)).toEqual([expect.stringMatching(/^OrchestrationWorker/)]);
      const variables = (withEndpoint[0]![1].Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(variables.CORE_BILLING_URL).toBe(STAGES[name].coreBilling.endpoint);
      expect(render(variables.CORE_BILLING_SECRET_ID)).toBe(`\${${secretId}}`);
    }
  });

  it('creates the secret with a generated placeholder, never a value from the repository, and keeps it in prod', () => {
    const dev = resourceByPrefix(stage('dev').json, 'AWS::SecretsManager::Secret', 'CoreBillingApiKey')[1];
    const prod = resourceByPrefix(stage('prod').json, 'AWS::SecretsManager::Secret', 'CoreBillingApiKey')[1];

    expect(dev.Properties?.SecretString).toBeUndefined();
    expect(dev.Properties?.GenerateSecretString).toMatchObject({ GenerateStringKey: 'apiKey' });
    expect(dev.Properties?.Name).toBe('job-schedule-manager/dev/core-billing');
    expect(dev.DeletionPolicy).toBe('Delete');
    expect(prod.DeletionPolicy).toBe('Retain');
  });
});

// ── cdk-nag ───────────────────────────────────────────────────────────────────────────────────

interface ValidationReport {
  pluginReports: Array<{ violations?: unknown[] }>;
}

describe.each(['dev', 'prod'] as const)('cdk-nag AwsSolutions (%s)', (name) => {
  it('finds nothing that is not acknowledged next to its resource', () => {
    // Synthesis throws on an unacknowledged error-level finding; warnings land in the report.
    const { assembly, stack } = stage(name);

    const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as ValidationReport;

    expect(report.pluginReports.flatMap((plugin) => plugin.violations ?? [])).toEqual([]);
    for (const scope of [stack, stack.node.scope!]) {
      expect(scope.node.metadata.filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY), scope.node.path || 'app').toEqual([]);
    }
  });
});

// ── Observability and each function's environment ─────────────────────────────────────────────

/** The environment schema each handler file reads at cold start (lambdas/composition/aws-context.ts). */
const HANDLER_ENVIRONMENTS = {
  'api-handler': ApiEnvironment,
  'begin-run-handler': BeginRunEnvironment,
  'begin-job-handler': JobStepEnvironment,
  'collect-work-items-handler': JobStepEnvironment,
  'finalize-job-handler': JobStepEnvironment,
  'complete-run-handler': JobStepEnvironment,
  'worker-handler': WorkerEnvironment,
  'execution-status-handler': ExecutionStatusEnvironment,
  'reconcile-handler': ReconcileEnvironment,
  'notification-dispatch-handler': NotificationDispatchEnvironment,
  'webhook-delivery-handler': WebhookDeliveryEnvironment,
} as const;

/** AppFunction describes each function's own role as `Runs <handler file>`. */
function handlerFileOf(json: TemplateJson, fn: CfnResourceJson): keyof typeof HANDLER_ENVIRONMENTS {
  return String(resource(json, roleOf(fn)).Properties?.Description).replace('Runs ', '') as keyof typeof HANDLER_ENVIRONMENTS;
}

describe.each(['dev', 'prod'] as const)('observability and environment of every function (%s)', (name) => {
  it('sets every variable its handler’s schema requires, so no cold start fails on a missing one', () => {
    const { json } = stage(name);

    const handlerFiles = appFunctions(json).map(([id, fn]) => {
      const handlerFile = handlerFileOf(json, fn);
      const variables = Object.keys((fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables);
      expect(variables, id).toEqual(expect.arrayContaining(Object.keys(HANDLER_ENVIRONMENTS[handlerFile].shape)));
      return handlerFile;
    });
    expect(handlerFiles.sort()).toEqual(Object.keys(HANDLER_ENVIRONMENTS).sort());
  });

  it('names the Powertools service and metrics namespace, and traces with X-Ray', () => {
    const { json } = stage(name);

    for (const [id, fn] of appFunctions(json)) {
      const variables = (fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(variables, id).toMatchObject({ POWERTOOLS_SERVICE_NAME: 'job-schedule-manager', POWERTOOLS_METRICS_NAMESPACE: 'JobScheduleManager' });
      expect(fn.Properties?.TracingConfig, id).toEqual({ Mode: 'Active' });
      expect(roleStatements(json, roleOf(fn)).flatMap((statement) => asArray(statement.Action)), id).toEqual(
        expect.arrayContaining(['xray:PutTraceSegments', 'xray:PutTelemetryRecords']),
      );
    }
  });

  it('gives only the worker core billing’s endpoint and secret', () => {
    const { json } = stage(name);

    for (const [id, fn] of appFunctions(json)) {
      const variables = (fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;
      expect('CORE_BILLING_SECRET_ID' in variables, id).toBe(handlerFileOf(json, fn) === 'worker-handler');
    }
  });
});

// ── IAM and deploy hygiene (issue 15 item 7) ─────────────────────────────────────────────────

describe('IAM and deploy hygiene', () => {
  const runsActionsOf = (json: TemplateJson, fn: CfnResourceJson, runsId: string): string[] =>
    roleStatements(json, roleOf(fn))
      .filter((statement) => asArray(statement.Resource).some((r) => render(r).includes(`\${${runsId}.Arn}`)))
      .flatMap((statement) => asArray(statement.Action));

  it('grants each function only the runs-table actions the adapters send: no Scan, no stream reads, DeleteItem to the API alone', () => {
    const { json } = stage('dev');
    const [runsId] = resourceByPrefix(json, TABLE, 'StorageRuns');
    const work = ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'];

    const granted = appFunctions(json).map(([id, fn]) => [id, [...new Set(runsActionsOf(json, fn, runsId))].sort()] as const);

    for (const [id, actions] of granted) {
      if (actions.length === 0) continue;
      expect(actions, id).toEqual(id.startsWith('ApiApiFunction') ? [...work, 'dynamodb:DeleteItem'].sort() : work);
    }
    expect(granted.filter(([, actions]) => actions.length > 0).length).toBeGreaterThanOrEqual(8);
  });

  it('grants the state machine role the logging and tracing actions AWS requires on "*" in policies of their own, outside its default policy', () => {
    const { json } = stage('dev');
    const roleId = roleOf(stateMachine(json)[1]);
    const policies = resourcesOfType(json, 'AWS::IAM::Policy').filter(([, policy]) =>
      asArray(policy.Properties?.Roles as unknown[]).some((role) => render(role) === `\${${roleId}}`),
    );
    const statementsOf = (policy: CfnResourceJson): ReturnType<typeof roleStatements> =>
      (policy.Properties?.PolicyDocument as { Statement: ReturnType<typeof roleStatements> }).Statement;
    const withStar = policies.filter(([, policy]) => statementsOf(policy).some((s) => asArray(s.Resource).map(render).includes('*')));

    expect(withStar.map(([id]) => id).sort()).toEqual([expect.stringMatching(/^OrchestrationScheduleRunLogDeliveryPolicy/), expect.stringMatching(/^OrchestrationScheduleRunTracingPolicy/)]);
    expect(new Set(withStar.flatMap(([, policy]) => actionsOf(statementsOf(policy))))).toEqual(RESOURCE_STAR_ACTIONS);
  });

  it('lets CloudWatch use the alarm topic key only for alarms of this account', () => {
    const { json } = stage('dev');
    const [, key] = resourceByPrefix(json, 'AWS::KMS::Key', 'MonitoringAlarmTopicKey');

    const statements = (key.Properties?.KeyPolicy as { Statement: Array<{ Principal?: { Service?: string }; Condition?: unknown }> }).Statement;

    const forCloudWatch = statements.filter((s) => s.Principal?.Service === 'cloudwatch.amazonaws.com');
    expect(forCloudWatch).toHaveLength(1);
    expect(forCloudWatch[0]!.Condition).toEqual({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } });
  });

  it.each(['dev', 'prod'] as const)('logs the state machine under /aws/vendedlogs/states/, in a group named for this instance of the stack (%s)', (name) => {
    const { json } = stage(name);
    const [, machine] = stateMachine(json);
    const destination = (machine.Properties?.LoggingConfiguration as { Destinations: Array<{ CloudWatchLogsLogGroup: { LogGroupArn: unknown } }> }).Destinations[0]!;
    const [groupId] = render(destination.CloudWatchLogsLogGroup.LogGroupArn).match(/\w+(?=\.Arn)/) ?? [];

    const group = json.Resources[groupId!]!;

    const groupName = JSON.stringify(group.Properties?.LogGroupName);
    expect(groupName).toContain(`/aws/vendedlogs/states/JobScheduleManager-${name}-ScheduleRun-`);
    // The stack id's GUID: a stack deleted and created again does not meet its retained group's name.
    expect(groupName).toContain('AWS::StackId');
  });

  it('in prod, gives retained resources no name a re-created stack would find taken', () => {
    const { json } = stage('prod');

    const retained = Object.entries(json.Resources).filter(([, resource]) => resource.DeletionPolicy === 'Retain');

    const nameProperties = ['TableName', 'LogGroupName', 'AliasName', 'QueueName', 'TopicName', 'Name'];
    // The core billing secret keeps its documented name on purpose: a re-created stack takes the
    // retained secret over with coreBilling.secretName (docs/deploy.md), the key inside unchanged.
    for (const [id, resource] of retained.filter(([id]) => !id.startsWith('CoreBillingApiKey'))) {
      for (const property of nameProperties) {
        const value = resource.Properties?.[property];
        if (value === undefined) continue;
        expect(JSON.stringify(value), `${id}.${property}`).toContain('AWS::StackId');
      }
    }
    for (const [id, alias] of resourcesOfType(json, 'AWS::KMS::Alias')) expect(alias.DeletionPolicy, id).toBeUndefined();
  });
});

describe('backfill (issue 14 item 4)', () => {
  it('lets the execution-status function start executions of this state machine only (a backfill’s next date), and names it', () => {
    const { json } = stage('dev');
    const [, status] = resourceByPrefix(json, 'AWS::Lambda::Function', 'OrchestrationExecutionStatusFunction');
    const stateMachine = `arn:\${AWS::Partition}:states:\${AWS::Region}:\${AWS::AccountId}:stateMachine:${STATE_MACHINE_NAME}`;

    const states = roleStatements(json, roleOf(status)).filter((s) => [s.Action].flat().some((a) => a.startsWith('states:')));
    const variables = (status.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;

    expect(states.map((s) => [[s.Action].flat(), render(s.Resource)])).toEqual([[['states:StartExecution'], stateMachine]]);
    expect(render(variables.STATE_MACHINE_ARN)).toBe(stateMachine);
  });
});

describe('the audit trail (issue 13 item 5)', () => {
  it('is its own encrypted table with point-in-time recovery, named to the API function only', () => {
    const { json } = stage('dev');
    const [tableId, table] = resourceByPrefix(json, 'AWS::DynamoDB::Table', 'StorageAudit');
    expect(table.Properties?.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect((table.Properties?.SSESpecification as { SSEEnabled?: boolean }).SSEEnabled).toBe(true);

    const withVariable = resourcesOfType(json, 'AWS::Lambda::Function').filter(([, fn]) => (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables?.AUDIT_TABLE_NAME !== undefined);
    expect(withVariable.map(([id]) => id.replace(/[A-F0-9]{8}$/, ''))).toEqual(['ApiApiFunction']);
    expect(render((withVariable[0]?.[1].Properties?.Environment as { Variables: Record<string, unknown> }).Variables.AUDIT_TABLE_NAME)).toBe(`\${${tableId}}`);
  });

  it('may be appended to and read, never updated or deleted, by any role of the stack', () => {
    const { json } = stage('dev');
    const [tableId] = resourceByPrefix(json, 'AWS::DynamoDB::Table', 'StorageAudit');
    const onAudit = resourcesOfType(json, 'AWS::IAM::Policy').flatMap(([, policy]) =>
      ((policy.Properties?.PolicyDocument as { Statement: Array<{ Action: string | string[]; Resource: unknown }> }).Statement ?? [])
        .filter((statement) => JSON.stringify(statement.Resource).includes(`"${tableId}"`))
        .map((statement) => ({ roles: policy.Properties?.Roles, actions: asArray(statement.Action) })),
    );
    expect(onAudit.flatMap((statement) => statement.actions).sort()).toEqual(['dynamodb:PutItem', 'dynamodb:Query']);
    const [, apiFunction] = resourceByPrefix(json, 'AWS::Lambda::Function', 'ApiApiFunction');
    expect(onAudit.every((statement) => JSON.stringify(statement.roles).includes(roleOf(apiFunction)))).toBe(true);
  });

  it('counts every change whose record was not written from the API function’s log, and alarms on one', () => {
    const { json } = stage('dev');
    const [logGroupId] = resourceByPrefix(json, 'AWS::Logs::LogGroup', 'ApiApiFunctionLogGroup');
    const filters = resourcesOfType(json, 'AWS::Logs::MetricFilter').map(([, filter]) => filter.Properties as { LogGroupName: unknown; FilterPattern: string; MetricTransformations: Array<{ MetricName: string; MetricNamespace: string }> });
    const filter = filters.find((candidate) => candidate.MetricTransformations[0]?.MetricName === 'AuditRecordsNotWritten');

    expect(render(filter?.LogGroupName)).toBe(`\${${logGroupId}}`);
    expect(filter?.FilterPattern).toBe(`{ $.message = "${AUDIT_WRITE_FAILED}" }`);
    const alarm = alarms(json).find((candidate) => candidate.MetricName === 'AuditRecordsNotWritten');
    expect(alarm).toMatchObject({ Namespace: filter?.MetricTransformations[0]?.MetricNamespace, Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
    expect(alarm?.AlarmActions.map(render)).toEqual([`\${${topicId(json)}}`]);
  });
});
