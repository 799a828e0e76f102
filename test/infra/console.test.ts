import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { MockIntegration, RestApi } from 'aws-cdk-lib/aws-apigateway';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { dataLifecycle } from '../../lib/config/stage-config';
import { Console } from '../../lib/constructs/console';
import { asArray, render, resource, resourceByPrefix, resourcesOfType, roleStatements, stage, type CfnResourceJson, type SynthesizedStage, type TemplateJson } from './support/synth';

/*
 * The operator console as deployed: private TLS-only bucket behind CloudFront with origin access
 * control and security headers, the API on the same origin, and a Cognito sign-in whose roles
 * may do nothing but invoke this API. cdk-nag for the whole stack runs in stack.test.ts.
 */

interface Statement {
  Effect: string;
  Action: string | string[];
  Principal?: unknown;
  Resource?: unknown;
  Condition?: unknown;
}

function policyOf(json: TemplateJson, type: string, bucketId: string): Statement[] {
  const [, policy] = resourcesOfType(json, type).find(([, candidate]) => render(candidate.Properties?.Bucket) === `\${${bucketId}}`)!;
  return (policy.Properties?.PolicyDocument as { Statement: Statement[] }).Statement;
}

function distributionConfig(json: TemplateJson): Record<string, any> {
  return resourceByPrefix(json, 'AWS::CloudFront::Distribution', 'ConsoleDistribution')[1].Properties?.DistributionConfig as Record<string, any>;
}

const API_INVOKE = 'arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${ApiRestApi';

describe('the console bucket', () => {
  it('is private, encrypted, logged and TLS-only, readable by this distribution alone', () => {
    const { json } = stage('dev');
    const [siteId, site] = resourceByPrefix(json, 'AWS::S3::Bucket', 'ConsoleSite');
    const [logsId] = resourceByPrefix(json, 'AWS::S3::Bucket', 'ConsoleAccessLogs');
    const [distributionId] = resourceByPrefix(json, 'AWS::CloudFront::Distribution', 'ConsoleDistribution');

    const statements = policyOf(json, 'AWS::S3::BucketPolicy', siteId);

    expect(site.Properties?.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
    expect(site.Properties?.BucketEncryption).toEqual({ ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] });
    expect(render((site.Properties?.LoggingConfiguration as { DestinationBucketName: unknown }).DestinationBucketName)).toBe(`\${${logsId}}`);
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    const allows = statements.filter((statement) => statement.Effect === 'Allow');
    expect(allows).toHaveLength(1);
    expect(allows[0]!.Principal).toEqual({ Service: 'cloudfront.amazonaws.com' });
    expect(allows[0]!.Action).toBe('s3:GetObject');
    expect(render((allows[0]!.Condition as { StringEquals: Record<string, unknown> }).StringEquals['AWS:SourceArn'])).toBe(
      `arn:\${AWS::Partition}:cloudfront::\${AWS::AccountId}:distribution/\${${distributionId}}`,
    );
  });

  it('is filled with the console’s files and a config.json that switches it to Cognito sign-in', () => {
    const synthesized = stage('dev');
    const [, deployment] = resourcesOfType(synthesized.json, 'Custom::CDKBucketDeployment')[0]!;
    const [siteId] = resourceByPrefix(synthesized.json, 'AWS::S3::Bucket', 'ConsoleSite');
    const props = deployment.Properties as {
      SourceObjectKeys: string[];
      SourceMarkers: Array<Record<string, unknown>>;
      DestinationBucketName: unknown;
      Prune: boolean;
      SystemMetadata: Record<string, string>;
    };

    const [files, configDir] = props.SourceObjectKeys.map((key) => assetDirectory(synthesized, key));
    const markers = props.SourceMarkers[1]!;
    const config = JSON.parse(
      readFileSync(join(configDir!, 'config.json'), 'utf8').replace(/<<marker:0xbaba:\d+>>/g, (marker) => render(markers[marker])),
    ) as Record<string, Record<string, string>>;

    expect(render(props.DestinationBucketName)).toBe(`\${${siteId}}`);
    expect(props.Prune).toBe(true);
    expect(props.SystemMetadata).toEqual({ 'cache-control': 'no-cache' });
    expect(readdirSync(files!)).toEqual(expect.arrayContaining(['index.html', 'styles.css', 'js']));
    expect(readdirSync(files!)).not.toContain('config.json');
    expect(config.auth).toEqual({
      mode: 'cognito',
      region: '${AWS::Region}',
      userPoolId: `\${${resourceByPrefix(synthesized.json, 'AWS::Cognito::UserPool', 'ConsoleOperators')[0]}}`,
      userPoolClientId: `\${${resourceByPrefix(synthesized.json, 'AWS::Cognito::UserPoolClient', 'ConsoleOperatorsConsole')[0]}}`,
      identityPoolId: `\${${resourceByPrefix(synthesized.json, 'AWS::Cognito::IdentityPool', 'ConsoleOperatorIdentities')[0]}}`,
      domain: `https://\${${resourceByPrefix(synthesized.json, 'AWS::Cognito::UserPoolDomain', 'ConsoleOperatorsSignIn')[0]}}.auth.\${AWS::Region}.amazoncognito.com`,
    });
    expect(config.api!.host).toMatch(/^\$\{ApiRestApi\w+\}\.execute-api\.\$\{AWS::Region\}\.\$\{AWS::URLSuffix\}$/);
    expect(config.api!.pathPrefix).toMatch(/^\/\$\{ApiRestApiDeploymentStagedev\w+\}$/);
  });
});

/** The staged directory of a zip asset, by its object key. */
function assetDirectory(synthesized: SynthesizedStage, objectKey: string): string {
  const artifact = synthesized.assembly.getStackArtifact(synthesized.stack.artifactId);
  const manifest = JSON.parse(readFileSync(join(synthesized.assembly.directory, `${artifact.stackName}.assets.json`), 'utf8')) as {
    files: Record<string, { source: { path: string }; destinations: Record<string, { objectKey: string }> }>;
  };
  const file = Object.values(manifest.files).find((entry) => Object.values(entry.destinations).some((d) => d.objectKey === objectKey));
  const directory = join(synthesized.assembly.directory, file!.source.path);
  if (!existsSync(directory)) throw new Error(`asset ${objectKey} is not staged`);
  return directory;
}

describe('the console distribution', () => {
  it('serves the bucket through origin access control over HTTPS, with index.html at the root and access logs', () => {
    const { json } = stage('dev');
    const config = distributionConfig(json);
    const [logsId] = resourceByPrefix(json, 'AWS::S3::Bucket', 'ConsoleAccessLogs');

    const s3Origin = config.Origins.find((origin: any) => origin.S3OriginConfig);

    expect(s3Origin.OriginAccessControlId).toBeDefined();
    expect(s3Origin.S3OriginConfig).toEqual({ OriginAccessIdentity: '' });
    expect(config.DefaultCacheBehavior.TargetOriginId).toBe(s3Origin.Id);
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(config.DefaultCacheBehavior.AllowedMethods).toEqual(['GET', 'HEAD']);
    expect(config.DefaultRootObject).toBe('index.html');
    expect(render(config.Logging.Bucket)).toBe(`\${${logsId}.RegionalDomainName}`);
    const [, oac] = resourcesOfType(json, 'AWS::CloudFront::OriginAccessControl')[0]!;
    expect(oac.Properties?.OriginAccessControlConfig).toMatchObject({ OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' });
  });

  it('puts the API on the same origin under /v1/*: HTTPS only, never cached, every viewer header but Host forwarded', () => {
    const { json } = stage('dev');
    const config = distributionConfig(json);

    const [api] = config.CacheBehaviors;
    const apiOrigin = config.Origins.find((origin: any) => origin.Id === api.TargetOriginId);

    expect(config.CacheBehaviors).toHaveLength(1);
    expect(api.PathPattern).toBe('/v1/*');
    expect(api.ViewerProtocolPolicy).toBe('https-only');
    expect(api.CachePolicyId).toBe('4135ea2d-6df8-44a3-9df3-4b5a84be39ad'); // Managed-CachingDisabled
    expect(api.OriginRequestPolicyId).toBe('b689b0a8-53d0-40ab-baf2-68738e2966ac'); // Managed-AllViewerExceptHostHeader
    expect(apiOrigin.CustomOriginConfig).toEqual({ OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] });
    expect(JSON.stringify(apiOrigin.DomainName)).toContain('ApiRestApi');
    expect(JSON.stringify(apiOrigin.OriginPath)).toContain('ApiRestApiDeploymentStagedev');
  });

  it('sends a strict CSP (same-origin scripts only), HSTS and the hardening headers on every response', () => {
    const { json } = stage('dev');
    const config = distributionConfig(json);
    const [policyId, policy] = resourceByPrefix(json, 'AWS::CloudFront::ResponseHeadersPolicy', 'ConsoleSecurityHeaders');
    const security = (policy.Properties?.ResponseHeadersPolicyConfig as { SecurityHeadersConfig: Record<string, any> }).SecurityHeadersConfig;

    const csp = render(security.ContentSecurityPolicy.ContentSecurityPolicy).split('; ');

    for (const behavior of [config.DefaultCacheBehavior, ...config.CacheBehaviors]) expect(render(behavior.ResponseHeadersPolicyId)).toBe(`\${${policyId}}`);
    expect(csp).toEqual(expect.arrayContaining(["default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'none'"]));
    expect(csp.find((directive) => directive.startsWith('connect-src'))).toMatch(
      /^connect-src 'self' https:\/\/\$\{ConsoleOperatorsSignIn\w+\}\.auth\.\$\{AWS::Region\}\.amazoncognito\.com https:\/\/cognito-identity\.\$\{AWS::Region\}\.\$\{AWS::URLSuffix\}$/,
    );
    expect(security.ContentSecurityPolicy.Override).toBe(true);
    expect(security.StrictTransportSecurity.AccessControlMaxAgeSec).toBeGreaterThanOrEqual(31_536_000);
    expect(security.ContentTypeOptions).toEqual({ Override: true });
    expect(security.FrameOptions).toEqual({ FrameOption: 'DENY', Override: true });
    expect(security.ReferrerPolicy).toEqual({ ReferrerPolicy: 'no-referrer', Override: true });
  });
});

describe('the console sign-in', () => {
  it('is a user pool of invited operators with MFA, a strong password policy and threat protection', () => {
    const { json } = stage('prod');

    const [, pool] = resourceByPrefix(json, 'AWS::Cognito::UserPool', 'ConsoleOperators');

    expect(pool.Properties).toMatchObject({
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
      Policies: { PasswordPolicy: { MinimumLength: 12, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true } },
      DeletionProtection: 'ACTIVE',
    });
    expect(pool.DeletionPolicy).toBe('Retain');
  });

  it('lets the console sign in with the authorization code flow (PKCE, no secret) back to the distribution only', () => {
    const { json } = stage('dev');
    const [distributionId] = resourceByPrefix(json, 'AWS::CloudFront::Distribution', 'ConsoleDistribution');

    const [, client] = resourceByPrefix(json, 'AWS::Cognito::UserPoolClient', 'ConsoleOperatorsConsole');

    expect(client.Properties).toMatchObject({ GenerateSecret: false, AllowedOAuthFlows: ['code'], AllowedOAuthScopes: ['openid', 'email', 'profile'], SupportedIdentityProviders: ['COGNITO'] });
    expect((client.Properties?.CallbackURLs as unknown[]).map(render)).toEqual([`https://\${${distributionId}.DomainName}/`]);
    expect((client.Properties?.LogoutURLs as unknown[]).map(render)).toEqual([`https://\${${distributionId}.DomainName}/`]);
  });

  it('trades only authenticated user-pool sign-ins for credentials, with the role from the user’s group', () => {
    const { json } = stage('dev');
    const [identityPoolId, identityPool] = resourceByPrefix(json, 'AWS::Cognito::IdentityPool', 'ConsoleOperatorIdentities');
    const [, attachment] = resourcesOfType(json, 'AWS::Cognito::IdentityPoolRoleAttachment')[0]!;

    const mappings = Object.values(attachment.Properties?.RoleMappings as Record<string, { Type: string; AmbiguousRoleResolution: string }>);

    expect(identityPool.Properties).toMatchObject({ AllowUnauthenticatedIdentities: false, AllowClassicFlow: false });
    expect(render(attachment.Properties?.IdentityPoolId)).toBe(`\${${identityPoolId}}`);
    expect(mappings).toEqual([expect.objectContaining({ Type: 'Token', AmbiguousRoleResolution: 'AuthenticatedRole' })]);
  });

  it('gives signed-in operators a role that may invoke this API’s /v1 routes and nothing else', () => {
    const { json } = stage('dev');
    const [identityPoolId] = resourceByPrefix(json, 'AWS::Cognito::IdentityPool', 'ConsoleOperatorIdentities');
    const [roleId, role] = resourceByPrefix(json, 'AWS::IAM::Role', 'ConsoleOperatorIdentitiesAuthenticatedRole');
    const [unauthenticatedId] = resourceByPrefix(json, 'AWS::IAM::Role', 'ConsoleOperatorIdentitiesUnauthenticatedRole');

    const statements = roleStatements(json, roleId);

    expect(statements).toHaveLength(1);
    expect(statements[0]!.Action).toBe('execute-api:Invoke');
    expect(asArray(statements[0]!.Resource).map(render)).toEqual([expect.stringMatching(/^arn:\$\{AWS::Partition\}:execute-api:\$\{AWS::Region\}:\$\{AWS::AccountId\}:\$\{ApiRestApi\w+\}\/\$\{ApiRestApiDeploymentStagedev\w+\}\/\*\/v1\/\*$/)]);
    expect(render(asArray(statements[0]!.Resource)[0])).toContain(API_INVOKE);
    expectIdentityPoolTrust(role, identityPoolId);
    expect(roleStatements(json, unauthenticatedId)).toEqual([]);
    expect(resource(json, unauthenticatedId).Properties?.ManagedPolicyArns).toBeUndefined();
  });

  it('has an operators group and a read-only group, each with a role of its own and a stack output to map it with its API role', () => {
    const { json, template } = stage('dev');

    const groups = resourcesOfType(json, 'AWS::Cognito::UserPoolGroup').map(([, group]) => group.Properties!);
    const outputs = Object.entries(template.findOutputs('*')).filter(([name]) => /GroupRoleArn/.test(name));

    expect(groups.map((group) => group.GroupName)).toEqual(['operators', 'read-only']);
    expect(groups.map((group) => group.Description)).toEqual([expect.stringContaining('role operator'), expect.stringContaining('role viewer')]);
    expect(new Set(groups.map((group) => render(group.RoleArn))).size).toBe(2);
    expect(outputs.map(([name]) => name)).toEqual([expect.stringMatching(/^ConsoleOperatorsGroupRoleArn/), expect.stringMatching(/^ConsoleReadOnlyGroupRoleArn/)]);
  });
});

function expectIdentityPoolTrust(role: CfnResourceJson, identityPoolId: string): void {
  const [trust] = (role.Properties?.AssumeRolePolicyDocument as { Statement: Statement[] }).Statement;
  expect(trust!.Action).toBe('sts:AssumeRoleWithWebIdentity');
  expect(trust!.Principal).toEqual({ Federated: 'cognito-identity.amazonaws.com' });
  const condition = trust!.Condition as { StringEquals: Record<string, unknown>; 'ForAnyValue:StringLike': Record<string, unknown> };
  expect(render(condition.StringEquals['cognito-identity.amazonaws.com:aud'])).toBe(`\${${identityPoolId}}`);
  expect(condition['ForAnyValue:StringLike']).toEqual({ 'cognito-identity.amazonaws.com:amr': 'authenticated' });
}

describe('a console with operator groups and a custom domain', () => {
  function synthesize(): TemplateJson {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'ConsoleTest');
    const restApi = new RestApi(stack, 'Api', { deployOptions: { stageName: 'test' } });
    restApi.root.addResource('v1').addMethod('GET', new MockIntegration());
    new Console(stack, 'Console', {
      stageName: 'test',
      restApi,
      lifecycle: dataLifecycle({ retainData: false }),
      logRetention: RetentionDays.ONE_WEEK,
      operatorGroups: { 'acme-operators': 'Operators of Acme', 'beta-operators': 'Operators of Beta' },
      customDomain: { domainName: 'console.example.com', certificate: Certificate.fromCertificateArn(stack, 'Certificate', 'arn:aws:acm:us-east-1:123456789012:certificate/abc') },
    });
    return Template.fromStack(stack).toJSON() as TemplateJson;
  }

  it('gives each group a role of its own that may only invoke the API, for the DevOps to map to clients', () => {
    const json = synthesize();
    const [identityPoolId] = resourceByPrefix(json, 'AWS::Cognito::IdentityPool', 'ConsoleOperatorIdentities');

    const groups = resourcesOfType(json, 'AWS::Cognito::UserPoolGroup').map(([, group]) => group.Properties!);

    // A client-scoped group comes first: its role wins for a member who is also in operators or read-only.
    expect(groups.map((group) => [group.GroupName, group.Precedence])).toEqual([
      ['acme-operators', 0],
      ['beta-operators', 1],
      ['operators', 2],
      ['read-only', 3],
    ]);
    for (const group of groups) {
      const roleId = render(group.RoleArn).replace(/^\$\{(.+)\.Arn\}$/, '$1');
      expectIdentityPoolTrust(resource(json, roleId), identityPoolId);
      expect(roleStatements(json, roleId).map((statement) => [statement.Action, asArray(statement.Resource).map(render)])).toEqual([
        ['execute-api:Invoke', [expect.stringMatching(/\/\$\{ApiDeploymentStagetest\w+\}\/\*\/v1\/\*$/)]],
      ]);
    }
  });

  it('serves the custom domain with at least TLS 1.2 and signs in back to it', () => {
    const json = synthesize();
    const config = distributionConfig(json);

    const [, client] = resourceByPrefix(json, 'AWS::Cognito::UserPoolClient', 'ConsoleOperatorsConsole');

    expect(config.Aliases).toEqual(['console.example.com']);
    expect(config.ViewerCertificate).toMatchObject({ MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' });
    expect(client.Properties?.CallbackURLs).toEqual(['https://console.example.com/']);
  });
});
