import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { ConflictError, NotFoundError, StaleVersionError, ValidationError } from '../../domain/errors';
import { CalendarConfigSchema, CalendarIdSchema, ClientIdSchema, ScheduleConfigSchema, type Client, type Schedule } from '../../domain/model';
import { ROLES, SYSTEM_ACTOR, type Calendar, type CalendarPage, type ConfigStore, type PrincipalGrant, type Role, type ScheduleTriggerPage, type ScheduleVersion, type ScheduleVersionPage } from '../../ports/config-store';
import { firesByItself } from '../../services/schedule-firing-service';
import { cancellationCodes, isConditionFailure, resilientSend } from './dynamo-toolkit';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

const StoredClientSchema = z.object({
  clientId: ClientIdSchema,
  name: z.string(),
  timezone: z.string(),
  dailyScheduleId: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const StoredScheduleSchema = ScheduleConfigSchema.extend({
  scheduleId: z.string(),
  clientId: z.string(),
  mandatory: z.boolean(),
  version: z.number().int().positive(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

// Not strict: the item also carries useCount, the number of schedules that name the calendar.
const StoredCalendarSchema = z.object({
  ...CalendarConfigSchema.shape,
  calendarId: z.string(),
  clientId: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const StoredVersionSummarySchema = z.object({ version: z.number().int().positive(), savedAt: z.string(), savedBy: z.string() });

// Mappings recorded before roles existed carry none: they keep the admin rights they had.
const StoredPrincipalSchema = z.object({ clientIds: z.array(z.string()), role: z.enum(ROLES).default('admin') });

/** Attributes that make up an item's key or index, never part of the entity itself. */
const KEY_ATTRIBUTES = ['pk', 'sk', 'entity', 'nameKey', 'selfFiringPk', 'selfFiringSk'] as const;
const SELF_FIRING_PK = 'SELF_FIRING';
const TRIGGER_CURSOR_KEY = { pk: 'RECONCILE', sk: 'TRIGGERS' };

const clientPk = (clientId: string): string => `CLIENT#${clientId}`;
const CLIENT_SK = 'CLIENT';
const scheduleSk = (scheduleId: string): string => `SCHEDULE#${scheduleId}`;
const nameSk = (name: string): string => `NAME#${nameKey(name)}`;
const CALENDAR_PREFIX = 'CALENDAR#';
const calendarSk = (calendarId: string): string => `${CALENDAR_PREFIX}${calendarId}`;
/** A schedule's versions sort by number: `VERSION#<scheduleId>#000003`. */
const versionSk = (scheduleId: string, version: number): string => `VERSION#${scheduleId}#${String(version).padStart(6, '0')}`;
const MAX_VERSION = 999_999;
/**
 * A role's mapping is keyed without the role's path: a caller's session ARN
 * (`arn:aws:sts::<account>:assumed-role/<name>/<session>`) never carries it, while the role ARN
 * DevOps copies from IAM may (`arn:aws:iam::<account>:role/teams/billing/<name>`). A role's name
 * is unique in its account whatever its path, so both forms name the same role.
 */
const principalPk = (principalArn: string): string => `PRINCIPAL#${principalArn.replace(/^(arn:[^:]+:iam::\d{12}:role\/)(?:[^/]+\/)+([^/]+)$/, '$1$2')}`;
const PRINCIPAL_SK = 'PRINCIPAL';

/** Schedule names are unique per client regardless of case and surrounding blanks. */
export function nameKey(name: string): string {
  return name.trim().normalize('NFC').toLowerCase();
}

/** Times a delete reads the schedule again after a concurrent rename moved its name. */
const RENAMED_RETRIES = 6;

/**
 * Clients and schedules in the config table (layout: CONFIG_TABLE in table-definitions.ts).
 * Schedule names stay unique per client through a NAME#<lower-case name> guard item written in
 * the same transaction as the schedule. Transactions cancelled by a conflicting one are sent again
 * (sendToDynamo), so that the loser sees the winner's write and fails on the condition that
 * explains why (a name taken, a stale version).
 */
export class DynamoConfigStore implements ConfigStore {
  private readonly send: DynamoDBDocumentClient['send'];

  constructor(
    document: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.send = resilientSend(document);
  }

  async getClient(clientId: string): Promise<Client | undefined> {
    const item = await this.get(clientPk(clientId), CLIENT_SK);
    return item ? StoredClientSchema.parse(entityOf(item)) : undefined;
  }

  async createClient(client: Client, dailySchedule: Schedule, savedBy = SYSTEM_ACTOR): Promise<boolean> {
    try {
      await this.transact([
        { Put: { TableName: this.tableName, Item: this.clientItem(client), ConditionExpression: 'attribute_not_exists(pk)' } },
        ...this.scheduleCreation(dailySchedule),
        this.versionPut(dailySchedule, savedBy),
      ]);
      return true;
    } catch (error) {
      const reasons = cancellationCodes(error);
      if (reasons?.[0] === 'ConditionalCheckFailed') return false;
      throw error;
    }
  }

  async updateClient(client: Client): Promise<void> {
    try {
      await this.send(
        new PutCommand({ TableName: this.tableName, Item: this.clientItem(client), ConditionExpression: 'attribute_exists(pk)' }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw new NotFoundError(`client ${client.clientId} not found`);
      throw error;
    }
  }

  async getSchedule(clientId: string, scheduleId: string): Promise<Schedule | undefined> {
    const item = await this.get(clientPk(clientId), scheduleSk(scheduleId));
    return item ? toSchedule(item) : undefined;
  }

  async listSchedules(clientId: string): Promise<Schedule[]> {
    const schedules: Schedule[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': clientPk(clientId), ':prefix': 'SCHEDULE#' },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) schedules.push(toSchedule(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return schedules.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.scheduleId.localeCompare(b.scheduleId));
  }

  async listAllSchedules(): Promise<Schedule[]> {
    // A Scan: only the local scheduler asks (the deployed reconciler pages the selfFiringSchedules
    // index), and the table holds configuration, a few items per client.
    const schedules: Schedule[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: 'entity = :schedule',
          ExpressionAttributeValues: { ':schedule': 'SCHEDULE' },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) schedules.push(toSchedule(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return schedules.sort((a, b) => a.clientId.localeCompare(b.clientId) || a.createdAt.localeCompare(b.createdAt) || a.scheduleId.localeCompare(b.scheduleId));
  }

  async scheduleTriggerPage(limit: number, cursor?: string): Promise<ScheduleTriggerPage> {
    // A Query of the sparse index: a page costs what it returns, never a Scan of every client's items.
    const page = await this.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'selfFiringSchedules',
        KeyConditionExpression: 'selfFiringPk = :pk',
        ExpressionAttributeValues: { ':pk': SELF_FIRING_PK },
        Limit: limit,
        ...(cursor ? { ExclusiveStartKey: triggerStartKey(cursor) } : {}),
      }),
    );
    const next = page.LastEvaluatedKey;
    return {
      schedules: (page.Items ?? []).map(toSchedule),
      ...(next ? { cursor: Buffer.from(JSON.stringify(next)).toString('base64url') } : {}),
    };
  }

  async getTriggerCursor(): Promise<string | undefined> {
    const item = await this.get(TRIGGER_CURSOR_KEY.pk, TRIGGER_CURSOR_KEY.sk);
    return typeof item?.cursor === 'string' ? item.cursor : undefined;
  }

  async saveTriggerCursor(cursor: string | undefined): Promise<void> {
    await this.send(new PutCommand({ TableName: this.tableName, Item: { ...TRIGGER_CURSOR_KEY, ...(cursor ? { cursor } : {}) } }));
  }

  async createSchedule(schedule: Schedule, savedBy = SYSTEM_ACTOR): Promise<void> {
    const items: TransactItem[] = [
      {
        ConditionCheck: {
          TableName: this.tableName,
          Key: { pk: clientPk(schedule.clientId), sk: CLIENT_SK },
          ConditionExpression: 'attribute_exists(pk)',
        },
      },
      ...this.scheduleCreation(schedule),
      this.versionPut(schedule, savedBy),
    ];
    try {
      await this.transact(items);
    } catch (error) {
      const [client, scheduleItem, guard, calendarUse] = cancellationCodes(error) ?? [];
      if (client === 'ConditionalCheckFailed') throw new NotFoundError(`client ${schedule.clientId} not found`);
      if (scheduleItem === 'ConditionalCheckFailed') throw new ConflictError(`schedule ${schedule.scheduleId} already exists`, 'SCHEDULE_EXISTS');
      if (guard === 'ConditionalCheckFailed') throw nameTaken(schedule.name);
      if (schedule.calendarId && calendarUse === 'ConditionalCheckFailed') throw unknownCalendar(schedule.calendarId);
      throw error;
    }
  }

  async updateSchedule(schedule: Schedule, expectedVersion: number, savedBy = SYSTEM_ACTOR): Promise<void> {
    const current = await this.getSchedule(schedule.clientId, schedule.scheduleId);
    if (!current) throw scheduleNotFound(schedule);
    if (current.version !== expectedVersion) throw staleVersion(schedule, current.version, expectedVersion);
    const next: Schedule = { ...schedule, version: expectedVersion + 1 };
    const put: TransactItem = {
      Put: {
        TableName: this.tableName,
        Item: this.scheduleItem(next),
        ConditionExpression: 'attribute_exists(pk) AND version = :expected',
        ExpressionAttributeValues: { ':expected': expectedVersion },
      },
    };
    const renamed = nameKey(current.name) !== nameKey(next.name);
    const calendarUse = this.calendarUseChange(current, next);
    const items: TransactItem[] = renamed
      ? [
          put,
          {
            Delete: {
              TableName: this.tableName,
              Key: { pk: clientPk(next.clientId), sk: nameSk(current.name) },
              ConditionExpression: 'attribute_not_exists(pk) OR scheduleId = :id',
              ExpressionAttributeValues: { ':id': next.scheduleId },
            },
          },
          this.guardPut(next),
        ]
      : [put];
    items.push(this.versionPut(next, savedBy), ...calendarUse);
    try {
      await this.transact(items);
    } catch (error) {
      const codes = items.length > 1 ? cancellationCodes(error) : isConditionFailure(error) ? ['ConditionalCheckFailed'] : undefined;
      if (codes?.[0] === 'ConditionalCheckFailed') {
        const now = await this.getSchedule(schedule.clientId, schedule.scheduleId);
        if (!now) throw scheduleNotFound(schedule);
        throw staleVersion(schedule, now.version, expectedVersion);
      }
      if (renamed && codes?.[2] === 'ConditionalCheckFailed') throw nameTaken(next.name);
      if (codes?.slice(items.length - calendarUse.length).includes('ConditionalCheckFailed')) throw unknownCalendar(next.calendarId);
      throw error;
    }
  }

  /**
   * Deletes a schedule and frees its name. The mandatory daily schedule is refused here too, so
   * no caller can remove it by going around the service.
   */
  async deleteSchedule(clientId: string, scheduleId: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.getSchedule(clientId, scheduleId);
      if (!current) throw new NotFoundError(`schedule ${scheduleId} not found`);
      if (current.mandatory) throw new ConflictError('the mandatory daily schedule cannot be deleted', 'MANDATORY_SCHEDULE');
      try {
        await this.transact([
          {
            Delete: {
              TableName: this.tableName,
              Key: { pk: clientPk(clientId), sk: scheduleSk(scheduleId) },
              // The version pins the name read above: a concurrent rename makes this attempt retry.
              ConditionExpression: 'version = :version',
              ExpressionAttributeValues: { ':version': current.version },
            },
          },
          {
            Delete: {
              TableName: this.tableName,
              Key: { pk: clientPk(clientId), sk: nameSk(current.name) },
              ConditionExpression: 'attribute_not_exists(pk) OR scheduleId = :id',
              ExpressionAttributeValues: { ':id': scheduleId },
            },
          },
          ...this.calendarUseChange(current, undefined),
        ]);
        return;
      } catch (error) {
        if (cancellationCodes(error)?.[0] !== 'ConditionalCheckFailed' || attempt >= RENAMED_RETRIES) throw error;
      }
    }
  }

  async getCalendar(clientId: string, calendarId: string): Promise<Calendar | undefined> {
    const item = await this.get(clientPk(clientId), calendarSk(calendarId));
    return item ? StoredCalendarSchema.parse(entityOf(item)) : undefined;
  }

  async listCalendars(clientId: string, page: { limit: number; nextToken?: string }): Promise<CalendarPage> {
    const after = page.nextToken === undefined ? undefined : calendarIdOfToken(page.nextToken);
    const items: Calendar[] = [];
    let startKey: Record<string, unknown> | undefined = after === undefined ? undefined : { pk: clientPk(clientId), sk: calendarSk(after) };
    do {
      const result = await this.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': clientPk(clientId), ':prefix': CALENDAR_PREFIX },
          ConsistentRead: true,
          // One more than the page: a full last page then gets no nextToken to an empty one.
          Limit: page.limit + 1 - items.length,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of result.Items ?? []) items.push(StoredCalendarSchema.parse(entityOf(item)));
      startKey = result.LastEvaluatedKey;
    } while (startKey && items.length <= page.limit);
    if (items.length <= page.limit) return { items };
    const shown = items.slice(0, page.limit);
    return { items: shown, nextToken: Buffer.from(shown[shown.length - 1]!.calendarId).toString('base64url') };
  }

  /** An update, not a put: the count of schedules using the calendar stays as their writes left it. */
  async putCalendar(calendar: Calendar): Promise<boolean> {
    const result = await this.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: clientPk(calendar.clientId), sk: calendarSk(calendar.calendarId) },
        UpdateExpression:
          'SET entity = :entity, calendarId = :calendarId, clientId = :clientId, #name = :name, weekend = :weekend, holidays = :holidays, createdAt = if_not_exists(createdAt, :createdAt), updatedAt = :updatedAt',
        ExpressionAttributeNames: { '#name': 'name' },
        ExpressionAttributeValues: {
          ':entity': 'CALENDAR',
          ':calendarId': calendar.calendarId,
          ':clientId': calendar.clientId,
          ':name': calendar.name,
          ':weekend': [...calendar.weekend],
          ':holidays': [...calendar.holidays],
          ':createdAt': calendar.createdAt,
          ':updatedAt': calendar.updatedAt,
        },
        ReturnValues: 'ALL_OLD',
      }),
    );
    return result.Attributes === undefined;
  }

  async deleteCalendar(clientId: string, calendarId: string): Promise<void> {
    try {
      await this.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: clientPk(clientId), sk: calendarSk(calendarId) },
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(useCount) OR useCount = :none)',
          ExpressionAttributeValues: { ':none': 0 },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      if (!(await this.getCalendar(clientId, calendarId))) throw new NotFoundError(`calendar ${calendarId} not found`);
      const users = (await this.listSchedules(clientId)).filter((schedule) => schedule.calendarId === calendarId);
      const names = users.map((schedule) => `${schedule.name} (${schedule.scheduleId})`).join(', ');
      throw new ConflictError(`calendar ${calendarId} is used by ${names || 'a schedule being saved'}: change those schedules first`, 'CALENDAR_IN_USE', [
        { path: 'calendarId', message: `used by ${users.length === 0 ? 'a schedule being saved' : names}` },
      ]);
    }
  }

  async listClients(): Promise<Client[]> {
    // A Scan, like listAllSchedules: the table holds configuration, a few items per client.
    const clients: Client[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: 'entity = :client',
          ExpressionAttributeValues: { ':client': 'CLIENT' },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) clients.push(StoredClientSchema.parse(entityOf(item)));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return clients.sort((a, b) => (a.clientId < b.clientId ? -1 : 1));
  }

  async listScheduleVersions(clientId: string, scheduleId: string, page: { limit: number; nextToken?: string }): Promise<ScheduleVersionPage> {
    const before = page.nextToken === undefined ? undefined : versionOfToken(page.nextToken);
    const result = await this.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :first AND :last',
        ExpressionAttributeValues: { ':pk': clientPk(clientId), ':first': versionSk(scheduleId, 1), ':last': versionSk(scheduleId, before === undefined ? MAX_VERSION : before - 1) },
        ProjectionExpression: 'version, savedAt, savedBy',
        ScanIndexForward: false,
        ConsistentRead: true,
        Limit: page.limit,
      }),
    );
    const items = (result.Items ?? []).map((item) => StoredVersionSummarySchema.parse(item));
    const last = items.at(-1);
    return { items, ...(result.LastEvaluatedKey && last && last.version > 1 ? { nextToken: Buffer.from(String(last.version)).toString('base64url') } : {}) };
  }

  async getScheduleVersion(clientId: string, scheduleId: string, version: number): Promise<ScheduleVersion | undefined> {
    const item = await this.get(clientPk(clientId), versionSk(scheduleId, version));
    if (!item) return undefined;
    const { savedAt, savedBy } = StoredVersionSummarySchema.parse(item);
    return { schedule: StoredScheduleSchema.parse(item.schedule), savedAt, savedBy };
  }

  async getPrincipal(principalArn: string): Promise<PrincipalGrant | undefined> {
    const item = await this.get(principalPk(principalArn), PRINCIPAL_SK);
    return item ? StoredPrincipalSchema.parse(entityOf(item)) : undefined;
  }

  /** Records the client ids an IAM principal may act for (`*` = every client) and its role; used by DevOps tooling and tests. */
  async putPrincipalClients(principalArn: string, clientIds: readonly string[], role: Role = 'admin'): Promise<void> {
    await this.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: principalPk(principalArn), sk: PRINCIPAL_SK, entity: 'PRINCIPAL', principalArn, clientIds: [...clientIds], role },
      }),
    );
  }

  /** Removes a principal's mapping: it then may act for no client. */
  async deletePrincipal(principalArn: string): Promise<void> {
    await this.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: principalPk(principalArn), sk: PRINCIPAL_SK } }));
  }

  private async get(pk: string, sk: string): Promise<Record<string, unknown> | undefined> {
    const result = await this.send(new GetCommand({ TableName: this.tableName, Key: { pk, sk }, ConsistentRead: true }));
    return result.Item;
  }

  /** One transaction; a single item goes as a plain conditional write (half the cost), with the same error. */
  private async transact(items: TransactItem[]): Promise<void> {
    const [only] = items;
    if (items.length === 1 && only?.Put) {
      await this.send(new PutCommand(only.Put));
      return;
    }
    await this.send(new TransactWriteCommand({ TransactItems: items }));
  }

  private scheduleCreation(schedule: Schedule): TransactItem[] {
    return [
      { Put: { TableName: this.tableName, Item: this.scheduleItem(schedule), ConditionExpression: 'attribute_not_exists(pk)' } },
      this.guardPut(schedule),
      ...this.calendarUseChange(undefined, schedule),
    ];
  }

  /**
   * Counts a schedule's use of its calendar on the calendar item, in the schedule's own
   * transaction: a calendar delete (conditional on no use) and a schedule save that names the
   * calendar touch one item, so one of them sees the other. The count only goes up on a
   * calendar that exists.
   */
  private calendarUseChange(previous: Pick<Schedule, 'clientId' | 'calendarId'> | undefined, next: Pick<Schedule, 'clientId' | 'calendarId'> | undefined): TransactItem[] {
    if (previous?.calendarId === next?.calendarId) return [];
    const count = (schedule: Pick<Schedule, 'clientId'>, calendarId: string, by: number, condition?: string): TransactItem => ({
      Update: {
        TableName: this.tableName,
        Key: { pk: clientPk(schedule.clientId), sk: calendarSk(calendarId) },
        UpdateExpression: 'ADD useCount :by',
        ExpressionAttributeValues: { ':by': by },
        ...(condition ? { ConditionExpression: condition } : {}),
      },
    });
    return [
      ...(previous?.calendarId ? [count(previous, previous.calendarId, -1, 'attribute_exists(pk)')] : []),
      ...(next?.calendarId ? [count(next, next.calendarId, 1, 'attribute_exists(pk)')] : []),
    ];
  }

  /**
   * The schedule as saved, kept under its version. Unconditional: only the transaction whose
   * schedule write holds the version condition writes that version, and it outlives the schedule.
   */
  private versionPut(schedule: Schedule, savedBy: string): TransactItem {
    return {
      Put: {
        TableName: this.tableName,
        Item: {
          pk: clientPk(schedule.clientId),
          sk: versionSk(schedule.scheduleId, schedule.version),
          entity: 'SCHEDULE_VERSION',
          version: schedule.version,
          savedAt: schedule.updatedAt,
          savedBy,
          schedule: plain(schedule),
        },
      },
    };
  }

  private guardPut(schedule: Schedule): TransactItem {
    return {
      Put: {
        TableName: this.tableName,
        Item: { pk: clientPk(schedule.clientId), sk: nameSk(schedule.name), entity: 'NAME', scheduleId: schedule.scheduleId },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  }

  private clientItem(client: Client): Record<string, unknown> {
    return { ...plain(client), pk: clientPk(client.clientId), sk: CLIENT_SK, entity: 'CLIENT' };
  }

  private scheduleItem(schedule: Schedule): Record<string, unknown> {
    return {
      ...plain(schedule),
      pk: clientPk(schedule.clientId),
      sk: scheduleSk(schedule.scheduleId),
      entity: 'SCHEDULE',
      nameKey: nameKey(schedule.name),
      // Every save replaces the item: disabling or making a schedule MANUAL drops it from the index.
      ...(firesByItself(schedule) ? { selfFiringPk: SELF_FIRING_PK, selfFiringSk: `${schedule.clientId}#${schedule.scheduleId}` } : {}),
    };
  }
}

/** A trigger page's cursor is the index key it stopped at; anything else is refused. */
function triggerStartKey(cursor: string): Record<string, string> {
  const invalid = new ValidationError('cursor is not a cursor this store issued', [{ path: 'cursor', message: 'invalid cursor' }]);
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  const parsed = z.object({ pk: z.string(), sk: z.string(), selfFiringPk: z.literal(SELF_FIRING_PK), selfFiringSk: z.string() }).strict().safeParse(key);
  if (!parsed.success) throw invalid;
  return parsed.data;
}

/** A versions page ends at a version: the next page lists the ones below it. */
function versionOfToken(token: string): number {
  const version = Number(Buffer.from(token, 'base64url').toString('utf8'));
  if (!Number.isInteger(version) || version < 2 || version > MAX_VERSION) {
    throw new ValidationError('nextToken is not a token this API issued', [{ path: 'nextToken', message: 'invalid token' }]);
  }
  return version;
}

function toSchedule(item: Record<string, unknown>): Schedule {
  return StoredScheduleSchema.parse(entityOf(item));
}

function entityOf(item: Record<string, unknown>): Record<string, unknown> {
  const entity = { ...item };
  for (const key of KEY_ATTRIBUTES) delete entity[key];
  if (entity.entity === 'PRINCIPAL') delete entity.principalArn;
  return entity;
}

/** Drops undefined values at any depth, so the item does not depend on the client's marshall options. */
function plain<T>(value: T): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}

function unknownCalendar(calendarId: string | undefined): ValidationError {
  return new ValidationError(`calendar ${calendarId ?? ''} does not exist for this client`, [{ path: 'calendarId', message: 'no such calendar' }]);
}

function calendarIdOfToken(token: string): string {
  const calendarId = Buffer.from(token, 'base64url').toString('utf8');
  if (!CalendarIdSchema.safeParse(calendarId).success) throw new ValidationError('nextToken was not issued by this API', [{ path: 'nextToken', message: 'not a token of this list' }]);
  return calendarId;
}

function nameTaken(name: string): ConflictError {
  return new ConflictError(`a schedule named "${name.trim()}" already exists for this client (names are case-insensitive)`, 'NAME_TAKEN', [
    { path: 'name', message: 'already in use' },
  ]);
}

function scheduleNotFound(schedule: Pick<Schedule, 'scheduleId'>): NotFoundError {
  return new NotFoundError(`schedule ${schedule.scheduleId} not found`);
}

function staleVersion(schedule: Pick<Schedule, 'scheduleId'>, current: number, expected: number): StaleVersionError {
  return new StaleVersionError(`schedule ${schedule.scheduleId} is at version ${current}, not ${expected}: read it again and retry`);
}
