import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import type { StageName } from '../../../lib/config/stage-config';
import { createApp } from '../../../lib/job-schedule-manager-app';
import type { JobScheduleManagerStack } from '../../../lib/job-schedule-manager-stack';

export interface SynthesizedStage {
  readonly stack: JobScheduleManagerStack;
  readonly assembly: CloudAssembly;
  readonly template: Template;
  /** The template as plain JSON, for assertions that follow references between resources. */
  readonly json: TemplateJson;
}

export interface TemplateJson {
  Resources: Record<string, CfnResourceJson>;
}

export interface CfnResourceJson {
  Type: string;
  Properties?: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

export interface SynthOptions {
  /** Run esbuild for every function (slow); template assertions do not need it. */
  readonly bundling?: boolean;
  readonly context?: Record<string, unknown>;
}

/** The context cdk.json gives the CLI (feature flags), so that tests synthesize the same stack. */
const CDK_JSON_CONTEXT = (JSON.parse(readFileSync(fileURLToPath(new URL('../../../cdk.json', import.meta.url)), 'utf8')) as { context: Record<string, unknown> })
  .context;

/**
 * Synthesizes a stage the way `cdk synth -c stage=<name>` does, cdk-nag included (a finding
 * that is not acknowledged throws here). Without bundling, `aws:cdk:bundling-stacks: []` makes
 * CDK skip esbuild and stage placeholder assets.
 */
export function synthStage(stage: StageName, options: SynthOptions = {}): SynthesizedStage {
  const { app, stack } = createApp({
    context: { ...CDK_JSON_CONTEXT, stage, ...(options.bundling ? {} : { 'aws:cdk:bundling-stacks': [] }), ...options.context },
  });
  const assembly = app.synth();
  const template = Template.fromStack(stack);
  return { stack, assembly, template, json: template.toJSON() as TemplateJson };
}

const cache = new Map<StageName, SynthesizedStage>();

/** One synthesis per stage and test file, shared by its tests (they only read it). */
export function stage(name: StageName): SynthesizedStage {
  let synthesized = cache.get(name);
  if (!synthesized) {
    synthesized = synthStage(name);
    cache.set(name, synthesized);
  }
  return synthesized;
}

export function resourcesOfType(json: TemplateJson, type: string): Array<[string, CfnResourceJson]> {
  return Object.entries(json.Resources).filter(([, resource]) => resource.Type === type);
}

/**
 * The product's Lambda functions: every function but the handler CDK brings for its own custom
 * resource (BucketDeployment, which uploads the operator console), whose runtime, logging and
 * code aws-cdk-lib decides and which runs only during a deployment.
 */
export function appFunctions(json: TemplateJson): Array<[string, CfnResourceJson]> {
  return resourcesOfType(json, 'AWS::Lambda::Function').filter(([id]) => !id.startsWith('CustomCDKBucketDeployment'));
}

/** One function per file of lambdas/handlers: a new handler that is not deployed is a missing function. */
export const HANDLER_FILES = readdirSync(new URL('../../../lambdas/handlers', import.meta.url)).filter((file) => file.endsWith('-handler.ts')).length;

export function resource(json: TemplateJson, logicalId: string): CfnResourceJson {
  const found = json.Resources[logicalId];
  if (!found) throw new Error(`No resource ${logicalId} in the template`);
  return found;
}

/** The one resource of a type whose logical id starts with a construct path prefix. */
export function resourceByPrefix(json: TemplateJson, type: string, prefix: string): [string, CfnResourceJson] {
  const matches = resourcesOfType(json, type).filter(([id]) => id.startsWith(prefix));
  if (matches.length !== 1) throw new Error(`Expected one ${type} named ${prefix}*, found ${matches.map(([id]) => id).join(', ') || 'none'}`);
  return matches[0]!;
}

/**
 * A CloudFormation value as readable text: `{ Ref: X }` is `${X}`, `Fn::GetAtt` is `${X.Attr}`,
 * `Fn::Join` is joined. Lets assertions compare ARNs as strings.
 */
export function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const intrinsic = value as Record<string, unknown>;
  if ('Ref' in intrinsic) return `\${${String(intrinsic.Ref)}}`;
  if ('Fn::GetAtt' in intrinsic) return `\${${(intrinsic['Fn::GetAtt'] as string[]).join('.')}}`;
  if ('Fn::Join' in intrinsic) {
    const [separator, parts] = intrinsic['Fn::Join'] as [string, unknown[]];
    return parts.map(render).join(separator);
  }
  throw new Error(`Cannot render ${JSON.stringify(value)}`);
}

export function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

export interface PolicyStatementJson {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

/** Every statement of the inline policies attached to a role (by the role's logical id). */
export function roleStatements(json: TemplateJson, roleLogicalId: string): PolicyStatementJson[] {
  return resourcesOfType(json, 'AWS::IAM::Policy')
    .filter(([, policy]) => asArray(policy.Properties?.Roles as unknown[]).some((role) => render(role) === `\${${roleLogicalId}}`))
    .flatMap(([, policy]) => (policy.Properties?.PolicyDocument as { Statement: PolicyStatementJson[] }).Statement);
}

/** The logical id of the role a function (`Role`) or state machine (`RoleArn`) runs as. */
export function roleOf(resource: CfnResourceJson): string {
  const arn = (resource.Properties?.Role ?? resource.Properties?.RoleArn) as { 'Fn::GetAtt': [string, string] };
  return arn['Fn::GetAtt'][0];
}

/** Reads a file asset of the synthesized stack (e.g. the state machine definition) by its S3 key. */
export function readAsset(synthesized: SynthesizedStage, objectKey: string): string {
  const artifact = synthesized.assembly.getStackArtifact(synthesized.stack.artifactId);
  const manifest = JSON.parse(readFileSync(join(synthesized.assembly.directory, `${artifact.stackName}.assets.json`), 'utf8')) as {
    files: Record<string, { source: { path: string }; destinations: Record<string, { objectKey: string }> }>;
  };
  const file = Object.values(manifest.files).find((entry) => Object.values(entry.destinations).some((d) => d.objectKey === objectKey));
  if (!file) throw new Error(`No file asset with object key ${objectKey}`);
  return readFileSync(join(synthesized.assembly.directory, file.source.path), 'utf8');
}
