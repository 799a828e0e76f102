import { fileURLToPath } from 'node:url';
import { ArnFormat, Aws, Duration, Fn, Stack, Validations } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType, type CfnStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ENV } from '../../lambdas/composition/env-names';
import { AppFunction, type SharedFunctionSettings } from '../app-function';
import type { StageConfig } from '../config/stage-config';
import type { CoreBillingConnection } from './core-billing';
import { acknowledgeWildcardResource, grantOnAnyResource, nagResourceName } from '../nag';
import type { Storage } from './storage';

/**
 * The first group of the stack's id, a GUID CloudFormation assigns at creation: a name with it is
 * new for a stack deleted and created again, where a retained resource keeps the old one.
 */
export function stackInstanceId(): string {
  return Fn.select(0, Fn.split('-', Fn.select(2, Fn.split('/', Aws.STACK_ID))));
}

export const SCHEDULE_RUN_ASL = fileURLToPath(new URL('../../statemachines/schedule-run.asl.json', import.meta.url));

/**
 * A worker handles one batch (hundreds of items) per invocation. The batch's task timeout in the
 * ASL must outlast this, or Step Functions would send a batch again while its worker still runs.
 */
const WORKER_TIMEOUT = Duration.minutes(5);

/**
 * A message must not reappear while its worker still runs, and AWS recommends at least six times
 * the function timeout for an SQS event source so that throttled retries stay inside one
 * visibility window.
 */
const WORK_QUEUE_VISIBILITY_TIMEOUT = Duration.seconds(WORKER_TIMEOUT.toSeconds() * 6);

/** Deliveries of a batch message before it is parked in the dead-letter queue. */
const WORK_MAX_RECEIVE_COUNT = 5;

/** The Lambda tasks of the ASL: substitution name, handler file, and what each needs. */
const STEP_FUNCTIONS = [
  {
    id: 'BeginRun',
    substitution: 'BeginRunFunctionArn',
    handlerFile: 'begin-run-handler',
    description: 'Schedule run step BeginRun: claims or resumes the run',
    timeout: Duration.minutes(1),
  },
  {
    id: 'BeginJob',
    substitution: 'BeginJobFunctionArn',
    handlerFile: 'begin-job-handler',
    description: 'Schedule run step BeginJob: starts the next job or waits out an exception window',
    timeout: Duration.minutes(1),
  },
  {
    id: 'CollectWorkItems',
    substitution: 'CollectWorkItemsFunctionArn',
    handlerFile: 'collect-work-items-handler',
    description: "Schedule run step CollectWorkItems: persists a job's batches of work items once",
    // The ASL gives this task 900 s; the function's own timeout fires first with a clearer error.
    timeout: Duration.minutes(14),
  },
  {
    id: 'FinalizeJob',
    substitution: 'FinalizeJobFunctionArn',
    handlerFile: 'finalize-job-handler',
    description: "Schedule run step FinalizeJob: recomputes a job's statistics from stored outcomes",
    timeout: Duration.minutes(5),
  },
  {
    id: 'CompleteRun',
    substitution: 'CompleteRunFunctionArn',
    handlerFile: 'complete-run-handler',
    description: "Schedule run step CompleteRun: the run's last step",
    timeout: Duration.minutes(1),
  },
] as const;

/**
 * The ASL placeholder that names the work queue; together with the step functions' substitutions
 * these are all `${...}` placeholders in statemachines/schedule-run.asl.json.
 */
const WORK_QUEUE_SUBSTITUTION = 'WorkQueueUrl';

/**
 * Execution statuses the status rule forwards. A console redrive turns a FAILED, TIMED_OUT or
 * ABORTED execution back to RUNNING (the event's detail then carries redriveCount > 0); the
 * event detail mirrors DescribeExecution, whose status also includes PENDING_REDRIVE while a
 * redrive waits to start. SUCCEEDED starts a backfill's next date at once instead of at the
 * reconciler's next tick: one invocation per run, never per item.
 */
export const FORWARDED_EXECUTION_STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'] as const;

/** ARNs of the state machine and what it owns, built from its fixed name (no token, no cycle). */
export interface StateMachineArns {
  readonly stateMachine: string;
  /** Its executions: `execution:<name>:*`. */
  readonly executions: string;
  /** Child executions of its Distributed Map runs: `execution:<name>/<map label>:*`. */
  readonly mapRunExecutions: string;
  /** What the children of its Distributed Map runs execute: `stateMachine:<name>/<map label>`. */
  readonly mapRunStateMachines: string;
  /** Its Distributed Map runs: `mapRun:<name>/<map label>:*`. */
  readonly mapRuns: string;
}

export function stateMachineArns(scope: Construct, name: string): StateMachineArns {
  const stack = Stack.of(scope);
  const arn = (resource: string, resourceName: string): string =>
    stack.formatArn({ service: 'states', resource, resourceName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  return {
    stateMachine: arn('stateMachine', name),
    executions: arn('execution', `${name}:*`),
    mapRunExecutions: arn('execution', `${name}/*:*`),
    mapRunStateMachines: arn('stateMachine', `${name}/*`),
    mapRuns: arn('mapRun', `${name}/*:*`),
  };
}

export interface OrchestrationProps {
  readonly config: StageConfig;
  readonly storage: Storage;
  readonly functionSettings: SharedFunctionSettings;
  /** Where SYNC_TRANSACTIONS sends transactions: only the worker gets its endpoint and secret. */
  readonly coreBilling: CoreBillingConnection;
  /** Name of the state machine, fixed so that its role can name the state machine's own ARN. */
  readonly stateMachineName: string;
}

/**
 * The flow of a schedule run: the state machine loaded from the ASL file, its Lambda steps, the
 * work queue with its worker, and the rule that keeps a run's status true when an execution
 * fails, times out, is aborted or is redriven outside the product.
 */
export class Orchestration extends Construct {
  readonly stateMachine: StateMachine;
  readonly arns: StateMachineArns;
  readonly workQueue: Queue;
  readonly workDeadLetterQueue: Queue;
  readonly statusDeadLetterQueue: Queue;
  readonly stepFunctions: readonly AppFunction[];
  /** The BeginRun step: it re-arms a schedule's trigger after each scheduled fire. */
  readonly beginRunFunction: AppFunction;
  readonly worker: AppFunction;
  readonly statusFunction: AppFunction;
  readonly reconcileFunction: AppFunction;

  constructor(scope: Construct, id: string, props: OrchestrationProps) {
    super(scope, id);
    const { config, storage, functionSettings } = props;

    if (config.batchTimeout.toSeconds() <= WORK_QUEUE_VISIBILITY_TIMEOUT.toSeconds()) {
      // A lost worker's message must become visible again, and be retried, before the batch's
      // task times out and Step Functions sends a second message for the same batch.
      throw new Error(
        `batchTimeout (${config.batchTimeout.toSeconds()} s) must exceed the work queue visibility timeout (${WORK_QUEUE_VISIBILITY_TIMEOUT.toSeconds()} s)`,
      );
    }

    this.arns = stateMachineArns(this, props.stateMachineName);

    // SQS-managed encryption, not a KMS key: a message carries identifiers and a task token, no
    // billing data, and SSE-SQS spares a KMS call per batch and key grants for Step Functions.
    this.workDeadLetterQueue = new Queue(this, 'WorkDeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.workQueue = new Queue(this, 'WorkQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: WORK_QUEUE_VISIBILITY_TIMEOUT,
      deadLetterQueue: { queue: this.workDeadLetterQueue, maxReceiveCount: WORK_MAX_RECEIVE_COUNT },
    });

    const steps = STEP_FUNCTIONS.map((step) => {
      const fn = new AppFunction(this, `${step.id}Function`, {
        ...functionSettings,
        handlerFile: step.handlerFile,
        description: step.description,
        timeout: step.timeout,
        environment:
          step.id === 'BeginRun'
            ? {
                ...functionSettings.environment,
                [ENV.mapMaxConcurrency]: String(config.mapMaxConcurrency),
                [ENV.batchTimeoutSeconds]: String(config.batchTimeout.toSeconds()),
              }
            : functionSettings.environment,
      });
      storage.grantRunWork(fn);
      // The billing jobs collect their work items from the ledger's indexes.
      if (step.id === 'CollectWorkItems') storage.grantLedgerRead(fn);
      return { ...step, fn };
    });
    this.stepFunctions = steps.map((step) => step.fn);
    this.beginRunFunction = steps.find((step) => step.id === 'BeginRun')!.fn;

    const logGroup = new LogGroup(this, 'StateMachineLogGroup', {
      // Under /aws/vendedlogs/ CloudWatch Logs takes the delivery's resource policy without
      // growing the account's 5,120-character policy (AWS: "Logging using CloudWatch Logs" for
      // Step Functions). The stack's id keeps a retained group from blocking a re-created stack.
      logGroupName: `/aws/vendedlogs/states/${props.stateMachineName}-${stackInstanceId()}`,
      retention: functionSettings.logRetention,
      removalPolicy: functionSettings.logRemovalPolicy,
    });

    this.stateMachine = new StateMachine(this, 'ScheduleRun', {
      stateMachineName: props.stateMachineName,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromFile(SCHEDULE_RUN_ASL),
      definitionSubstitutions: {
        ...Object.fromEntries(steps.map((step) => [step.substitution, step.fn.function.functionArn])),
        [WORK_QUEUE_SUBSTITUTION]: this.workQueue.queueUrl,
      },
    });
    this.enableLoggingAndTracing(logGroup);
    this.grantDefinitionPermissions(steps.map((step) => step.fn));

    this.worker = new AppFunction(this, 'WorkerFunction', {
      ...functionSettings,
      handlerFile: 'worker-handler',
      description: 'Processes one batch of work items from the work queue and reports back with its task token',
      timeout: WORKER_TIMEOUT,
      memorySize: 1024,
      environment: { ...functionSettings.environment, ...props.coreBilling.environment },
    });
    storage.grantRunWork(this.worker);
    storage.grantLedgerReadWrite(this.worker);
    props.coreBilling.grantRead(this.worker);
    // The tokens the worker answers are minted in Distributed Map child executions, which run as
    // `stateMachine:<name>/<map label>`: the grant names those as well as the state machine.
    this.worker.function.addToRolePolicy(
      new PolicyStatement({
        sid: 'AnswerBatchTaskTokens',
        actions: ['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
        resources: [this.arns.stateMachine, this.arns.mapRunStateMachines],
      }),
    );
    acknowledgeWildcardResource(
      this.worker.role,
      nagResourceName(this, this.arns.mapRunStateMachines),
      'Map labels are fixed in the ASL, but the map-run children are named at run time; the wildcard covers only Distributed Map children of this state machine.',
    );
    this.worker.function.addEventSource(
      new SqsEventSource(this.workQueue, {
        // One message is already a batch of hundreds of work items.
        batchSize: 1,
        reportBatchItemFailures: true,
        maxConcurrency: config.workerMaxConcurrency,
      }),
    );

    this.statusFunction = new AppFunction(this, 'ExecutionStatusFunction', {
      ...functionSettings,
      handlerFile: 'execution-status-handler',
      description: "Keeps a run's status true when its execution fails, times out, is aborted or is redriven",
      timeout: Duration.minutes(1),
      environment: { ...functionSettings.environment, [ENV.stateMachineArn]: this.arns.stateMachine },
    });
    storage.grantRunWork(this.statusFunction);
    // A run's end starts its backfill's next date (services/backfill-service.ts).
    this.statusFunction.function.addToRolePolicy(new PolicyStatement({ sid: 'StartBackfillRuns', actions: ['states:StartExecution'], resources: [this.arns.stateMachine] }));

    this.statusDeadLetterQueue = new Queue(this, 'StatusEventDeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.statusDeadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue of the execution-status rule target; EventBridge, not a redrive policy, sends to it.',
    });

    new Rule(this, 'ExecutionStatusRule', {
      description: `Status changes of ${props.stateMachineName} executions that the run records and backfills must follow`,
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          stateMachineArn: [this.arns.stateMachine],
          status: [...FORWARDED_EXECUTION_STATUSES],
        },
      },
      targets: [
        new LambdaFunction(this.statusFunction.function, {
          deadLetterQueue: this.statusDeadLetterQueue,
          retryAttempts: 8,
          maxEventAge: Duration.hours(6),
        }),
      ],
    });

    this.reconcileFunction = this.createReconciler(functionSettings, storage);
  }

  /** All functions of the orchestration, for alarms. */
  get functions(): readonly AppFunction[] {
    return [...this.stepFunctions, this.worker, this.statusFunction, this.reconcileFunction];
  }

  /**
   * Status events are delivered on a best-effort basis, and an API call can die between claiming a
   * run and starting it: every few minutes, active runs are compared with their executions.
   */
  private createReconciler(functionSettings: SharedFunctionSettings, storage: Storage): AppFunction {
    const fn = new AppFunction(this, 'ReconcileFunction', {
      ...functionSettings,
      handlerFile: 'reconcile-handler',
      description: 'Settles runs whose execution ended without a status event, and starts executions a failed API call never started',
      timeout: Duration.minutes(5),
      environment: { ...functionSettings.environment, [ENV.stateMachineArn]: this.arns.stateMachine },
    });
    storage.grantRunWork(fn);
    fn.function.addToRolePolicy(new PolicyStatement({ sid: 'StartOrphanedRuns', actions: ['states:StartExecution'], resources: [this.arns.stateMachine] }));
    fn.function.addToRolePolicy(new PolicyStatement({ sid: 'DescribeRunExecutions', actions: ['states:DescribeExecution'], resources: [this.arns.executions] }));
    acknowledgeWildcardResource(
      fn.role,
      nagResourceName(this, this.arns.executions),
      'Execution names are chosen at run time (derived from client, schedule, date and attempt); the reconciler describes only executions of this state machine.',
    );
    new Rule(this, 'ReconcileSchedule', {
      description: 'Compares active runs with their executions',
      schedule: Schedule.rate(Duration.minutes(5)),
      targets: [new LambdaFunction(fn.function, { retryAttempts: 2 })],
    });
    return fn;
  }

  /**
   * CDK cannot see what an ASL file calls, so the role gets each permission by hand, scoped to
   * exactly the resources of this stack.
   */
  private grantDefinitionPermissions(stepFunctions: readonly AppFunction[]): void {
    const role = this.stateMachine.role;
    // A policy of their own, so that the acknowledgements of its wildcards cover it alone.
    const policy = new Policy(this, 'ScheduleRunDefinitionPolicy');
    policy.attachToRole(role);
    policy.addStatements(
      new PolicyStatement({
        sid: 'InvokeStepFunctions',
        actions: ['lambda:InvokeFunction'],
        resources: stepFunctions.map((fn) => fn.function.functionArn),
      }),
    );
    policy.addStatements(
      new PolicyStatement({
        sid: 'SendBatchesToWorkers',
        actions: ['sqs:SendMessage'],
        resources: [this.workQueue.queueArn],
      }),
    );
    // Distributed Map: the map run starts child executions of this very state machine and
    // describes and stops them (AWS docs, "IAM policies for using Distributed Map states").
    policy.addStatements(
      new PolicyStatement({
        sid: 'DistributedMapStartChildExecutions',
        actions: ['states:StartExecution'],
        resources: [this.arns.stateMachine],
      }),
    );
    policy.addStatements(
      new PolicyStatement({
        sid: 'DistributedMapManageChildExecutions',
        actions: ['states:DescribeExecution', 'states:StopExecution'],
        resources: [this.arns.executions],
      }),
    );
    // A redriven parent redrives its failed map run, which redrives the map run's failed
    // children (AWS docs, "Redriving Map Runs": execution:<name>/<map label>:*).
    policy.addStatements(
      new PolicyStatement({
        sid: 'DistributedMapRedrive',
        actions: ['states:RedriveExecution'],
        resources: [this.arns.mapRunExecutions, this.arns.mapRuns],
      }),
    );

    const wildcardReasons: Record<string, string> = {
      [this.arns.executions]: 'Execution names are chosen at run time (derived from client, schedule, date and attempt); the wildcard covers only executions of this state machine.',
      [this.arns.mapRunExecutions]:
        'Map run child executions are named by Step Functions at run time under this state machine and its Map label; the wildcard covers only those.',
      [this.arns.mapRuns]: 'Map run ids are generated by Step Functions at run time; the wildcard covers only map runs of this state machine.',
    };
    for (const [arn, reason] of Object.entries(wildcardReasons)) {
      acknowledgeWildcardResource(policy, nagResourceName(this, arn), reason);
    }
  }

  /**
   * Logging and tracing are set on the resource, not through `logs` and `tracingEnabled`: those
   * put their grants on "*" into the role's default policy. Here each is a policy of its own.
   */
  private enableLoggingAndTracing(logGroup: LogGroup): void {
    const machine = this.stateMachine.node.defaultChild as CfnStateMachine;
    machine.loggingConfiguration = {
      destinations: [{ cloudWatchLogsLogGroup: { logGroupArn: logGroup.logGroupArn } }],
      level: LogLevel.ALL,
      includeExecutionData: true,
    };
    machine.tracingConfiguration = { enabled: true };
    const role = this.stateMachine.role;
    const logDelivery = grantOnAnyResource(this, 'ScheduleRunLogDeliveryPolicy', {
      role,
      actions: [
        'logs:CreateLogDelivery',
        'logs:GetLogDelivery',
        'logs:UpdateLogDelivery',
        'logs:DeleteLogDelivery',
        'logs:ListLogDeliveries',
        'logs:PutResourcePolicy',
        'logs:DescribeResourcePolicies',
        'logs:DescribeLogGroups',
      ],
      reason:
        'Step Functions logging to CloudWatch Logs (vended log delivery): these actions have no resource-level permissions, so AWS requires Resource "*" (AWS docs, "IAM policies for logging to CloudWatch Logs").',
    });
    const tracing = grantOnAnyResource(this, 'ScheduleRunTracingPolicy', {
      role,
      actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'],
      reason: 'X-Ray tracing of the state machine: these actions have no resource-level permissions, so AWS requires Resource "*".',
    });
    // Step Functions checks the role's log delivery permissions when it creates the state machine.
    machine.node.addDependency(logDelivery, tracing);
  }
}
