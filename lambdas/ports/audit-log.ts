/** What a change was made to: `{ type: 'schedule', id: 'sch_…' }`. */
export interface AuditTarget {
  type: string;
  id: string;
}

/** One change made through the API, as the audit trail keeps it (shared/API.md, Audit trail). */
export interface AuditRecord {
  clientId: string;
  /** ISO-8601 instant of the change. */
  at: string;
  /** The caller's principal (an IAM ARN, `admin-token`, `api-token:<client>`): never a token or secret. */
  actor: string;
  action: string;
  target: AuditTarget;
  /** What changed: the validated request without secrets, and the resulting version or status. */
  details: Record<string, unknown>;
}

export interface AuditQuery {
  /** ISO-8601 instants, both inclusive. */
  from?: string;
  to?: string;
  limit: number;
  nextToken?: string;
}

export interface AuditPage {
  items: Array<Omit<AuditRecord, 'clientId'>>;
  nextToken?: string;
}

/**
 * The audit trail: append and list, nothing else. No caller can change or remove a record, and
 * records live apart from what they describe, so deleting a schedule keeps its history.
 * Implementation: DynamoAuditLog.
 */
export interface AuditLog {
  append(record: AuditRecord): Promise<void>;
  /** A client's records, newest first. ValidationError for a nextToken this log did not issue. */
  list(clientId: string, query: AuditQuery): Promise<AuditPage>;
}
