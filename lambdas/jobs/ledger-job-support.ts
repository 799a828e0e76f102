import { z } from 'zod';
import type { Clock } from '../ports/clock';
import type { CoreBillingClient } from '../ports/core-billing';
import type { Ledger, UsageQueue } from '../ports/ledger';
import { BILLING_ERROR_CODES, failed } from '../domain/billing-errors';
import { ValidationError } from '../domain/errors';
import type { ItemOutcome, JobContext, JobHandler } from '../domain/job-registry';
import { parseUsageItemId, usageItemId, type UsageKey } from '../domain/ledger';
import type { JobType } from '../domain/model';

/** What the billing job types work on: the ledger, core billing and the time. */
export interface BillingJobDependencies {
  ledger: Ledger;
  coreBilling: CoreBillingClient;
  clock: Clock;
}

/**
 * A write conditional on the revision read loses when another run changed the record in between;
 * the item then reads the record again and decides afresh, this many times before it gives up.
 */
export const CONFLICT_ROUNDS = 3;

const NoSettingsSchema = z.object({}).strict();

/** The billing jobs take no settings: an unknown one is a typo an operator should hear about. */
function parseNoSettings(type: JobType, settings: Record<string, unknown> | undefined): Record<string, unknown> {
  const parsed = NoSettingsSchema.safeParse(settings ?? {});
  if (!parsed.success) {
    throw new ValidationError(
      `${type} takes no settings`,
      parsed.error.issues.map((issue) => ({ path: ['settings', ...issue.path].join('.'), message: issue.message })),
    );
  }
  return parsed.data;
}

/** A billing job: works on the ledger and core billing, and takes no settings. */
export abstract class LedgerJob<T extends JobType> implements JobHandler {
  abstract readonly batchSize: number;

  constructor(
    protected readonly deps: BillingJobDependencies,
    readonly type: T,
  ) {}

  parseSettings(settings: Record<string, unknown> | undefined): Record<string, unknown> {
    return parseNoSettings(this.type, settings);
  }

  abstract collect(ctx: JobContext): AsyncIterable<string>;
  abstract process(ctx: JobContext, itemIds: readonly string[]): Promise<ItemOutcome[]>;
}

export interface UsageItem {
  itemId: string;
  key: UsageKey;
}

/**
 * A billing job whose work items are the usage records in one of the ledger's queues
 * (`accountId/YYYY-MM-DD/usageId`). A subclass only decides a round of items: malformed ids,
 * conflict retries and the order of outcomes are handled here.
 */
export abstract class UsageQueueJob<T extends JobType> extends LedgerJob<T> {
  readonly batchSize = 500;

  /** The queue each of the class's job types works through. */
  protected abstract readonly queues: Record<T, UsageQueue>;

  /** Decides an outcome for each pending item; returns the ids whose conditional write lost a race. */
  protected abstract decide(ctx: JobContext, pending: readonly UsageItem[], outcomes: Map<string, ItemOutcome>): Promise<Set<string>>;

  collect(ctx: JobContext): AsyncIterable<string> {
    return this.collectAfter(ctx);
  }

  /** The queue's records after the one an interrupted collect stored last (an id of ours: it parses). */
  async *collectAfter(ctx: JobContext, afterItemId?: string): AsyncIterable<string> {
    const after = afterItemId === undefined ? undefined : parseUsageItemId(afterItemId);
    for await (const key of this.deps.ledger.usageInQueue(ctx.clientId, this.queues[this.type], ctx.processingDate, after)) yield usageItemId(key);
  }

  async process(ctx: JobContext, itemIds: readonly string[]): Promise<ItemOutcome[]> {
    const invalid = new Map<string, ItemOutcome>();
    const items: UsageItem[] = [];
    for (const itemId of itemIds) {
      const key = parseUsageItemId(itemId);
      if (key) items.push({ itemId, key });
      else invalid.set(itemId, invalidItem(ctx, this.type, itemId, 'accountId/YYYY-MM-DD/usageId'));
    }
    const outcomes = await withConflictRetries(items, (pending, decided) => this.decide(ctx, pending, decided));
    return inOrder(itemIds, new Map([...invalid, ...outcomes]));
  }
}

export function unique<T>(values: Iterable<T>): T[] {
  return [...new Set(values)];
}

/**
 * Runs `attempt` over the items still pending, up to CONFLICT_ROUNDS times: each round decides an
 * outcome for some items and names the ones whose conditional write lost a race (to be read and
 * decided again). Items still conflicting after the last round fail with LEDGER_CONFLICT.
 */
async function withConflictRetries<K>(
  items: ReadonlyArray<{ itemId: string; key: K }>,
  attempt: (pending: ReadonlyArray<{ itemId: string; key: K }>, outcomes: Map<string, ItemOutcome>) => Promise<Set<string>>,
): Promise<Map<string, ItemOutcome>> {
  const outcomes = new Map<string, ItemOutcome>();
  let pending = items;
  for (let round = 0; round < CONFLICT_ROUNDS && pending.length > 0; round++) {
    const conflicts = await attempt(pending, outcomes);
    pending = pending.filter((item) => conflicts.has(item.itemId));
    for (const item of pending) outcomes.delete(item.itemId);
  }
  for (const item of pending) {
    outcomes.set(
      item.itemId,
      failed(BILLING_ERROR_CODES.LEDGER_CONFLICT, `${item.itemId} changed ${CONFLICT_ROUNDS} times while this item was processed (another run works on it); reprocess the failed items once that run has finished.`),
    );
  }
  return outcomes;
}

/** Outcomes in the order of the item ids, as the engine expects. */
export function inOrder(itemIds: readonly string[], outcomes: ReadonlyMap<string, ItemOutcome>): ItemOutcome[] {
  return itemIds.map(
    (itemId) => outcomes.get(itemId) ?? failed('NO_OUTCOME', `the job decided no outcome for ${itemId}`),
  );
}

export function invalidItem(ctx: JobContext, type: JobType, itemId: string, form: string): ItemOutcome {
  return failed(BILLING_ERROR_CODES.INVALID_ITEM_ID, `"${itemId}" is not a ${type} work item of run ${ctx.runId} (expected ${form}).`);
}
