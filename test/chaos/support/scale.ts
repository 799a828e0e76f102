/**
 * How big the chaos scenarios are. `npm test` runs the short version (a few hundred accounts, one
 * or two rounds) so that every scenario together stays well inside the suite's budget on two
 * cores; `npm run test:chaos` sets CHAOS_SCALE=full for bigger ledgers and more rounds. This is
 * the only place that reads CHAOS_SCALE.
 */
export interface ChaosScale {
  name: 'short' | 'full';
  /** Accounts of a seeded client (account n has anniversary day n mod 31 + 1). */
  accounts: number;
  /** Usage records per account, all dated in the seeded month. */
  usagePerAccount: number;
  /** Rounds of concurrent trigger / reprocess / reset calls (each: four moments of a run's life). */
  concurrentRounds: number;
  /** How long a scenario waits for a run to settle: generous, the machine is shared and loaded. */
  settleTimeoutMs: number;
  /** vitest's timeout for one scenario. */
  testTimeoutMs: number;
}

const SHORT: ChaosScale = { name: 'short', accounts: 62, usagePerAccount: 2, concurrentRounds: 1, settleTimeoutMs: 180_000, testTimeoutMs: 420_000 };
const FULL: ChaosScale = { name: 'full', accounts: 1_240, usagePerAccount: 3, concurrentRounds: 6, settleTimeoutMs: 600_000, testTimeoutMs: 1_500_000 };

export const chaosScale: ChaosScale = process.env.CHAOS_SCALE === 'full' ? FULL : SHORT;
