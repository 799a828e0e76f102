import { describe, expect, it } from 'vitest';
import { fullJitterMs } from '../../lambdas/adapters/aws/backoff';

describe('full-jitter backoff', () => {
  const policy = { baseMs: 50, capMs: 1_000 };

  it('draws each delay below a ceiling that doubles per attempt, up to the cap', () => {
    const justBelowOne = (): number => 0.999;

    const delays = [1, 2, 3, 4, 5, 6, 7].map((attempt) => fullJitterMs(attempt, policy, justBelowOne));

    expect(delays.map((ms) => Math.round(ms))).toEqual([50, 100, 200, 400, 799, 999, 999]);
  });

  it('spreads retries from nothing up to the ceiling', () => {
    expect(fullJitterMs(3, policy, () => 0)).toBe(0);
    expect(fullJitterMs(3, policy, () => 0.5)).toBe(100);
  });
});
