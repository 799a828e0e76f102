import { PutCommand, ScanCommand, TransactWriteCommand, type DynamoDBDocumentClient, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { ScheduleConfigSchema, type Schedule } from '../../domain/model';
import { getItem, resilientSend, type Item } from './dynamo-toolkit';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** Keys of the config table (CONFIG_TABLE in table-definitions.ts) that more than one of its stores writes or reads. */
export const clientPk = (clientId: string): string => `CLIENT#${clientId}`;
export const CLIENT_SK = 'CLIENT';
export const SCHEDULE_PREFIX = 'SCHEDULE#';
export const scheduleSk = (scheduleId: string): string => `${SCHEDULE_PREFIX}${scheduleId}`;

/** Attributes that make up an item's key or index, never part of the entity itself. */
const KEY_ATTRIBUTES = ['pk', 'sk', 'entity', 'nameKey', 'selfFiringPk', 'selfFiringSk'] as const;

export const StoredScheduleSchema = ScheduleConfigSchema.extend({
  scheduleId: z.string(),
  clientId: z.string(),
  mandatory: z.boolean(),
  version: z.number().int().positive(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export function toSchedule(item: Item): Schedule {
  return StoredScheduleSchema.parse(entityOf(item));
}

export function entityOf(item: Item): Item {
  const entity = { ...item };
  for (const key of KEY_ATTRIBUTES) delete entity[key];
  return entity;
}

/** Drops undefined values at any depth, so the item does not depend on the client's marshall options. */
export function plain<T>(value: T): Item {
  return JSON.parse(JSON.stringify(value)) as Item;
}

export interface ScanPage {
  /** The items of the entity asked for. */
  items: Item[];
  /** Items the page read, of every entity (what `limit` counts). */
  scanned: number;
  /** Where the next page starts; absent after the last. */
  lastKey?: Item;
}

/**
 * The config table as each of its stores (clients, schedules, calendars, trigger pages) reaches
 * it: every call through sendToDynamo, reads strongly consistent.
 */
export class ConfigTable {
  readonly send: DynamoDBDocumentClient['send'];

  constructor(
    readonly document: DynamoDBDocumentClient,
    readonly name: string,
  ) {
    this.send = resilientSend(document);
  }

  get(pk: string, sk: string): Promise<Item | undefined> {
    return getItem(this.document, this.name, { pk, sk }, true);
  }

  /** One transaction; a single item goes as a plain conditional write (half the cost), with the same error. */
  async transact(items: TransactItem[]): Promise<void> {
    const [only] = items;
    if (items.length === 1 && only?.Put) {
      await this.send(new PutCommand(only.Put));
      return;
    }
    await this.send(new TransactWriteCommand({ TransactItems: items }));
  }

  /** One Scan page of the items of one entity (`limit` counts items read, before the filter). */
  async scanPage(entity: string, options: { consistent: boolean; limit?: number; startKey?: Item }): Promise<ScanPage> {
    const page = await this.send(
      new ScanCommand({
        TableName: this.name,
        FilterExpression: 'entity = :entity',
        ExpressionAttributeValues: { ':entity': entity },
        ConsistentRead: options.consistent,
        ...(options.limit === undefined ? {} : { Limit: options.limit }),
        ...(options.startKey ? { ExclusiveStartKey: options.startKey } : {}),
      }),
    );
    return { items: page.Items ?? [], scanned: page.ScannedCount ?? 0, ...(page.LastEvaluatedKey ? { lastKey: page.LastEvaluatedKey } : {}) };
  }

  /**
   * Every item of one entity, by a Scan: only listings of every client ask (the local scheduler,
   * the admin's inbox), and the table holds configuration, a few items per client.
   */
  async scanAll(entity: string, consistent: boolean): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.scanPage(entity, { consistent, ...(startKey ? { startKey } : {}) });
      items.push(...page.items);
      startKey = page.lastKey;
    } while (startKey);
    return items;
  }
}
