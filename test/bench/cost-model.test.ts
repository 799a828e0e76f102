import { describe, expect, it } from 'vitest';
import { awsGbSecondsPer1000, costPerMillion, costSection, naiveCostPerMillion, type UsagePer1000 } from '../../bench/cost-model';

const usage = (overrides: Partial<UsagePer1000>): UsagePer1000 => ({
  dynamoReads: 0,
  dynamoWrites: 0,
  dynamoReadUnits: 0,
  dynamoWriteUnits: 0,
  stateTransitions: 0,
  sqsRequests: 0,
  lambdaInvocations: 0,
  lambdaMillis: 0,
  dynamoCalls: 0,
  dynamoMillis: 0,
  ...overrides,
});

describe('the cost model', () => {
  it('prices measured counts per million items at the written-down list prices', () => {
    // Per 1,000 items: 2 transitions and 2 invocations (each may start a Map child: 4,000 transitions per
    // million at $0.025 per 1,000 = $0.10), 2 invocations ($0.0004), 1,000 ms at 1 GB (1,000 GB-s per million = $0.0133), 6 SQS requests ($0.0024),
    // 2,000 write units ($1.25) and 1,000 read units ($0.125).
    const cost = costPerMillion(usage({ stateTransitions: 2, lambdaInvocations: 2, lambdaMillis: 1000, sqsRequests: 6, dynamoWriteUnits: 2000, dynamoReadUnits: 1000 }));
    expect(cost.usdPerMillion).toBeCloseTo(0.1 + 0.0004 + 0.0133334 + 0.0024 + 1.25 + 0.125, 6);
  });

  it('scales the Lambda time measured locally to DynamoDB latency on AWS, never up', () => {
    // 20 s per 1,000 items at 1 GB while DynamoDB Local answered in 200 ms per request: at 10 ms, 1 GB-s.
    expect(awsGbSecondsPer1000(usage({ lambdaMillis: 20_000, dynamoCalls: 100, dynamoMillis: 20_000 }))).toBeCloseTo(1, 6);
    expect(awsGbSecondsPer1000(usage({ lambdaMillis: 20_000, dynamoCalls: 100, dynamoMillis: 500 }))).toBeCloseTo(20, 6);
    expect(awsGbSecondsPer1000(usage({ lambdaMillis: 20_000 }))).toBeCloseTo(20, 6);
  });

  it('takes transitions, invocations and SQS requests from the run measured at scale when given', () => {
    const small = usage({ stateTransitions: 30, lambdaInvocations: 20, sqsRequests: 10 });
    const atScale = usage({ stateTransitions: 2, lambdaInvocations: 2, sqsRequests: 6 });
    expect(costPerMillion(small, atScale).usdPerMillion).toBeCloseTo(costPerMillion(atScale).usdPerMillion, 9);
  });

  it('falls back to request counts where no capacity units were measured', () => {
    expect(costPerMillion(usage({ dynamoWrites: 1000 })).usdPerMillion).toBeCloseTo(0.625, 6);
  });

  it('prices the naive design at four transitions (its own three and the parent Map’s start), one invocation and one outcome write per item plus the job’s own work', () => {
    const naive = naiveCostPerMillion({ writeUnits: 0, readUnits: 0, gbSeconds: 0 });
    expect(naive.usdPerMillion).toBeCloseTo(100 + 0.2 + 0.625, 6);
  });

  it('reports whether the targets are met, the naive design doing the billing run’s own work beyond the orchestration', () => {
    const synthetic = usage({ stateTransitions: 2, lambdaInvocations: 2, sqsRequests: 6, dynamoWriteUnits: 100, dynamoReadUnits: 50 });
    const billing = usage({ stateTransitions: 5, lambdaInvocations: 4, sqsRequests: 7, dynamoWriteUnits: 2300, dynamoReadUnits: 1600, lambdaMillis: 5000 });
    const { summary, markdown } = costSection({ synthetic, billing });
    expect(summary.targetsMet).toBe(true);
    expect(summary.usdPerMillion).toBeLessThan(2);
    expect(summary.timesCheaperThanNaive).toBeGreaterThanOrEqual(50);
    expect(markdown).toContain('us-east-1');

    const expensive = costSection({ billing: usage({ dynamoWriteUnits: 4000 }) });
    expect(expensive.summary.targetsMet).toBe(false);
  });
});
