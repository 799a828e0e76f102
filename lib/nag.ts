import { Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import { Policy, PolicyStatement, type IRole } from 'aws-cdk-lib/aws-iam';
import type { Construct, IConstruct } from 'constructs';

/**
 * How cdk-nag names an ARN in a finding id: tokens become `<LogicalId>` or `<LogicalId.Attr>`
 * and pseudo parameters `<AWS::Region>`, so an acknowledgement can be written for an ARN that
 * CDK builds (Stack.formatArn, resource attributes) instead of a hand-copied string.
 */
export function nagResourceName(scope: IConstruct, value: string): string {
  return renderNag(Stack.of(scope).resolve(value));
}

function renderNag(resolved: unknown): string {
  if (typeof resolved === 'string') return resolved;
  const intrinsic = resolved as Record<string, unknown>;
  if ('Ref' in intrinsic) return `<${String(intrinsic.Ref)}>`;
  if ('Fn::GetAtt' in intrinsic) {
    const [logicalId, attribute] = intrinsic['Fn::GetAtt'] as [string, string];
    return `<${logicalId}.${attribute}>`;
  }
  if ('Fn::Join' in intrinsic) {
    const [separator, parts] = intrinsic['Fn::Join'] as [string, unknown[]];
    return parts.map(renderNag).join(separator);
  }
  throw new Error(`Cannot render ${JSON.stringify(resolved)} the way cdk-nag does`);
}

/** The `Arn` attribute of a CloudFormation resource, as cdk-nag prints it. */
export function nagArnOf(resource: CfnElement): string {
  return `<${Stack.of(resource).getLogicalId(resource)}.Arn>`;
}

/** Acknowledges AwsSolutions-IAM5 for one wildcard resource on `construct`, with the reason. */
export function acknowledgeWildcardResource(construct: IConstruct, resource: string, reason: string): void {
  Validations.of(construct).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
}

/** Acknowledges AwsSolutions-IAM5 for one wildcard action on `construct`, with the reason. */
export function acknowledgeWildcardAction(construct: IConstruct, action: string, reason: string): void {
  Validations.of(construct).acknowledge({ id: `AwsSolutions-IAM5[Action::${action}]`, reason });
}

export interface GrantOnAnyResourceProps {
  /** The role that gets the policy. */
  readonly role: IRole;
  /** Actions AWS authorizes only on Resource "*" (no resource-level permissions). */
  readonly actions: readonly string[];
  /** Why these actions need "*": the acknowledgement's reason. */
  readonly reason: string;
}

/**
 * Grants actions that AWS authorizes only on Resource "*" in a policy of their own, and
 * acknowledges AwsSolutions-IAM5[Resource::*] on that policy alone. CDK's helpers would put them
 * in the role's default policy, where every scoped grant lands too: an acknowledgement there would
 * also hide a later grant on "*" that does have a narrower resource.
 */
export function grantOnAnyResource(scope: Construct, id: string, props: GrantOnAnyResourceProps): Policy {
  const policy = new Policy(scope, id, {
    roles: [props.role],
    statements: [new PolicyStatement({ actions: [...props.actions], resources: ['*'] })],
  });
  acknowledgeWildcardResource(policy, '*', props.reason);
  return policy;
}
