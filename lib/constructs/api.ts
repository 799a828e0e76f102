import { Duration, Validations } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  AuthorizationType,
  EndpointType,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  RequestValidator,
  ResponseType,
  RestApi,
  type MethodOptions,
} from 'aws-cdk-lib/aws-apigateway';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { AppFunction } from '../app-function';
import type { StageConfig } from '../config/stage-config';
import { acknowledgeWildcardResource, nagResourceName } from '../nag';
import type { SharedFunctionSettings, StateMachineArns } from './orchestration';
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
 * (`{ "error": { "code", "message" } }`), so that a caller sees one shape from every route.
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
 * The HTTP API (v1, REST API Gateway): IAM (SigV4) authorization on every method, a Lambda proxy
 * behind `/v1` and `/v1/{proxy+}`, JSON access logs, tracing and stage throttling. Routing, body
 * validation and the error model live in the API function, one zod schema per route.
 */
export class Api extends Construct {
  readonly restApi: RestApi;
  readonly handler: AppFunction;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const { config, storage, functionSettings } = props;

    this.handler = new AppFunction(this, 'ApiFunction', {
      ...functionSettings,
      handlerFile: 'api-handler',
      description: 'HTTP API v1: clients, schedules, runs, reprocess and reset',
      // API Gateway gives up on an integration after 29 s.
      timeout: Duration.seconds(29),
      environment: { ...functionSettings.environment, STATE_MACHINE_ARN: props.stateMachine.stateMachine },
    });
    storage.grantReadWriteAll(this.handler);
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

    for (const error of GATEWAY_ERRORS) {
      this.restApi.addGatewayResponse(`${error.type.responseType}Response`, {
        type: error.type,
        statusCode: error.statusCode,
        templates: {
          'application/json': `{"error":{"code":"${error.code}","message":$context.error.messageString}}`,
        },
      });
    }

    // The proxy cannot know each route's schema; the validator still rejects a request without
    // the path parameters it declares as required, and the function validates bodies with zod.
    const validator = new RequestValidator(this, 'RequestValidator', {
      restApi: this.restApi,
      requestValidatorName: 'parameters-and-body',
      validateRequestParameters: true,
      validateRequestBody: true,
    });
    const integration = new LambdaIntegration(this.handler.function, { proxy: true });
    const methodOptions: MethodOptions = { authorizationType: AuthorizationType.IAM, requestValidator: validator };

    const v1 = this.restApi.root.addResource('v1');
    v1.addMethod('ANY', integration, methodOptions);
    v1.addResource('{proxy+}').addMethod('ANY', integration, {
      ...methodOptions,
      requestParameters: { 'method.request.path.proxy': true },
    });

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
}
