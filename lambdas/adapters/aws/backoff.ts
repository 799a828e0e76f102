/** Exponential backoff: the first delay's ceiling, doubled per attempt up to `capMs`. */
export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Full jitter: a uniform delay below the attempt's ceiling (attempt 1 waits below baseMs).
 * Callers that collide retry apart instead of together (AWS Architecture Blog, "Exponential
 * Backoff And Jitter").
 */
export function fullJitterMs(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  return random() * Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
}

/** Waits out attempt `attempt`'s full-jitter delay. */
export function backoff(attempt: number, policy: BackoffPolicy): Promise<void> {
  return sleep(fullJitterMs(attempt, policy));
}
