import { DeleteCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Delivery, StoredSubscription, SubscriptionStore } from '../../ports/notifications';
import { ValidationError } from '../../domain/errors';
import { getItem, queryAll, resilientSend, writeIfConditionsHold } from './dynamo-toolkit';

/** A delivery log outlives every retry (a little over an hour) by far; then TTL removes it. */
const DELIVERY_RETENTION_DAYS = 30;

/*
 * Subscriptions in the Config table, in their client's partition:
 * - `CLIENT#<clientId>` / `SUBSCRIPTION#<subscriptionId>`   the subscription, its secret sealed
 * Delivery logs in the Runs table (TTL `expiresAt`), one partition per subscription, newest last:
 * - `DELIVERIES#<clientId>#<subscriptionId>` / `<event at>#<eventId>`
 */
const subscriptionKey = (clientId: string, subscriptionId: string) => ({ pk: `CLIENT#${clientId}`, sk: `SUBSCRIPTION#${subscriptionId}` });
const deliveryPk = (clientId: string, subscriptionId: string): string => `DELIVERIES#${clientId}#${subscriptionId}`;
const deliveryKey = (clientId: string, subscriptionId: string, at: string, eventId: string) => ({ pk: deliveryPk(clientId, subscriptionId), sk: `${at}#${eventId}` });

export class DynamoNotificationStore implements SubscriptionStore {
  private readonly send: DynamoDBDocumentClient['send'];

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: { config: string; runs: string },
  ) {
    this.send = resilientSend(db);
  }

  async putSubscription(subscription: StoredSubscription): Promise<void> {
    await this.send(new PutCommand({ TableName: this.tables.config, Item: { ...subscriptionKey(subscription.clientId, subscription.subscriptionId), ...subscription } }));
  }

  async listSubscriptions(clientId: string): Promise<StoredSubscription[]> {
    const items = await queryAll(this.db, {
      TableName: this.tables.config,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sub)',
      ExpressionAttributeValues: { ':pk': `CLIENT#${clientId}`, ':sub': 'SUBSCRIPTION#' },
    });
    return items.map(toSubscription);
  }

  async pageSubscriptions(clientId: string, page: { limit: number; nextToken?: string }): Promise<{ items: StoredSubscription[]; nextToken?: string }> {
    const pk = `CLIENT#${clientId}`;
    const after = decodeToken(page.nextToken, SUBSCRIPTION_SK);
    // One more than the page: a next page is promised only when there is one.
    const result = await this.send(
      new QueryCommand({
        TableName: this.tables.config,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sub)',
        ExpressionAttributeValues: { ':pk': pk, ':sub': 'SUBSCRIPTION#' },
        Limit: page.limit + 1,
        ...(after ? { ExclusiveStartKey: { pk, sk: after } } : {}),
      }),
    );
    const items = (result.Items ?? []).slice(0, page.limit);
    const more = (result.Items ?? []).length > page.limit || result.LastEvaluatedKey !== undefined;
    const last = items.at(-1)?.sk;
    return { items: items.map(toSubscription), ...(more && typeof last === 'string' ? { nextToken: encodeToken(last) } : {}) };
  }

  async getSubscription(clientId: string, subscriptionId: string): Promise<StoredSubscription | undefined> {
    const item = await getItem(this.db, this.tables.config, subscriptionKey(clientId, subscriptionId), true);
    return item ? toSubscription(item) : undefined;
  }

  async deleteSubscription(clientId: string, subscriptionId: string): Promise<boolean> {
    return writeIfConditionsHold(() =>
      this.send(new DeleteCommand({ TableName: this.tables.config, Key: subscriptionKey(clientId, subscriptionId), ConditionExpression: 'attribute_exists(pk)' })),
    );
  }

  async openDelivery(clientId: string, delivery: Delivery): Promise<void> {
    // A delivery already opened stays as it was opened.
    await writeIfConditionsHold(() =>
      this.send(
        new PutCommand({
          TableName: this.tables.runs,
          Item: { ...deliveryKey(clientId, delivery.subscriptionId, delivery.at, delivery.eventId), ...delivery, expiresAt: expiresAt(delivery.at) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  async getDelivery(clientId: string, subscriptionId: string, at: string, eventId: string): Promise<Delivery | undefined> {
    const item = await getItem(this.db, this.tables.runs, deliveryKey(clientId, subscriptionId, at, eventId), true);
    return item ? toDelivery(item) : undefined;
  }

  async recordAttempt(clientId: string, delivery: Delivery, expectedAttempts: number): Promise<boolean> {
    return writeIfConditionsHold(() =>
      this.send(
        new PutCommand({
          TableName: this.tables.runs,
          Item: { ...deliveryKey(clientId, delivery.subscriptionId, delivery.at, delivery.eventId), ...delivery, expiresAt: expiresAt(delivery.at) },
          ConditionExpression: 'attempts = :expected',
          ExpressionAttributeValues: { ':expected': expectedAttempts },
        }),
      ),
    );
  }

  async listDeliveries(clientId: string, subscriptionId: string, page: { limit: number; nextToken?: string }): Promise<{ items: Delivery[]; nextToken?: string }> {
    const pk = deliveryPk(clientId, subscriptionId);
    const result = await this.send(
      new QueryCommand({
        TableName: this.tables.runs,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        ScanIndexForward: false,
        Limit: page.limit,
        // The token is the last sort key read; the partition comes from the URL, so no token reads another's log.
        ...(page.nextToken ? { ExclusiveStartKey: { pk, sk: decodeToken(page.nextToken, DELIVERY_SK) } } : {}),
      }),
    );
    const last = result.LastEvaluatedKey?.sk;
    return { items: (result.Items ?? []).map(toDelivery), ...(typeof last === 'string' ? { nextToken: encodeToken(last) } : {}) };
  }
}

/** The sort keys a page token may hold: a token is the last key of its page, checked on the way back in. */
const SUBSCRIPTION_SK = /^SUBSCRIPTION#sub_[a-f0-9]{20}$/;
const DELIVERY_SK = /^\d{4}-\d{2}-\d{2}T[\d:.]+Z#[\w-]{1,200}$/;

function encodeToken(sk: string): string {
  return Buffer.from(sk).toString('base64url');
}

/** The token's sort key; anything this store did not issue is a 400 at nextToken. */
function decodeToken(token: string | undefined, shape: RegExp): string | undefined {
  if (token === undefined) return undefined;
  const sk = Buffer.from(token, 'base64url').toString('utf8');
  if (!shape.test(sk)) throw new ValidationError('nextToken is not a token this API issued', [{ path: 'nextToken', message: 'invalid token' }]);
  return sk;
}

function expiresAt(at: string): number {
  return Math.floor(Date.parse(at) / 1000) + DELIVERY_RETENTION_DAYS * 86_400;
}

function toSubscription(item: Record<string, unknown>): StoredSubscription {
  return {
    subscriptionId: String(item.subscriptionId),
    clientId: String(item.clientId),
    url: String(item.url),
    events: item.events as string[],
    createdAt: String(item.createdAt),
    sealedSecret: String(item.sealedSecret),
  };
}

function toDelivery(item: Record<string, unknown>): Delivery {
  return {
    subscriptionId: String(item.subscriptionId),
    eventId: String(item.eventId),
    type: item.type as Delivery['type'],
    at: String(item.at),
    status: item.status as Delivery['status'],
    attempts: Number(item.attempts),
    ...(item.responseStatus !== undefined ? { responseStatus: Number(item.responseStatus) } : {}),
    ...(item.firstAttemptAt ? { firstAttemptAt: String(item.firstAttemptAt) } : {}),
    ...(item.lastAttemptAt ? { lastAttemptAt: String(item.lastAttemptAt) } : {}),
  };
}
