import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { ConflictError, NotFoundError, StaleVersionError, ValidationError } from '../../domain/errors';
import type { Schedule } from '../../domain/model';
import { SYSTEM_ACTOR, type ScheduleVersion, type ScheduleVersionPage } from '../../ports/config-store';
import { calendarUseChange, unknownCalendar } from './dynamo-config-calendars';
import { CLIENT_SK, clientPk, plain, SCHEDULE_PREFIX, scheduleSk, StoredScheduleSchema, toSchedule, type ConfigTable, type TransactItem } from './dynamo-config-table';
import { cancellationCodes, isConditionFailure, queryAll, type Item } from './dynamo-toolkit';
import { selfFiringIndexKeys } from './dynamo-trigger-pages';

const nameSk = (name: string): string => `NAME#${nameKey(name)}`;
/** A schedule's versions sort by number: `VERSION#<scheduleId>#000003`. */
const versionSk = (scheduleId: string, version: number): string => `VERSION#${scheduleId}#${String(version).padStart(6, '0')}`;
const MAX_VERSION = 999_999;
/** Times a delete reads the schedule again after a concurrent rename moved its name. */
const RENAMED_RETRIES = 6;

const StoredVersionSummarySchema = z.object({ version: z.number().int().positive(), savedAt: z.string(), savedBy: z.string() });

/** Schedule names are unique per client regardless of case and surrounding blanks. */
export function nameKey(name: string): string {
  return name.trim().normalize('NFC').toLowerCase();
}

/**
 * The writes that create a schedule, in this order: the schedule, its name guard, its calendar's
 * use count (when it names one), its first version. Onboarding writes them in the client's transaction.
 */
export function scheduleCreation(tableName: string, schedule: Schedule, savedBy: string): TransactItem[] {
  return [
    { Put: { TableName: tableName, Item: scheduleItem(schedule), ConditionExpression: 'attribute_not_exists(pk)' } },
    guardPut(tableName, schedule),
    ...calendarUseChange(tableName, undefined, schedule),
    versionPut(tableName, schedule, savedBy),
  ];
}

/**
 * A client's job schedules and the versions they were saved at. Schedule names stay unique per
 * client through a NAME#<lower-case name> guard item written in the same transaction as the
 * schedule. Transactions cancelled by a conflicting one are sent again (sendToDynamo), so that
 * the loser sees the winner's write and fails on the condition that explains why (a name taken,
 * a stale version).
 */
export class DynamoSchedules {
  constructor(private readonly table: ConfigTable) {}

  async getSchedule(clientId: string, scheduleId: string): Promise<Schedule | undefined> {
    const item = await this.table.get(clientPk(clientId), scheduleSk(scheduleId));
    return item ? toSchedule(item) : undefined;
  }

  async listSchedules(clientId: string): Promise<Schedule[]> {
    const items = await queryAll(this.table.document, {
      TableName: this.table.name,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': clientPk(clientId), ':prefix': SCHEDULE_PREFIX },
      ConsistentRead: true,
    });
    return items.map(toSchedule).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.scheduleId.localeCompare(b.scheduleId));
  }

  /** A Scan: only the local scheduler asks (the deployed reconciler pages the selfFiringSchedules index). */
  async listAllSchedules(): Promise<Schedule[]> {
    const schedules = (await this.table.scanAll('SCHEDULE', true)).map(toSchedule);
    return schedules.sort((a, b) => a.clientId.localeCompare(b.clientId) || a.createdAt.localeCompare(b.createdAt) || a.scheduleId.localeCompare(b.scheduleId));
  }

  async createSchedule(schedule: Schedule, savedBy = SYSTEM_ACTOR): Promise<void> {
    const items: TransactItem[] = [
      { ConditionCheck: { TableName: this.table.name, Key: { pk: clientPk(schedule.clientId), sk: CLIENT_SK }, ConditionExpression: 'attribute_exists(pk)' } },
      ...scheduleCreation(this.table.name, schedule, savedBy),
    ];
    try {
      await this.table.transact(items);
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
    const tableName = this.table.name;
    const current = await this.getSchedule(schedule.clientId, schedule.scheduleId);
    if (!current) throw scheduleNotFound(schedule);
    if (current.version !== expectedVersion) throw staleVersion(schedule, current.version, expectedVersion);
    const next: Schedule = { ...schedule, version: expectedVersion + 1 };
    const put: TransactItem = {
      Put: {
        TableName: tableName,
        Item: scheduleItem(next),
        ConditionExpression: 'attribute_exists(pk) AND version = :expected',
        ExpressionAttributeValues: { ':expected': expectedVersion },
      },
    };
    const renamed = nameKey(current.name) !== nameKey(next.name);
    const calendarUse = calendarUseChange(tableName, current, next);
    const items: TransactItem[] = renamed
      ? [
          put,
          {
            Delete: {
              TableName: tableName,
              Key: { pk: clientPk(next.clientId), sk: nameSk(current.name) },
              ConditionExpression: 'attribute_not_exists(pk) OR scheduleId = :id',
              ExpressionAttributeValues: { ':id': next.scheduleId },
            },
          },
          guardPut(tableName, next),
        ]
      : [put];
    items.push(versionPut(tableName, next, savedBy), ...calendarUse);
    try {
      await this.table.transact(items);
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
    const tableName = this.table.name;
    for (let attempt = 0; ; attempt++) {
      const current = await this.getSchedule(clientId, scheduleId);
      if (!current) throw new NotFoundError(`schedule ${scheduleId} not found`);
      if (current.mandatory) throw new ConflictError('the mandatory daily schedule cannot be deleted', 'MANDATORY_SCHEDULE');
      try {
        await this.table.transact([
          {
            Delete: {
              TableName: tableName,
              Key: { pk: clientPk(clientId), sk: scheduleSk(scheduleId) },
              // The version pins the name read above: a concurrent rename makes this attempt retry.
              ConditionExpression: 'version = :version',
              ExpressionAttributeValues: { ':version': current.version },
            },
          },
          {
            Delete: {
              TableName: tableName,
              Key: { pk: clientPk(clientId), sk: nameSk(current.name) },
              ConditionExpression: 'attribute_not_exists(pk) OR scheduleId = :id',
              ExpressionAttributeValues: { ':id': scheduleId },
            },
          },
          ...calendarUseChange(tableName, current, undefined),
        ]);
        return;
      } catch (error) {
        if (cancellationCodes(error)?.[0] !== 'ConditionalCheckFailed' || attempt >= RENAMED_RETRIES) throw error;
      }
    }
  }

  async listScheduleVersions(clientId: string, scheduleId: string, page: { limit: number; nextToken?: string }): Promise<ScheduleVersionPage> {
    const before = page.nextToken === undefined ? undefined : versionOfToken(page.nextToken);
    const result = await this.table.send(
      new QueryCommand({
        TableName: this.table.name,
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
    const item = await this.table.get(clientPk(clientId), versionSk(scheduleId, version));
    if (!item) return undefined;
    const { savedAt, savedBy } = StoredVersionSummarySchema.parse(item);
    return { schedule: StoredScheduleSchema.parse(item.schedule), savedAt, savedBy };
  }
}

function scheduleItem(schedule: Schedule): Item {
  return {
    ...plain(schedule),
    pk: clientPk(schedule.clientId),
    sk: scheduleSk(schedule.scheduleId),
    entity: 'SCHEDULE',
    nameKey: nameKey(schedule.name),
    // Every save replaces the item: disabling or making a schedule MANUAL drops it from the index.
    ...selfFiringIndexKeys(schedule),
  };
}

function guardPut(tableName: string, schedule: Schedule): TransactItem {
  return {
    Put: {
      TableName: tableName,
      Item: { pk: clientPk(schedule.clientId), sk: nameSk(schedule.name), entity: 'NAME', scheduleId: schedule.scheduleId },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/**
 * The schedule as saved, kept under its version. Unconditional: only the transaction whose
 * schedule write holds the version condition writes that version, and it outlives the schedule.
 */
function versionPut(tableName: string, schedule: Schedule, savedBy: string): TransactItem {
  return {
    Put: {
      TableName: tableName,
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

/** A versions page ends at a version: the next page lists the ones below it. */
function versionOfToken(token: string): number {
  const version = Number(Buffer.from(token, 'base64url').toString('utf8'));
  if (!Number.isInteger(version) || version < 2 || version > MAX_VERSION) {
    throw new ValidationError('nextToken is not a token this API issued', [{ path: 'nextToken', message: 'invalid token' }]);
  }
  return version;
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
