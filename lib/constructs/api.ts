import { Duration, Validations } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  AuthorizationType,
  CfnModel,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  Model,
  RequestValidator,
  ResponseType,
  RestApi,
  type IModel,
} from 'aws-cdk-lib/aws-apigateway';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENV } from '../../lambdas/composition/env-names';
import { z } from 'zod';
import { API_ROUTES, type ApiRoute } from '../../lambdas/api/route-table';
import { AppFunction, type SharedFunctionSettings } from '../app-function';
import type { StageConfig } from '../config/stage-config';
import { acknowledgeWildcardResource, nagResourceName } from '../nag';
import type { StateMachineArns } from './orchestration';
import type { Storage } from './storage';

export interface ApiProps {
  readonly config: StageConfig;
  readonly storage: Storage;
  readonly functionSettings: SharedFunctionSettings;
  /** The schedule-run state machine the API starts, stops and describes executions of. */
  readonly stateMachine: StateMachineArns;
}

/**
 * Gateway errors answered by API Gateway itself, in the product's error model
 * (`{ "error": { "code", "message", "details": [] } }`), so that a caller sees one shape from every route.
 */
const GATEWAY_ERRORS: ReadonlyArray<{ type: ResponseType; statusCode: string; code: string }> = [
  { type: ResponseType.MISSING_AUTHENTICATION_TOKEN, statusCode: '401', code: 'UNAUTHENTICATED' },
  { type: ResponseType.INVALID_SIGNATURE, statusCode: '401', code: 'UNAUTHENTICATED' },
  { type: ResponseType.EXPIRED_TOKEN, statusCode: '401', code: 'UNAUTHENTICATED' },
  { type: ResponseType.UNAUTHORIZED, statusCode: '401', code: 'UNAUTHENTICATED' },
  { type: ResponseType.ACCESS_DENIED, statusCode: '403', code: 'FORBIDDEN' },
  { type: ResponseType.BAD_REQUEST_PARAMETERS, statusCode: '400', code: 'VALIDATION_FAILED' },
  { type: ResponseType.BAD_REQUEST_BODY, statusCode: '400', code: 'VALIDATION_FAILED' },
  { type: ResponseType.REQUEST_TOO_LARGE, statusCode: '413', code: 'PAYLOAD_TOO_LARGE' },
  { type: ResponseType.UNSUPPORTED_MEDIA_TYPE, statusCode: '415', code: 'UNSUPPORTED_MEDIA_TYPE' },
  { type: ResponseType.THROTTLED, statusCode: '429', code: 'THROTTLED' },
  { type: ResponseType.QUOTA_EXCEEDED, statusCode: '429', code: 'THROTTLED' },
  { type: ResponseType.DEFAULT_5XX, statusCode: '500', code: 'INTERNAL' },
];

/**
 * The HTTP API (v1, REST API Gateway): one resource and method per route of the route table
 * (lambdas/api/route-table.ts), each with IAM (SigV4) authorization and request validation from
 * the route's own zod schemas, all integrated with the one API function, which validates again
 * with the same schemas and owns the error model. JSON access logs, tracing, stage throttling.
 */
export class Api extends Construct {
  readonly restApi: RestApi;
  readonly handler: AppFunction;

  private readonly integration: LambdaIntegration;
  private readonly validator: RequestValidator;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const { config, storage, functionSettings } = props;

    this.handler = new AppFunction(this, 'ApiFunction', {
      ...functionSettings,
      handlerFile: 'api-handler',
      description: 'HTTP API v1: clients, schedules, runs, reprocess and reset',
      // API Gateway gives up on an integration after 29 s.
      timeout: Duration.seconds(29),
      environment: { ...functionSettings.environment, [ENV.stateMachineArn]: props.stateMachine.stateMachine, [ENV.auditTable]: storage.auditTable.tableName },
    });
    storage.grantReadWriteAll(this.handler);
    storage.grantAuditAppend(this.handler);
    // The ledger routes: an operator's fixes and the queues they read.
    storage.grantLedgerReadWrite(this.handler);
    this.handler.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'StartScheduleRuns',
        actions: ['states:StartExecution'],
        resources: [props.stateMachine.stateMachine],
      }),
    );
    this.handler.role.addToPrincipalPolicy(
      new PolicyStatement({
        sid: 'ResetAndInspectScheduleRuns',
        actions: ['states:StopExecution', 'states:DescribeExecution'],
        resources: [props.stateMachine.executions],
      }),
    );
    acknowledgeWildcardResource(
      this.handler.role,
      nagResourceName(this, props.stateMachine.executions),
      'Execution names are chosen at run time (derived from client, schedule, date and attempt); the wildcard covers only executions of the schedule-run state machine.',
    );

    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: functionSettings.logRetention,
      removalPolicy: functionSettings.logRemovalPolicy,
    });

    this.restApi = new RestApi(this, 'RestApi', {
      restApiName: `job-schedule-manager-${config.stageName}`,
      description: 'Job Schedule Manager HTTP API (see shared API.md, v1)',
      endpointTypes: [EndpointType.REGIONAL],
      // Execution logs (AwsSolutions-APIG6) need the account-level API Gateway CloudWatch role.
      cloudWatchRole: true,
      deployOptions: {
        stageName: config.stageName,
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: MethodLoggingLevel.ERROR,
        // Request and response bodies carry billing data: never in the execution logs.
        dataTraceEnabled: false,
        throttlingRateLimit: config.apiThrottle.rateLimit,
        throttlingBurstLimit: config.apiThrottle.burstLimit,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.custom(
          JSON.stringify({
            requestId: AccessLogField.contextRequestId(),
            extendedRequestId: AccessLogField.contextExtendedRequestId(),
            requestTime: AccessLogField.contextRequestTime(),
            httpMethod: AccessLogField.contextHttpMethod(),
            resourcePath: AccessLogField.contextResourcePath(),
            path: AccessLogField.contextPath(),
            status: AccessLogField.contextStatus(),
            responseLength: AccessLogField.contextResponseLength(),
            responseLatency: AccessLogField.contextResponseLatency(),
            integrationStatus: AccessLogField.contextIntegrationStatus(),
            integrationLatency: AccessLogField.contextIntegrationLatency(),
            errorMessage: AccessLogField.contextErrorMessage(),
            sourceIp: AccessLogField.contextIdentitySourceIp(),
            userArn: AccessLogField.contextIdentityUserArn(),
            caller: AccessLogField.contextIdentityCaller(),
            userAgent: AccessLogField.contextIdentityUserAgent(),
          }),
        ),
      },
    });

    // One invoke permission for this API instead of two per method: the function's resource
    // policy has a size limit that sixteen methods would approach.
    this.integration = new LambdaIntegration(this.handler.function, { proxy: true, scopePermissionToMethod: false });
    this.validator = new RequestValidator(this, 'RequestValidator', {
      restApi: this.restApi,
      requestValidatorName: 'parameters-and-body',
      validateRequestParameters: true,
      validateRequestBody: true,
    });

    for (const error of GATEWAY_ERRORS) {
      this.restApi.addGatewayResponse(`${error.type.responseType}Response`, {
        type: error.type,
        statusCode: error.statusCode,
        templates: {
          'application/json': `{"error":{"code":"${error.code}","message":$context.error.messageString,"details":[]}}`,
        },
      });
    }

    this.addRoutes();

    const cloudWatchRole = this.restApi.node.findChild('CloudWatchRole');
    Validations.of(cloudWatchRole).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        "The account-level role API Gateway assumes to write execution and access logs; AWS's service-role policy is the documented one for it and is maintained by AWS as API Gateway's logging needs change.",
    });
    Validations.of(this.restApi).acknowledge(
      {
        id: 'AwsSolutions-COG4',
        reason: 'The API contract is IAM (SigV4) authorization: core billing calls with IAM credentials mapped to client ids, not Cognito users.',
      },
      {
        id: 'AwsSolutions-APIG3',
        reason:
          'Every method requires a SigV4 signature, so API Gateway rejects unsigned traffic before any integration runs, and stage throttling bounds signed traffic; a WAF web ACL adds cost without filtering anything those do not.',
      },
    );
  }

  private addRoutes(): void {
    for (const route of API_ROUTES) {
      this.restApi.root.resourceForPath(route.path).addMethod(route.method, this.integration, {
        operationName: route.operationId,
        authorizationType: AuthorizationType.IAM,
        requestValidator: this.validator,
        requestParameters: requestParameters(route),
        ...(route.body ? { requestModels: { 'application/json': this.bodyModel(route.operationId, route.body) } } : {}),
      });
    }
    // Any other path under /v1 still needs a signature and then reaches the function, whose
    // router answers 404 in the error model, instead of API Gateway's "Missing Authentication Token".
    this.restApi.root.resourceForPath('/v1').addResource('{proxy+}').addMethod('ANY', this.integration, {
      operationName: 'unknownRoute',
      authorizationType: AuthorizationType.IAM,
      requestValidator: this.validator,
      requestParameters: { 'method.request.path.proxy': true },
    });
  }

  /** The route's request body schema as an API Gateway model (JSON Schema draft 4). */
  private bodyModel(operationId: string, body: z.ZodType): IModel {
    const name = `${operationId.charAt(0).toUpperCase()}${operationId.slice(1)}Body`;
    const model = new CfnModel(this, `${name}Model`, {
      restApiId: this.restApi.restApiId,
      name,
      contentType: 'application/json',
      schema: requestBodyJsonSchema(body),
    });
    return Model.fromModelName(this, `${name}ModelRef`, model.ref);
  }
}

/**
 * A request body schema in the JSON Schema draft API Gateway validates with. Refinements that
 * JSON Schema cannot express are left to the function, which parses with the same zod schema.
 */
export function requestBodyJsonSchema(body: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(body, { target: 'draft-04', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}

/**
 * Path parameters are required by definition; a query parameter is required when its schema
 * does not accept absence. Headers stay with the function: a missing If-Match is a 428, not a 400.
 */
export function requestParameters(route: ApiRoute): Record<string, boolean> {
  const path = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => [`method.request.path.${match[1]}`, true] as const);
  const query = Object.entries(route.query?.shape ?? {}).map(
    ([name, schema]) => [`method.request.querystring.${name}`, !(schema as z.ZodType).safeParse(undefined).success] as const,
  );
  return Object.fromEntries([...path, ...query]);
}
