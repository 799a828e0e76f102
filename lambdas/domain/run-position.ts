/**
 * Where a run stands in a run list over dates and clients: newest processing date first, then
 * client, schedule and attempt, each descending. A page ends at a position, the next starts after it.
 */
export interface RunPosition {
  processingDate: string;
  clientId: string;
  scheduleId: string;
  attempt: number;
}

/** Negative when `a` comes first: a newer date, then a higher client, schedule, attempt. */
export function compareRunPositions(a: RunPosition, b: RunPosition): number {
  return byCodeUnits(b.processingDate, a.processingDate) || byCodeUnits(b.clientId, a.clientId) || byCodeUnits(b.scheduleId, a.scheduleId) || b.attempt - a.attempt;
}

/** DynamoDB's order of string keys (by bytes; these ids are ASCII), not the locale's. */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
