import type { ErrorInfo, ItemStatus } from '../domain/model';

export interface ItemView {
  itemId: string;
  status: ItemStatus;
  attempts: number;
  error?: ErrorInfo;
  updatedAt?: string;
}

export interface ItemPage {
  items: ItemView[];
  nextToken?: string;
}

/** A job's work items, one page at a time, read from its batches. Implementation: DynamoItemPages. */
export interface ItemPages {
  /** A nextToken this API did not issue is a ValidationError. */
  listItems(runId: string, seq: number, query: { status?: ItemStatus; limit: number; nextToken?: string }): Promise<ItemPage>;
}
