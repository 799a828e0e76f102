import { resolve } from 'node:path';
import { Aws, CfnOutput, Duration, Fn, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import type { ICertificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  OriginRequestPolicy,
  PriceClass,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { RestApiOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import {
  AccountRecovery,
  CfnUserPoolGroup,
  FeaturePlan,
  Mfa,
  OAuthScope,
  StandardThreatProtectionMode,
  UserPool,
  UserPoolClientIdentityProvider,
  type UserPoolClient,
  type UserPoolDomain,
} from 'aws-cdk-lib/aws-cognito';
import { IdentityPool, IdentityPoolProviderUrl, UserPoolAuthenticationProvider } from 'aws-cdk-lib/aws-cognito-identitypool';
import { FederatedPrincipal, PolicyStatement, Role, type IRole } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct, type IConstruct } from 'constructs';
import type { DataLifecycle } from '../config/stage-config';
import { acknowledgeWildcardResource, nagResourceName } from '../nag';

/** The console's static files: plain ES modules and CSS, deployed as they are (no build step). */
export const CONSOLE_DIR = resolve(import.meta.dirname, '..', '..', 'console');

export interface ConsoleProps {
  readonly stageName: string;
  /** The HTTP API the console calls, through the distribution's `/v1/*` behaviour. */
  readonly restApi: RestApi;
  /** Removal policy and deletion protection of the user pool and the site bucket. */
  readonly lifecycle: DataLifecycle;
  /** Retention of the deployment function's logs. */
  readonly logRetention: RetentionDays;
  /** How long CloudFront and S3 access logs are kept. @default Duration.days(90) */
  readonly accessLogRetention?: Duration;
  /**
   * Cognito user-pool groups of operators, each with its own IAM role (group name → description),
   * besides ROLE_GROUPS. A signed-in member gets the credentials of their group's role; DevOps
   * maps each role to the clients its members may see and their role there (README, "Deploying").
   * Members of no group get the identity pool's authenticated role.
   * @default none: only ROLE_GROUPS
   */
  readonly operatorGroups?: Readonly<Record<string, string>>;
  /**
   * The sign-in domain prefix (`<prefix>.auth.<region>.amazoncognito.com`), unique per region.
   * @default `job-schedule-manager-<stage>-<account id>`
   */
  readonly signInDomainPrefix?: string;
  /**
   * A custom domain with its ACM certificate (us-east-1), so viewers get TLS 1.2 at least.
   * @default the distribution's own *.cloudfront.net name
   */
  readonly customDomain?: { readonly domainName: string; readonly certificate: ICertificate };
  /** The console's static files. @default CONSOLE_DIR */
  readonly consoleDir?: string;
}

/**
 * The groups every console has, for the roles of API.md (group name → description). DevOps maps
 * each group's IAM role in the Config table with the role the name says (README, "Deploying"); a
 * client-scoped group of `operatorGroups` comes first, so its role wins for a member of both.
 */
export const ROLE_GROUPS: Readonly<Record<string, string>> = {
  operators: 'Operators: reprocess and reset runs and fix the ledger (map the group role with role operator)',
  'read-only': 'Read-only: see runs, work items and schedules, change nothing (map the group role with role viewer)',
};

/** What the deployed console reads at start-up (console/js/session.js, cognito.js). */
export interface ConsoleConfig {
  auth: { mode: 'cognito'; region: string; userPoolId: string; userPoolClientId: string; identityPoolId: string; domain: string };
  api: { host: string; pathPrefix: string; region: string };
}

/**
 * The operator console: static files in a private bucket behind CloudFront, the API on the same
 * distribution under `/v1/*` (same origin, no CORS), and Cognito sign-in whose identity pool hands
 * out roles that may only invoke this API. The console signs each request with them (SigV4); API
 * Gateway checks the signature and the API maps the role to the clients it may act for.
 */
export class Console extends Construct {
  readonly bucket: Bucket;
  readonly distribution: Distribution;
  readonly userPool: UserPool;
  readonly userPoolClient: UserPoolClient;
  readonly signInDomain: UserPoolDomain;
  readonly identityPool: IdentityPool;
  /** The role of operators in no group (the identity pool's authenticated role). */
  readonly operatorRole: IRole;
  /** The role of each group (ROLE_GROUPS and operatorGroups), by group name. */
  readonly groupRoles: Readonly<Record<string, Role>>;
  /** https://<distribution or custom domain> */
  readonly url: string;

  constructor(scope: Construct, id: string, props: ConsoleProps) {
    super(scope, id);
    const { restApi, lifecycle, stageName } = props;

    // ── Static files: private, encrypted, TLS-only, reachable only through CloudFront ──────
    const accessLogs = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      // CloudFront standard logging writes with an ACL of the log-delivery account.
      objectOwnership: ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ expiration: props.accessLogRetention ?? Duration.days(90) }],
      // Access logs are the audit trail of who used the console: they outlive the stack in every
      // stage (and a non-empty bucket would block deleting a dev stack); the lifecycle rule ends them.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.bucket = new Bucket(this, 'Site', {
      // SSE-S3: the files are the console's public code (no secrets), and OAC reads SSE-S3 objects without a key policy.
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 's3-site/',
      removalPolicy: lifecycle.removalPolicy,
    });

    // ── Sign-in: user pool (managed login, MFA) → identity pool → roles that may call the API ─
    this.userPool = new UserPool(this, 'Operators', {
      userPoolName: `job-schedule-manager-${stageName}-operators`,
      // Operators are invited by an administrator; nobody signs themselves up to a billing console.
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: { minLength: 12, requireLowercase: true, requireUppercase: true, requireDigits: true, requireSymbols: true, tempPasswordValidity: Duration.days(3) },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      // Plus: compromised-credential checks and adaptive authentication that blocks risky sign-ins.
      featurePlan: FeaturePlan.PLUS,
      standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION,
      removalPolicy: lifecycle.removalPolicy,
      deletionProtection: lifecycle.deletionProtection,
    });

    this.signInDomain = this.userPool.addDomain('SignIn', {
      cognitoDomain: { domainPrefix: props.signInDomainPrefix ?? Fn.join('-', ['job-schedule-manager', stageName, Aws.ACCOUNT_ID]) },
    });
    const signInUrl = this.signInDomain.baseUrl();

    const apiHost = `${restApi.restApiId}.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}`;
    const headers = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: `Job Schedule Manager console (${stageName}): CSP, HSTS and the usual hardening headers`,
      securityHeadersBehavior: {
        // The same policy as the local runtime's, plus the Cognito endpoints the sign-in talks to.
        contentSecurityPolicy: {
          contentSecurityPolicy: [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            `connect-src 'self' ${signInUrl} https://cognito-identity.${Aws.REGION}.${Aws.URL_SUFFIX}`,
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
          ].join('; '),
          override: true,
        },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
        xssProtection: { protection: false, override: true },
      },
      customHeadersBehavior: {
        customHeaders: [
          { header: 'Cross-Origin-Opener-Policy', value: 'same-origin', override: true },
          { header: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=(), payment=(), usb=()', override: true },
        ],
      },
    });

    this.distribution = new Distribution(this, 'Distribution', {
      comment: `Job Schedule Manager operator console (${stageName})`,
      defaultRootObject: 'index.html',
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
        compress: true,
      },
      additionalBehaviors: {
        // The API on the console's own origin: no CORS, and the CSP's connect-src stays 'self'.
        // CloudFront swaps the Host header for the API's and prepends the stage (RestApiOrigin's
        // origin path): the console signs for exactly that request (console/js/sigv4.js).
        '/v1/*': {
          origin: new RestApiOrigin(restApi),
          viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: AllowedMethods.ALLOW_ALL,
          cachePolicy: CachePolicy.CACHING_DISABLED,
          // Every viewer header (Authorization, X-Amz-Date, X-Amz-Security-Token) but Host.
          originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
          responseHeadersPolicy: headers,
        },
      },
      enableLogging: true,
      logBucket: accessLogs,
      logFilePrefix: 'cloudfront/',
      ...(props.customDomain
        ? { domainNames: [props.customDomain.domainName], certificate: props.customDomain.certificate, minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021 }
        : {}),
    });
    this.url = `https://${props.customDomain?.domainName ?? this.distribution.distributionDomainName}`;

    this.userPoolClient = this.userPool.addClient('Console', {
      userPoolClientName: 'operator-console',
      // A browser app cannot keep a secret: authorization code with PKCE instead.
      generateSecret: false,
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
        callbackUrls: [`${this.url}/`],
        logoutUrls: [`${this.url}/`],
      },
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      // An operator signs in again after a working day.
      refreshTokenValidity: Duration.hours(12),
    });

    this.identityPool = new IdentityPool(this, 'OperatorIdentities', {
      identityPoolName: `job-schedule-manager-${stageName}-operators`,
      allowUnauthenticatedIdentities: false,
      allowClassicFlow: false,
      authenticationProviders: { userPools: [new UserPoolAuthenticationProvider({ userPool: this.userPool, userPoolClient: this.userPoolClient })] },
      // The role comes from the ID token's cognito:preferred_role (the user's group); a user in no
      // group gets the authenticated role.
      roleMappings: [
        {
          mappingKey: 'operators',
          providerUrl: IdentityPoolProviderUrl.userPool(this.userPool, this.userPoolClient),
          useToken: true,
          resolveAmbiguousRoles: true,
        },
      ],
    });
    this.operatorRole = this.identityPool.authenticatedRole;

    const invokeApi = new PolicyStatement({
      sid: 'InvokeJobScheduleManagerApi',
      actions: ['execute-api:Invoke'],
      resources: [restApi.arnForExecuteApi('*', '/v1/*', restApi.deploymentStage.stageName)],
    });
    const roles: Record<string, Role> = {};
    this.operatorRole.addToPrincipalPolicy(invokeApi);
    this.acknowledgeInvokeWildcard(this.operatorRole, invokeApi);
    Object.entries({ ...props.operatorGroups, ...ROLE_GROUPS }).forEach(([groupName, description], precedence) => {
      const role = new Role(this, `${pascal(groupName)}GroupRole`, {
        description: `Members of group ${groupName}: may call the Job Schedule Manager API (${stageName}) for the clients, and with the role, this role is mapped to`,
        assumedBy: new FederatedPrincipal(
          'cognito-identity.amazonaws.com',
          {
            StringEquals: { 'cognito-identity.amazonaws.com:aud': this.identityPool.identityPoolId },
            'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' },
          },
          'sts:AssumeRoleWithWebIdentity',
        ),
      });
      role.addToPrincipalPolicy(invokeApi);
      this.acknowledgeInvokeWildcard(role, invokeApi);
      new CfnUserPoolGroup(this, `${pascal(groupName)}Group`, { userPoolId: this.userPool.userPoolId, groupName, description, roleArn: role.roleArn, precedence });
      roles[groupName] = role;
    });
    this.groupRoles = roles;

    // ── Deployment: the files, and config.json that switches the console to Cognito sign-in ──
    const config: ConsoleConfig = {
      auth: {
        mode: 'cognito',
        region: Aws.REGION,
        userPoolId: this.userPool.userPoolId,
        userPoolClientId: this.userPoolClient.userPoolClientId,
        identityPoolId: this.identityPool.identityPoolId,
        domain: signInUrl,
      },
      api: { host: apiHost, pathPrefix: `/${restApi.deploymentStage.stageName}`, region: Aws.REGION },
    };
    const deployment = new BucketDeployment(this, 'Deployment', {
      // The repository's config.json is the local runtime's (token sign-in): replaced here.
      sources: [Source.asset(props.consoleDir ?? CONSOLE_DIR, { exclude: ['config.json'] }), Source.jsonData('config.json', config)],
      destinationBucket: this.bucket,
      prune: true,
      // Browsers revalidate every file (a 304 when unchanged), so a deployment never leaves them
      // with a mix of old and new modules. CloudFront keeps a no-cache object for its cache
      // policy's minimum TTL (CachingOptimized: 1 s), so no invalidation is needed, and the
      // handler is given none: CDK would grant it on Resource "*" in the handler's role.
      cacheControl: [CacheControl.noCache()],
      memoryLimit: 256,
      logGroup: new LogGroup(this, 'DeploymentLogs', { retention: props.logRetention, removalPolicy: lifecycle.removalPolicy }),
    });
    this.acknowledgeDeploymentFunction(deployment);
    this.acknowledgeFindings(props);

    new CfnOutput(this, 'Url', { value: this.url, description: 'The operator console' });
    new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId, description: 'Invite operators here (aws cognito-idp admin-create-user)' });
    new CfnOutput(this, 'OperatorRoleArn', { value: this.operatorRole.roleArn, description: 'Role of operators in no group: map it to clients in the Config table (PRINCIPAL#<arn>)' });
    for (const [groupName, role] of Object.entries(roles)) {
      new CfnOutput(this, `${pascal(groupName)}GroupRoleArn`, { value: role.roleArn, description: `Role of group ${groupName}: map it to its clients and role in the Config table` });
    }
  }

  private acknowledgeInvokeWildcard(role: IConstruct, statement: PolicyStatement): void {
    acknowledgeWildcardResource(
      role,
      nagResourceName(this, statement.resources[0]!),
      'Every route of this API under /v1 on its own stage, any method: which clients the caller may act for is decided per request by the API (the role is mapped to client ids), not by the route.',
    );
  }

  /** The BucketDeployment's handler is a CDK-managed singleton function at the stack's root. */
  private acknowledgeDeploymentFunction(deployment: BucketDeployment): void {
    const handler = Stack.of(this).node.children.find((child) => child.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (!handler) throw new Error('BucketDeployment handler not found: the acknowledgements below need updating');
    Validations.of(handler).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'CDK’s BucketDeployment handler: its Python runtime is chosen and updated by aws-cdk-lib with its bundled AWS CLI layer, not by this project.',
    });
    Validations.of(deployment.handlerRole).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: 'CDK’s BucketDeployment handler writes its own logs; AWS’s basic execution policy is the documented one for that.',
      },
      {
        id: 'AwsSolutions-IAM5[Action::s3:GetObject*]',
        reason: 'Granted by BucketDeployment on the CDK asset bucket only, to read the console’s asset.',
      },
      { id: 'AwsSolutions-IAM5[Action::s3:GetBucket*]', reason: 'Granted by BucketDeployment on the asset and site buckets only.' },
      { id: 'AwsSolutions-IAM5[Action::s3:List*]', reason: 'Granted by BucketDeployment on the asset and site buckets only, to sync and prune.' },
      { id: 'AwsSolutions-IAM5[Action::s3:DeleteObject*]', reason: 'Granted by BucketDeployment on the site bucket only: prune removes files the console no longer has.' },
      { id: 'AwsSolutions-IAM5[Action::s3:Abort*]', reason: 'Granted by BucketDeployment on the site bucket only, for multipart uploads.' },
      {
        id: `AwsSolutions-IAM5[Resource::${nagResourceName(this, this.bucket.bucketArn)}/*]`,
        reason: 'BucketDeployment writes and prunes the console’s files: every object of the site bucket, and nothing else.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
        reason: 'BucketDeployment reads the console’s asset from the CDK bootstrap bucket; the object key is only known at deploy time.',
      },
    );
  }

  private acknowledgeFindings(props: ConsoleProps): void {
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason: 'Operators work from wherever the billing team is; sign-in with MFA and SigV4 on every API call protect the console, not the viewer’s country.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'The distribution serves static files that hold no data and an API on which API Gateway refuses every unsigned request before any code runs, with stage throttling; a WAF web ACL (in us-east-1, for CloudFront) would filter nothing those do not.',
      },
      ...(props.customDomain
        ? []
        : [
            {
              id: 'AwsSolutions-CFR4',
              reason:
                'Without a custom domain the distribution uses CloudFront’s default certificate, whose viewer policy CloudFront fixes; pass customDomain (with an ACM certificate) to get TLSv1.2_2021.',
            },
          ]),
    );
  }
}

/** "acme-operators" → "AcmeOperators", for construct ids. */
function pascal(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
