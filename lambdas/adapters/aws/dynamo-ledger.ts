import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient, type PutCommandInput } from '@aws-sdk/lib-dynamodb';
import { nextDate } from '../../domain/billing-calendar';
import { mapConcurrently } from '../../domain/concurrency';
import {
  AccountSchema,
  InvoiceSchema,
  RatePlanSchema,
  RateSchema,
  RerateRequestSchema,
  UsageRecordSchema,
  usageItemId,
  type Account,
  type Invoice,
  type Rate,
  type RatePlan,
  type RerateRequest,
  type UsageKey,
  type UsageRecord,
  type UsageState,
} from '../../domain/ledger';
import { QUEUE_OF_STATE, type Ledger, type LedgerAdmin, type UsageQueue, type UsageWrite, type VersionedRatePlan } from '../../ports/ledger';
import { batchGetAll, batchWriteAll, isConditionFailure, queryAll, queryItems, resilientSend, type Item, type Key } from './dynamo-toolkit';

/** Index partitions per client and queue (see LEDGER_TABLE in table-definitions.ts). */
export const WORK_SHARDS = 8;
/** Conditional writes in flight per chunk of records. */
const WRITE_CONCURRENCY = 16;

export const accountPk = (clientId: string, accountId: string): string => `CLIENT#${clientId}#ACCOUNT#${accountId}`;
export const planPk = (clientId: string, ratePlanId: string): string => `CLIENT#${clientId}#PLAN#${ratePlanId}`;
export const usageSk = (usageDate: string, usageId: string): string => `USAGE#${usageDate}#${usageId}`;
export const invoiceSk = (periodId: string): string => `INVOICE#${periodId}`;
export const rerateSk = (requestId: string): string => `RERATE#${requestId}`;
export const rateSk = (rate: Pick<Rate, 'usageType' | 'effectiveFrom'>): string => `RATE#${rate.usageType}#${rate.effectiveFrom}`;
const billDayPk = (clientId: string, day: number): string => `CLIENT#${clientId}#BILLDAY#${String(day).padStart(2, '0')}`;
/**
 * The openWork index's partitions: the job queues (OPEN usage, OPEN rerate requests) and, for
 * the ledger API's lists, closed rerate requests, discarded usage, accounts, plans and invoices.
 * SYNCED usage is in none: it is most of the ledger, and indexing it would cost a write per record.
 */
export type IndexPartition = 'OPEN' | 'RERATE' | 'RERATE-DONE' | 'RERATE-CANCELLED' | 'DISCARDED' | 'ACCOUNTS' | 'PLANS' | 'INVOICES';
export const workPk = (clientId: string, partition: IndexPartition, shard?: number): string =>
  shard === undefined ? `CLIENT#${clientId}#${partition}` : `CLIENT#${clientId}#${partition}#${shard}`;
/** The state whose records make up a queue: the openWork index holds them all, with their state. */
const STATE_OF_QUEUE: Record<UsageQueue, UsageState> = { UNRATED: 'UNRATED', SUSPENDED: 'SUSPENDED', UNSYNCED: 'RATED', SYNC_ERROR: 'SYNC_ERROR' };

/** FNV-1a: a stable, cheap hash of the account id that picks its index shard. */
export function shardOf(accountId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < accountId.length; i++) {
    hash ^= accountId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % WORK_SHARDS;
}

/** The attributes that only exist for DynamoDB (keys, index keys, the item's type). */
const STORAGE_ATTRIBUTES = ['pk', 'sk', 'type', 'billDayPk', 'billDaySk', 'workPk', 'workSk'];

export function entity(item: Item): Item {
  const copy = { ...item };
  for (const name of STORAGE_ATTRIBUTES) delete copy[name];
  return copy;
}

export function accountItem(account: Account): Item {
  return {
    pk: accountPk(account.clientId, account.accountId),
    sk: 'ACCOUNT',
    type: 'ACCOUNT',
    ...account,
    workPk: workPk(account.clientId, 'ACCOUNTS', shardOf(account.accountId)),
    workSk: account.accountId,
    // Only active accounts are in the billing-day index: BILLING never reads closed ones.
    ...(account.status === 'ACTIVE' ? { billDayPk: billDayPk(account.clientId, account.anniversaryDay), billDaySk: account.accountId } : {}),
  };
}

export function usageItem(record: UsageRecord): Item {
  const partition = QUEUE_OF_STATE[record.state] ? 'OPEN' : record.state === 'DISCARDED' ? 'DISCARDED' : undefined;
  return {
    pk: accountPk(record.clientId, record.accountId),
    sk: usageSk(record.usageDate, record.usageId),
    type: 'USAGE',
    ...record,
    // Every open record has the same index keys whatever its queue (see LEDGER_TABLE's openWork).
    ...(partition ? { workPk: workPk(record.clientId, partition, shardOf(record.accountId)), workSk: `${record.usageDate}#${record.accountId}#${record.usageId}` } : {}),
  };
}

/** A new rerate request, OPEN: in the RERATING queue, oldest first. */
export function openRerateItem(request: RerateRequest): Item {
  const parsed = RerateRequestSchema.parse(request);
  return {
    pk: accountPk(parsed.clientId, parsed.accountId),
    sk: rerateSk(parsed.requestId),
    type: 'RERATE',
    ...parsed,
    status: 'OPEN',
    workPk: workPk(parsed.clientId, 'RERATE'),
    workSk: `${parsed.requestedAt}#${parsed.accountId}#${parsed.requestId}`,
  };
}

/** An invoice with its entry in the INVOICES lists, by period then account. */
export function invoiceItem(clientId: string, invoice: Invoice): Item {
  const listed = { workPk: workPk(clientId, 'INVOICES', shardOf(invoice.accountId)), workSk: `${invoice.periodId}#${invoice.accountId}` };
  return { pk: accountPk(clientId, invoice.accountId), sk: invoiceSk(invoice.periodId), type: 'INVOICE', ...invoice, clientId, ...listed };
}

/** A rate plan's header, listed in PLANS: a client has few plans, one partition holds them. */
export function planHeaderItem(header: Omit<RatePlan, 'rates'>, version?: number): Item {
  return { pk: planPk(header.clientId, header.ratePlanId), sk: 'PLAN', type: 'PLAN', ...header, ...(version === undefined ? {} : { version }), workPk: workPk(header.clientId, 'PLANS'), workSk: header.ratePlanId };
}

/** A rate plan: its header and rate items under one key, read consistently. */
export async function readRatePlan(db: DynamoDBDocumentClient, tableName: string, clientId: string, ratePlanId: string): Promise<VersionedRatePlan | undefined> {
  const items: Item[] = [];
  for await (const item of queryItems(db, {
    TableName: tableName,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': planPk(clientId, ratePlanId) },
    ConsistentRead: true,
  })) {
    items.push(item);
  }
  const header = items.find((item) => item.sk === 'PLAN');
  if (!header) return undefined;
  const rates = items.filter((item) => item.type === 'RATE').map((item) => RateSchema.parse(entity(item)));
  // Plans seeded before versions count as version 1.
  return { ...RatePlanSchema.parse({ ...entity(header), rates }), version: typeof header.version === 'number' ? header.version : 1 };
}

export function accountIdOf(pk: string): string {
  return pk.slice(pk.lastIndexOf('#ACCOUNT#') + '#ACCOUNT#'.length);
}

/** The usage key of an index entry: the table's own key names the account and the record. */
function usageKeyOf(key: Key): UsageKey {
  const [, usageDate, usageId] = key.sk.split('#') as [string, string, string];
  return { accountId: accountIdOf(key.pk), usageDate, usageId };
}

/**
 * The ledger on one DynamoDB table (LEDGER_TABLE in table-definitions.ts). Collecting reads the
 * sparse KEYS_ONLY indexes; a chunk of items costs a few batched reads and one conditional PutItem
 * per record, sent concurrently.
 */
export class DynamoLedger implements Ledger, LedgerAdmin {
  private readonly send: DynamoDBDocumentClient['send'];

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.send = resilientSend(db);
  }

  /**
   * After `afterAccountId` (a resumed collect): its day is found with one key-only Query per due
   * day, and the listing continues after it there. An account that left the due days meanwhile
   * (closed, moved) gives no position: the listing starts again, and billing an account twice
   * creates its period's invoice once.
   */
  async *accountsDueOn(clientId: string, anniversaryDays: readonly number[], afterAccountId?: string): AsyncIterable<string> {
    const days = [...anniversaryDays].sort((a, b) => a - b);
    const afterDay = afterAccountId === undefined ? undefined : await this.dueDayOf(clientId, days, afterAccountId);
    for (const day of days) {
      if (afterDay !== undefined && day < afterDay) continue;
      for await (const item of queryItems(this.db, {
        TableName: this.tableName,
        IndexName: 'accountsByBillingDay',
        KeyConditionExpression: 'billDayPk = :pk',
        ExpressionAttributeValues: { ':pk': billDayPk(clientId, day) },
        ...(day === afterDay && afterAccountId !== undefined
          ? { ExclusiveStartKey: { billDayPk: billDayPk(clientId, day), billDaySk: afterAccountId, pk: accountPk(clientId, afterAccountId), sk: 'ACCOUNT' } }
          : {}),
      })) {
        yield item.billDaySk as string;
      }
    }
  }

  private async dueDayOf(clientId: string, days: readonly number[], accountId: string): Promise<number | undefined> {
    for (const day of days) {
      const [found] = await queryAll(this.db, {
        TableName: this.tableName,
        IndexName: 'accountsByBillingDay',
        KeyConditionExpression: 'billDayPk = :pk AND billDaySk = :id',
        ExpressionAttributeValues: { ':pk': billDayPk(clientId, day), ':id': accountId },
      });
      if (found) return day;
    }
    return undefined;
  }

  /** Shard by shard; after `after` (a resumed collect), from its shard on, past its index entry. */
  async *usageInQueue(clientId: string, queue: UsageQueue, throughDate: string, after?: UsageKey): AsyncIterable<UsageKey> {
    // workSk starts with the usage date: everything before the next day's date is due.
    const upper = nextDate(throughDate);
    const afterShard = after ? shardOf(after.accountId) : 0;
    for (let shard = afterShard; shard < WORK_SHARDS; shard++) {
      const startKey =
        after && shard === afterShard
          ? {
              workPk: workPk(clientId, 'OPEN', shard),
              workSk: `${after.usageDate}#${after.accountId}#${after.usageId}`,
              pk: accountPk(clientId, after.accountId),
              sk: usageSk(after.usageDate, after.usageId),
            }
          : undefined;
      for await (const item of queryItems(this.db, {
        TableName: this.tableName,
        IndexName: 'openWork',
        KeyConditionExpression: 'workPk = :pk AND workSk < :upper',
        FilterExpression: '#state = :state',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':pk': workPk(clientId, 'OPEN', shard), ':upper': upper, ':state': STATE_OF_QUEUE[queue] },
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      })) {
        yield usageKeyOf(item as Key);
      }
    }
  }

  /**
   * After `after` (a resumed collect): past its index entry, whose position is its requestedAt,
   * read from the request (kept once DONE or CANCELLED); a request not found starts the list again.
   */
  async *rerateRequests(clientId: string, after?: { accountId: string; requestId: string }): AsyncIterable<{ accountId: string; requestId: string }> {
    const key = after ? { pk: accountPk(clientId, after.accountId), sk: rerateSk(after.requestId) } : undefined;
    const stored = key ? (await this.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }))).Item : undefined;
    const startKey =
      key && after && typeof stored?.requestedAt === 'string'
        ? { workPk: workPk(clientId, 'RERATE'), workSk: `${stored.requestedAt}#${after.accountId}#${after.requestId}`, ...key }
        : undefined;
    for await (const item of queryItems(this.db, {
      TableName: this.tableName,
      IndexName: 'openWork',
      KeyConditionExpression: 'workPk = :pk',
      ExpressionAttributeValues: { ':pk': workPk(clientId, 'RERATE') },
      ...(startKey ? { ExclusiveStartKey: startKey } : {}),
    })) {
      const itemKey = item as Key;
      yield { accountId: accountIdOf(itemKey.pk), requestId: itemKey.sk.slice('RERATE#'.length) };
    }
  }

  async getAccounts(clientId: string, accountIds: readonly string[]): Promise<Map<string, Account>> {
    const items = await batchGetAll(this.db, this.tableName, [...new Set(accountIds)].map((accountId) => ({ pk: accountPk(clientId, accountId), sk: 'ACCOUNT' })));
    return new Map(items.map((item) => AccountSchema.parse(entity(item))).map((account) => [account.accountId, account]));
  }

  async getRatePlans(clientId: string, ratePlanIds: readonly string[]): Promise<Map<string, RatePlan>> {
    const plans = await Promise.all(
      [...new Set(ratePlanIds)].map(async (ratePlanId) => {
        const plan = await readRatePlan(this.db, this.tableName, clientId, ratePlanId);
        if (!plan) return undefined;
        const { version: _version, ...unversioned } = plan;
        return unversioned;
      }),
    );
    return new Map(plans.filter((plan): plan is RatePlan => plan !== undefined).map((plan) => [plan.ratePlanId, plan]));
  }

  async getUsage(clientId: string, keys: readonly UsageKey[]): Promise<Map<string, UsageRecord>> {
    const items = await batchGetAll(this.db, this.tableName, keys.map((key) => ({ pk: accountPk(clientId, key.accountId), sk: usageSk(key.usageDate, key.usageId) })));
    return new Map(items.map((item) => UsageRecordSchema.parse(entity(item))).map((record) => [usageItemId(record), record]));
  }

  async usageOfAccount(clientId: string, accountId: string, fromDate: string, toDate: string): Promise<UsageRecord[]> {
    const records: UsageRecord[] = [];
    for await (const item of queryItems(this.db, {
      TableName: this.tableName,
      // '~' sorts after every character an id may contain: the whole of toDate is included.
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': accountPk(clientId, accountId), ':from': `USAGE#${fromDate}#`, ':to': `USAGE#${toDate}#~` },
      ConsistentRead: true,
    })) {
      records.push(UsageRecordSchema.parse(entity(item)));
    }
    return records;
  }

  async getInvoices(clientId: string, keys: ReadonlyArray<{ accountId: string; periodId: string }>): Promise<Map<string, Invoice>> {
    const items = await batchGetAll(this.db, this.tableName, keys.map((key) => ({ pk: accountPk(clientId, key.accountId), sk: invoiceSk(key.periodId) })));
    return new Map(items.map((item) => InvoiceSchema.parse(entity(item))).map((invoice) => [`${invoice.accountId}/${invoice.periodId}`, invoice]));
  }

  async getRerateRequest(clientId: string, accountId: string, requestId: string): Promise<RerateRequest | undefined> {
    const result = await this.send(new GetCommand({ TableName: this.tableName, Key: { pk: accountPk(clientId, accountId), sk: rerateSk(requestId) }, ConsistentRead: true }));
    const request = result.Item ? RerateRequestSchema.parse(entity(result.Item)) : undefined;
    return (request?.status ?? 'OPEN') === 'OPEN' ? request : undefined;
  }

  async writeUsage(clientId: string, writes: readonly UsageWrite[]): Promise<Set<string>> {
    return this.conditionalPuts(
      writes.map((write) => ({
        id: usageItemId(write.record),
        put: {
          TableName: this.tableName,
          Item: usageItem({ ...write.record, clientId, rev: write.expectedRev + 1 }),
          ConditionExpression: 'rev = :rev',
          ExpressionAttributeValues: { ':rev': write.expectedRev },
        },
      })),
    );
  }

  async createInvoices(clientId: string, invoices: readonly Invoice[]): Promise<Set<string>> {
    return this.conditionalPuts(
      invoices.map((invoice) => ({
        id: invoice.accountId,
        put: {
          TableName: this.tableName,
          Item: invoiceItem(clientId, invoice),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      })),
    );
  }

  async completeRerateRequest(clientId: string, accountId: string, requestId: string): Promise<void> {
    // Kept as DONE for the rerate-requests list; a cancel that came first stays a cancel.
    try {
      await this.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: accountPk(clientId, accountId), sk: rerateSk(requestId) },
          UpdateExpression: 'SET #status = :done, workPk = :pk',
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(#status) OR #status <> :cancelled)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':done': 'DONE', ':cancelled': 'CANCELLED', ':pk': workPk(clientId, 'RERATE-DONE') },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  async putAccounts(accounts: readonly Account[]): Promise<void> {
    await batchWriteAll(this.db, this.tableName, accounts.map((account) => accountItem(AccountSchema.parse(account))));
  }

  async putRatePlan(plan: RatePlan): Promise<void> {
    const { rates, ...header } = RatePlanSchema.parse(plan);
    await batchWriteAll(this.db, this.tableName, [
      planHeaderItem(header),
      ...rates.map((rate) => ({ pk: planPk(plan.clientId, plan.ratePlanId), sk: rateSk(rate), type: 'RATE', ...rate })),
    ]);
  }

  async putRate(clientId: string, ratePlanId: string, rate: Rate): Promise<void> {
    const parsed = RateSchema.parse(rate);
    await this.send(new PutCommand({ TableName: this.tableName, Item: { pk: planPk(clientId, ratePlanId), sk: rateSk(parsed), type: 'RATE', ...parsed } }));
  }

  async importUsage(records: readonly UsageRecord[]): Promise<void> {
    await batchWriteAll(this.db, this.tableName, records.map((record) => usageItem(UsageRecordSchema.parse(record))));
  }

  async requestRerate(request: RerateRequest): Promise<void> {
    await this.send(new PutCommand({ TableName: this.tableName, Item: openRerateItem(request) }));
  }

  async listInvoices(clientId: string, accountId: string): Promise<Invoice[]> {
    const invoices: Invoice[] = [];
    for await (const item of queryItems(this.db, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :invoice)',
      ExpressionAttributeValues: { ':pk': accountPk(clientId, accountId), ':invoice': 'INVOICE#' },
    })) {
      invoices.push(InvoiceSchema.parse(entity(item)));
    }
    return invoices;
  }

  /**
   * Sends conditional puts, WRITE_CONCURRENCY at a time, each again after throttling
   * (sendToDynamo). Returns the ids whose condition failed; any other error fails the chunk, and
   * the writes that went through stay done (each is conditional on what was read, so the
   * caller's retry decides them again).
   * The condition is the point (a batch write has none): a record changes only from the revision
   * read, an invoice only if absent, and a failure names the item that lost. Not TransactWriteItems:
   * nothing needs two records to change together, and a transaction bills every item twice, on
   * writes that are most of a billing run's cost (docs/cost-and-scaling.md).
   */
  private async conditionalPuts(puts: ReadonlyArray<{ id: string; put: PutCommandInput }>): Promise<Set<string>> {
    const failedConditions = new Set<string>();
    await mapConcurrently(puts, WRITE_CONCURRENCY, async ({ id, put }) => {
      try {
        await this.send(new PutCommand(put));
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        failedConditions.add(id);
      }
    });
    return failedConditions;
  }
}
