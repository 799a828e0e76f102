import { CfnResource, Validations, type Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { appFunctions, asArray, render, roleOf, roleStatements, stage, type PolicyStatementJson } from './support/synth';

/*
 * Actions AWS authorizes only on Resource "*" are granted in policies of their own, each with
 * cdk-nag's AwsSolutions-IAM5[Resource::*] acknowledged on it alone (grantOnAnyResource in
 * lib/nag.ts). An acknowledgement on a role or its default policy, where every scoped grant
 * lands, would also hide a later grant on "*" that has a narrower resource: these tests forbid it,
 * and pin the actions on "*" per function role.
 */

/** X-Ray (active tracing): no resource-level permissions exist for these. */
const TRACING = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'];
/** A DynamoDB stream event source mapping: ListStreams takes no resource either. */
const STREAM_SOURCE = ['dynamodb:ListStreams'];
const RESOURCE_STAR = 'AwsSolutions-IAM5[Resource::*]';

/** The rules acknowledged on a construct or any of its scopes: where cdk-nag looks. */
function acknowledgedOn(construct: IConstruct): string[] {
  return construct.node.scopes.flatMap((scope) =>
    scope.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.keys(entry.data as Record<string, string>).map((id) => id.replace(/^annotation::/i, ''))),
  );
}

function cfnResources(stack: Stack): CfnResource[] {
  return stack.node.findAll().filter((construct): construct is CfnResource => CfnResource.isCfnResource(construct));
}

const isRoleWide = (resource: CfnResource): boolean =>
  resource.cfnResourceType === 'AWS::IAM::Role' || (resource.cfnResourceType === 'AWS::IAM::Policy' && resource.node.scope?.node.id === 'DefaultPolicy');

const onStar = (statement: PolicyStatementJson): boolean => asArray(statement.Resource).map(render).includes('*');

describe('Resource "*" in the stack’s IAM policies', () => {
  it.each(['dev', 'prod'] as const)('is acknowledged on no role and no default policy (%s)', (name) => {
    const { stack } = stage(name);

    const roleWide = cfnResources(stack)
      .filter(isRoleWide)
      .filter((resource) => acknowledgedOn(resource).includes(RESOURCE_STAR))
      .map((resource) => resource.node.path);

    expect(roleWide).toEqual([]);
  });

  it.each(['dev', 'prod'] as const)('is acknowledged only on policies that grant nothing but actions on "*" (%s)', (name) => {
    const { stack, json } = stage(name);

    const acknowledged = cfnResources(stack).filter(
      (resource) => resource.cfnResourceType === 'AWS::IAM::Policy' && !isRoleWide(resource) && acknowledgedOn(resource).includes(RESOURCE_STAR),
    );

    expect(acknowledged.length).toBeGreaterThan(5);
    for (const policy of acknowledged) {
      const { Statement } = json.Resources[stack.getLogicalId(policy)]!.Properties!.PolicyDocument as { Statement: PolicyStatementJson[] };
      expect(Statement.every(onStar), policy.node.path).toBe(true);
    }
  });

  it.each(['dev', 'prod'] as const)('never sits in a function role’s default policy (%s)', (name) => {
    const { stack, json } = stage(name);
    const defaultPolicies = cfnResources(stack).filter(isRoleWide).filter((resource) => resource.cfnResourceType === 'AWS::IAM::Policy');
    const functionRoles = new Set(appFunctions(json).map(([, fn]) => roleOf(fn)));

    const withStar = defaultPolicies
      .map((policy) => json.Resources[stack.getLogicalId(policy)]!.Properties!)
      .filter((policy) => asArray(policy.Roles as unknown[]).some((role) => functionRoles.has(render(role).slice(2, -1))))
      .filter((policy) => (policy.PolicyDocument as { Statement: PolicyStatementJson[] }).Statement.some(onStar));

    expect(functionRoles.size).toBeGreaterThan(5);
    expect(withStar).toEqual([]);
  });
});

describe('function roles and Resource "*"', () => {
  it.each(['dev', 'prod'] as const)('grant on "*" only the tracing actions, and ListStreams to the one function fed by a stream (%s)', (name) => {
    const { json } = stage(name);
    const starActions = new Map<string, string[]>();
    for (const [id, fn] of appFunctions(json)) {
      const actions = roleStatements(json, roleOf(fn))
        .filter(onStar)
        .flatMap((statement) => asArray(statement.Action));
      starActions.set(id, [...new Set(actions)].sort());
    }

    expect(starActions.size).toBeGreaterThan(5);
    const streamFed = [...starActions].filter(([, actions]) => actions.some((action) => STREAM_SOURCE.includes(action))).map(([id]) => id);
    expect(streamFed).toEqual([expect.stringMatching(/Dispatch/i)]);
    for (const [id, actions] of starActions) {
      const allowed = streamFed.includes(id) ? [...TRACING, ...STREAM_SOURCE] : TRACING;
      expect(actions, id).toEqual([...allowed].sort());
    }
  });
});
