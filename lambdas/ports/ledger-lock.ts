/** Who holds a client's ledger lock: one job of one run, in one execution. */
export interface LedgerLockHolder {
  runId: string;
  seq: number;
  executionName: string;
  /** When the holder took the lock (UTC instant). */
  since: string;
}

/**
 * One ledger writer per client (lambdas/adapters/aws/dynamo-ledger-lock.ts): a job that writes the
 * billing ledger holds its client's lock from BeginJob to FinalizeJob, so ledger-writing jobs of
 * two runs of one client never overlap.
 */
export interface LedgerLocks {
  /**
   * Takes the client's lock for `holder` when it is free, already the same run's, or held by
   * exactly `replacing` (a holder found dead). Answers the holder after the call: `holder` itself
   * when taken, otherwise whoever holds it.
   */
  acquire(clientId: string, holder: LedgerLockHolder, replacing?: LedgerLockHolder): Promise<{ acquired: boolean; holder: LedgerLockHolder }>;
  /** Frees the lock if this run holds it; a lock another run holds now is left alone. */
  release(clientId: string, runId: string): Promise<void>;
}
