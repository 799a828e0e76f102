import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal, type IGrantable, type IPrincipal, type Policy } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime, Tracing, type CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/composition/env-names';
import { grantOnAnyResource } from './nag';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
const HANDLERS_DIR = fileURLToPath(new URL('../lambdas/handlers/', import.meta.url));

/** The one runtime of every function: cdk-nag's AwsSolutions-L1 wants the latest Node.js. */
export const FUNCTION_RUNTIME = Runtime.NODEJS_24_X;

/** Powertools' service name: on every log line and trace, and a dimension of every metric. */
export const SERVICE_NAME = 'job-schedule-manager';
/** The CloudWatch namespace of the EMF metrics (items, batch duration, run outcomes per client). */
export const METRICS_NAMESPACE = 'JobScheduleManager';

/**
 * An ESM bundle still meets CommonJS dependencies that call `require` for Node built-ins; the
 * banner gives them one.
 */
const ESM_REQUIRE_SHIM = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

export interface AppFunctionProps {
  /** File name under lambdas/handlers/ without extension; the file exports `handler`. */
  readonly handlerFile: string;
  /** What the function is for, shown in the Lambda console. */
  readonly description: string;
  /** Environment variables on top of NODE_OPTIONS (which turns source maps on) and Powertools' service name and namespace. */
  readonly environment: Readonly<Record<string, string>>;
  /**
   * Invocation timeout.
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
  /**
   * Memory in MB; CPU scales with it.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Retention of the function's log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * What happens to the log group when the stack is deleted.
   * @default RemovalPolicy.DESTROY
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/** Settings every function of a stack shares: environment and log group lifecycle. */
export type SharedFunctionSettings = Pick<AppFunctionProps, 'environment' | 'logRetention' | 'logRemovalPolicy'>;

/**
 * Every Lambda of the product comes from here, so runtime, architecture, tracing, JSON logs, log
 * retention and source maps are decided once. The function gets its own role that can write to
 * its own log group and nothing else; callers grant the rest with the resources' grant helpers.
 */
export class AppFunction extends Construct implements IGrantable {
  readonly function: NodejsFunction;
  readonly logGroup: LogGroup;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: AppFunctionProps) {
    super(scope, id);

    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });

    // An own role instead of AWSLambdaBasicExecutionRole, whose log permissions cover every log group.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${props.handlerFile}`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: `${HANDLERS_DIR}${props.handlerFile}.ts`,
      handler: 'handler',
      description: props.description,
      runtime: FUNCTION_RUNTIME,
      architecture: Architecture.ARM_64,
      loggingFormat: LoggingFormat.JSON,
      logGroup: this.logGroup,
      role: this.role,
      timeout: props.timeout ?? Duration.seconds(30),
      memorySize: props.memorySize ?? 512,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      environment: {
        ...props.environment,
        NODE_OPTIONS: '--enable-source-maps',
        [ENV.serviceName]: SERVICE_NAME,
        [ENV.metricsNamespace]: METRICS_NAMESPACE,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_SHIM,
        minify: true,
        // Domain errors take their name from their class (new.target.name): keep class names.
        keepNames: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: false,
        tsconfig: `${PROJECT_ROOT}tsconfig.json`,
      },
    });

    // Active tracing is set on the resource, not through `tracing`: that would put X-Ray's grant on
    // "*" into the role's default policy, beside every scoped grant.
    (this.function.node.defaultChild as CfnFunction).tracingConfig = { mode: Tracing.ACTIVE };
    const tracingPolicy = this.grantOnAnyResource(
      'TracingPolicy',
      ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
      'X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords have no resource-level permissions, so AWS requires Resource "*".',
    );
    this.function.node.addDependency(tracingPolicy);
  }

  /**
   * Grants actions that AWS authorizes only on Resource "*", in a policy of this role's own that
   * carries the acknowledgement and its reason (see grantOnAnyResource in nag.ts).
   */
  grantOnAnyResource(id: string, actions: readonly string[], reason: string): Policy {
    return grantOnAnyResource(this, id, { role: this.role, actions, reason });
  }

  get grantPrincipal(): IPrincipal {
    return this.role;
  }
}
