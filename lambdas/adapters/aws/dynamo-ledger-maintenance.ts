import { GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { ConflictError, NotFoundError, StaleVersionError, ValidationError } from '../../domain/errors';
import {
  AccountSchema,
  InvoiceSchema,
  RatePlanSchema,
  RERATE_STATUSES,
  RerateRequestSchema,
  UsageRecordSchema,
  usageItemId,
  type Account,
  type Invoice,
  type Rate,
  type RatePlan,
  type RerateRequest,
  type RerateStatus,
  type UsageRecord,
  type UsageState,
} from '../../domain/ledger';
import { mapConcurrently } from '../../domain/concurrency';
import { decodePageToken, encodePageToken } from '../../domain/page-token';
import { MAX_USAGE_PER_TRANSACTION, QUEUE_OF_STATE, type LedgerMaintenance, type Page, type PageRequest, type UsageWrite, type VersionedRatePlan } from '../../ports/ledger';
import {
  accountItem,
  accountPk,
  entity,
  openRerateItem,
  planHeaderItem,
  planPk,
  rateSk,
  readRatePlan,
  rerateSk,
  usageItem,
  workPk,
  WORK_SHARDS,
  type IndexPartition,
} from './dynamo-ledger';
import { batchGetAll, cancellationCodes, isConditionFailure, queryItems, resilientSend, type Item, type Key } from './dynamo-toolkit';

/** Transactions of one usage import in flight at once. */
const IMPORT_CONCURRENCY = 4;
/** Rate plans whose rates are read at once for a list page. */
const PLAN_READ_CONCURRENCY = 16;

const RERATE_PARTITION: Record<RerateStatus, IndexPartition> = { OPEN: 'RERATE', DONE: 'RERATE-DONE', CANCELLED: 'RERATE-CANCELLED' };

/** Where a page ends: the source (a shard, an account) and the last key read in it. */
const CursorSchema = z.object({ p: z.string(), k: z.record(z.string(), z.string()).optional() });
type Cursor = z.infer<typeof CursorSchema>;

/** One query of a list, named by an id; a list reads its sources in id order. */
interface Source {
  id: string;
  query: QueryCommandInput;
}

function decodeCursor(token: string | undefined): Cursor | undefined {
  if (token === undefined) return undefined;
  const cursor = decodePageToken(token, CursorSchema);
  if (!cursor) throw new ValidationError('nextToken is not a token this API issued', [{ path: 'nextToken', message: 'invalid token' }]);
  return cursor;
}

const shardIds = (): string[] => Array.from({ length: WORK_SHARDS }, (_, shard) => String(shard));

/**
 * The ledger API's side of the ledger table (DynamoLedger is the jobs' side): lists read the
 * openWork index's list partitions a page at a time, and every change an operator makes is
 * conditional, in one transaction where the API promises all or nothing. Transactions cost two
 * write units per item; these writes are an operator's, rare next to a run's.
 */
export class DynamoLedgerMaintenance implements LedgerMaintenance {
  private readonly send: DynamoDBDocumentClient['send'];

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.send = resilientSend(db);
  }

  async getRatePlan(clientId: string, ratePlanId: string): Promise<VersionedRatePlan | undefined> {
    return readRatePlan(this.db, this.tableName, clientId, ratePlanId);
  }

  async listRatePlans(clientId: string, page: PageRequest): Promise<Page<VersionedRatePlan>> {
    const { keys, nextToken } = await this.page([{ id: 'plans', query: this.partitionQuery(clientId, 'PLANS') }], page);
    const plans = await mapConcurrently(keys, PLAN_READ_CONCURRENCY, (key) => this.getRatePlan(clientId, key.workSk as string));
    return withToken(plans.filter((plan): plan is VersionedRatePlan => plan !== undefined), nextToken);
  }

  async saveRatePlan(plan: RatePlan, expectedVersion: number | undefined, staleRates: readonly Rate[]): Promise<VersionedRatePlan> {
    const { rates, ...header } = RatePlanSchema.parse(plan);
    const version = (expectedVersion ?? 0) + 1;
    const pk = planPk(plan.clientId, plan.ratePlanId);
    const condition =
      expectedVersion === undefined
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : {
            // A plan seeded without a version is at version 1.
            ConditionExpression: expectedVersion === 1 ? 'attribute_exists(pk) AND (attribute_not_exists(#version) OR #version = :version)' : '#version = :version',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':version': expectedVersion },
          };
    try {
      await this.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: this.tableName, Item: planHeaderItem(header, version), ...condition } },
            ...rates.map((rate) => ({ Put: { TableName: this.tableName, Item: { pk, sk: rateSk(rate), type: 'RATE', ...rate } } })),
            ...staleRates.map((rate) => ({ Delete: { TableName: this.tableName, Key: { pk, sk: rateSk(rate) } } })),
          ],
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      throw new StaleVersionError(`rate plan ${plan.ratePlanId} changed since version ${expectedVersion ?? '(none: it was created meanwhile)'}: read it again`);
    }
    return { ...plan, version };
  }

  async listAccounts(clientId: string, page: PageRequest): Promise<Page<Account>> {
    const { keys, nextToken } = await this.page(this.shardSources(clientId, 'ACCOUNTS'), page);
    const items = await this.itemsInOrder(keys);
    return withToken(items.map((item) => AccountSchema.parse(entity(item))), nextToken);
  }

  async saveAccount(account: Account): Promise<void> {
    try {
      await this.send(
        new TransactWriteCommand({
          TransactItems: [
            { ConditionCheck: { TableName: this.tableName, Key: { pk: planPk(account.clientId, account.ratePlanId), sk: 'PLAN' }, ConditionExpression: 'attribute_exists(pk)' } },
            { Put: { TableName: this.tableName, Item: accountItem(AccountSchema.parse(account)) } },
          ],
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      throw new ConflictError(`rate plan ${account.ratePlanId} does not exist: create it first`, 'RATE_PLAN_NOT_FOUND', [{ path: 'ratePlanId', message: 'no such rate plan' }]);
    }
  }

  async createUsage(clientId: string, records: readonly UsageRecord[]): Promise<Set<string>> {
    const notWritten = new Set<string>();
    const chunks = chunk(records, MAX_USAGE_PER_TRANSACTION);
    await mapConcurrently(chunks, IMPORT_CONCURRENCY, async (part) => {
      try {
        await this.send(
          new TransactWriteCommand({
            TransactItems: part.map((record) => ({
              Put: { TableName: this.tableName, Item: usageItem(UsageRecordSchema.parse({ ...record, clientId })), ConditionExpression: 'attribute_not_exists(pk)' },
            })),
          }),
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        for (const record of part) notWritten.add(usageItemId(record));
      }
    });
    return notWritten;
  }

  async writeUsageTogether(clientId: string, writes: readonly UsageWrite[]): Promise<boolean> {
    if (writes.length === 0) return true;
    try {
      await this.send(
        new TransactWriteCommand({
          TransactItems: writes.map((write) => ({
            Put: {
              TableName: this.tableName,
              Item: usageItem(UsageRecordSchema.parse({ ...write.record, clientId, rev: write.expectedRev + 1 })),
              ConditionExpression: 'rev = :rev',
              ExpressionAttributeValues: { ':rev': write.expectedRev },
            },
          })),
        }),
      );
      return true;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return false;
    }
  }

  async listUsage(clientId: string, filter: { state: UsageState; accountId?: string }, page: PageRequest): Promise<Page<UsageRecord>> {
    const byState = { FilterExpression: '#state = :state', ExpressionAttributeNames: { '#state': 'state' }, ExpressionAttributeValues: { ':state': filter.state } };
    const accountSource = (accountId: string): Source => ({
      id: accountId,
      query: {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :usage)',
        ...byState,
        ExpressionAttributeValues: { ...byState.ExpressionAttributeValues, ':pk': accountPk(clientId, accountId), ':usage': 'USAGE#' },
      },
    });
    if (filter.accountId !== undefined || filter.state === 'SYNCED') {
      // SYNCED records are in no index (see IndexPartition): they are read account by account.
      const accountIds = filter.accountId !== undefined ? [filter.accountId] : await this.allAccountIds(clientId);
      const { keys: items, nextToken } = await this.page(accountIds.map(accountSource), page);
      return withToken(items.map((item) => UsageRecordSchema.parse(entity(item))), nextToken);
    }
    const partition: IndexPartition = QUEUE_OF_STATE[filter.state] ? 'OPEN' : 'DISCARDED';
    const sources = this.shardSources(clientId, partition).map((source) => ({
      ...source,
      query: { ...source.query, ...byState, ExpressionAttributeValues: { ...source.query.ExpressionAttributeValues, ...byState.ExpressionAttributeValues } },
    }));
    const { keys, nextToken } = await this.page(sources, page);
    return withToken((await this.itemsInOrder(keys)).map((item) => UsageRecordSchema.parse(entity(item))), nextToken);
  }

  async createRerateRequest(request: RerateRequest): Promise<void> {
    try {
      await this.send(
        new TransactWriteCommand({
          TransactItems: [
            { ConditionCheck: { TableName: this.tableName, Key: { pk: accountPk(request.clientId, request.accountId), sk: 'ACCOUNT' }, ConditionExpression: 'attribute_exists(pk)' } },
            { Put: { TableName: this.tableName, Item: openRerateItem(request), ConditionExpression: 'attribute_not_exists(pk)' } },
          ],
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      if (cancellationCodes(error)?.[0] === 'ConditionalCheckFailed') {
        throw new ConflictError(`account ${request.accountId} does not exist`, 'ACCOUNT_NOT_FOUND', [{ path: 'accountId', message: 'no such account' }]);
      }
      throw new ConflictError(`account ${request.accountId} already has rerate request ${request.requestId}`, 'RERATE_REQUEST_EXISTS', [{ path: 'requestId', message: 'taken' }]);
    }
  }

  async listRerateRequests(clientId: string, status: RerateStatus | undefined, page: PageRequest): Promise<Page<RerateRequest>> {
    const sources = (status ? [status] : [...RERATE_STATUSES]).map((s) => ({ id: s, query: this.partitionQuery(clientId, RERATE_PARTITION[s]) }));
    const { keys, nextToken } = await this.page(sources, page);
    const items = await this.itemsInOrder(keys);
    return withToken(items.map((item) => ({ ...RerateRequestSchema.parse(entity(item)), status: (item.status as RerateStatus | undefined) ?? 'OPEN' })), nextToken);
  }

  async cancelRerateRequest(clientId: string, accountId: string, requestId: string): Promise<void> {
    const key = { pk: accountPk(clientId, accountId), sk: rerateSk(requestId) };
    try {
      await this.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET #status = :cancelled, workPk = :pk',
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(#status) OR #status <> :done)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':cancelled': 'CANCELLED', ':done': 'DONE', ':pk': workPk(clientId, RERATE_PARTITION.CANCELLED) },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const stored = await this.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
      if (!stored.Item) throw new NotFoundError(`account ${accountId} has no rerate request ${requestId}`);
      throw new ConflictError(`rerate request ${accountId}/${requestId} is DONE: its rates are applied`, 'RERATE_REQUEST_DONE');
    }
  }

  async listInvoicePage(clientId: string, filter: { accountId?: string; periodId?: string }, page: PageRequest): Promise<Page<Invoice>> {
    const period = filter.periodId ?? '';
    if (filter.accountId !== undefined) {
      const source: Source = {
        id: filter.accountId,
        query: {
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :invoice)',
          ExpressionAttributeValues: { ':pk': accountPk(clientId, filter.accountId), ':invoice': `INVOICE#${period}` },
        },
      };
      const { keys: items, nextToken } = await this.page([source], page);
      return withToken(items.map((item) => InvoiceSchema.parse(entity(item))), nextToken);
    }
    // DynamoDB refuses an empty string in a key condition: without a period, the whole partition.
    const sources = this.shardSources(clientId, 'INVOICES').map((source) =>
      period === ''
        ? source
        : {
            ...source,
            query: {
              ...source.query,
              KeyConditionExpression: 'workPk = :pk AND begins_with(workSk, :period)',
              ExpressionAttributeValues: { ...source.query.ExpressionAttributeValues, ':period': period },
            },
          },
    );
    const { keys, nextToken } = await this.page(sources, page);
    return withToken((await this.itemsInOrder(keys)).map((item) => InvoiceSchema.parse(entity(item))), nextToken);
  }

  private partitionQuery(clientId: string, partition: IndexPartition, shard?: number): QueryCommandInput {
    return { TableName: this.tableName, IndexName: 'openWork', KeyConditionExpression: 'workPk = :pk', ExpressionAttributeValues: { ':pk': workPk(clientId, partition, shard) } };
  }

  private shardSources(clientId: string, partition: IndexPartition): Source[] {
    return shardIds().map((id) => ({ id, query: this.partitionQuery(clientId, partition, Number(id)) }));
  }

  private async allAccountIds(clientId: string): Promise<string[]> {
    const ids: string[] = [];
    for (const { query } of this.shardSources(clientId, 'ACCOUNTS')) {
      for await (const item of queryItems(this.db, query)) ids.push(item.workSk as string);
    }
    return ids.sort();
  }

  /**
   * Up to `limit` items of the sources in id order, resuming after the cursor in nextToken.
   * Each query asks for no more than the page still needs, so a cursor never skips an item.
   */
  private async page(sources: readonly Source[], request: PageRequest): Promise<{ keys: Item[]; nextToken?: string }> {
    const cursor = decodeCursor(request.nextToken);
    const ordered = [...sources].sort((a, b) => a.id.localeCompare(b.id));
    const first = cursor ? ordered.findIndex((source) => source.id.localeCompare(cursor.p) >= 0) : 0;
    const items: Item[] = [];
    for (let index = first < 0 ? ordered.length : first; index < ordered.length; index++) {
      const source = ordered[index] as Source;
      let startKey: Item | undefined = cursor && source.id === cursor.p ? cursor.k : undefined;
      do {
        const result = await this.send(new QueryCommand({ ...source.query, Limit: request.limit - items.length, ...(startKey ? { ExclusiveStartKey: startKey } : {}) }));
        items.push(...((result.Items ?? []) as Item[]));
        startKey = result.LastEvaluatedKey;
        if (items.length === request.limit) {
          const next = ordered[index + 1];
          if (startKey) return { keys: items, nextToken: encodePageToken({ p: source.id, k: startKey as Record<string, string> }) };
          return next ? { keys: items, nextToken: encodePageToken({ p: next.id }) } : { keys: items };
        }
      } while (startKey);
    }
    return { keys: items };
  }

  /** The full items of index entries, in the entries' order. */
  private async itemsInOrder(keys: readonly Item[]): Promise<Item[]> {
    const tableKeys = keys.map((key) => ({ pk: key.pk as string, sk: key.sk as string }));
    const found = new Map((await batchGetAll(this.db, this.tableName, tableKeys)).map((item) => [`${item.pk as string}|${item.sk as string}`, item]));
    return tableKeys.map((key: Key) => found.get(`${key.pk}|${key.sk}`)).filter((item): item is Item => item !== undefined);
  }
}

function withToken<T>(items: T[], nextToken: string | undefined): Page<T> {
  return nextToken === undefined ? { items } : { items, nextToken };
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}
