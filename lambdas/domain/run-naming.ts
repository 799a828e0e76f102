import { createHash } from 'node:crypto';

/**
 * A run is keyed by (client, schedule, processing date, attempt). Its id and its executions'
 * names derive from that key, so a retried trigger or StartExecution can never create a twin.
 */
export function runIdFor(clientId: string, scheduleId: string, processingDate: string, attempt: number): string {
  const digest = createHash('sha256').update(`${clientId}\u0000${scheduleId}\u0000${processingDate}\u0000${attempt}`).digest('hex');
  return `run_${digest.slice(0, 24)}`;
}

/** Execution n of a run (1 = the first; each reprocess starts the next). At most 80 characters, as Step Functions requires. */
export function executionNameFor(runId: string, executionCount: number): string {
  return `${runId}-x${executionCount}`;
}
