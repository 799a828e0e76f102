import { describe, expect, it } from 'vitest';
import { appFunctions, asArray, render, roleOf, roleStatements, stage } from './support/synth';

/*
 * lib/app-function.ts acknowledges cdk-nag's AwsSolutions-IAM5[Resource::*] on each function's
 * role, because X-Ray's actions take no resource. An acknowledgement that wide would also hide any
 * later grant on "*"; this test is what keeps it to exactly the actions AWS offers only on "*".
 */

/** X-Ray (active tracing): no resource-level permissions exist for these. */
const TRACING = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'];
/** A DynamoDB stream event source (CDK's DynamoEventSource): ListStreams takes no resource either. */
const STREAM_SOURCE = ['dynamodb:ListStreams'];

describe('function roles and Resource "*"', () => {
  it.each(['dev', 'prod'] as const)('grant on "*" only the tracing actions, and ListStreams to the one function fed by a stream (%s)', (name) => {
    const { json } = stage(name);
    const starActions = new Map<string, string[]>();
    for (const [id, fn] of appFunctions(json)) {
      const onStar = roleStatements(json, roleOf(fn))
        .filter((statement) => asArray(statement.Resource).map(render).includes('*'))
        .flatMap((statement) => asArray(statement.Action));
      starActions.set(id, [...new Set(onStar)].sort());
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
