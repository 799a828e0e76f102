import { DeleteCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { ConflictError, NotFoundError, ValidationError } from '../../domain/errors';
import { CalendarConfigSchema, CalendarIdSchema, type Schedule } from '../../domain/model';
import type { Calendar, CalendarPage } from '../../ports/config-store';
import { clientPk, entityOf, type ConfigTable, type TransactItem } from './dynamo-config-table';
import { writeIfConditionsHold, type Item } from './dynamo-toolkit';

/** `CLIENT#<clientId>` / `CALENDAR#<calendarId>`: a client's business-day calendar, with useCount. */
const CALENDAR_PREFIX = 'CALENDAR#';
const calendarSk = (calendarId: string): string => `${CALENDAR_PREFIX}${calendarId}`;

// Not strict: the item also carries useCount, the number of schedules that name the calendar.
const StoredCalendarSchema = z.object({
  ...CalendarConfigSchema.shape,
  calendarId: z.string(),
  clientId: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

type CalendarUser = Pick<Schedule, 'clientId' | 'calendarId'>;

/**
 * Counts a schedule's use of its calendar on the calendar item, in the schedule's own
 * transaction: a calendar delete (conditional on no use) and a schedule save that names the
 * calendar touch one item, so one of them sees the other. The count only goes up on a
 * calendar that exists.
 */
export function calendarUseChange(tableName: string, previous: CalendarUser | undefined, next: CalendarUser | undefined): TransactItem[] {
  if (previous?.calendarId === next?.calendarId) return [];
  const count = (clientId: string, calendarId: string, by: number): TransactItem => ({
    Update: {
      TableName: tableName,
      Key: { pk: clientPk(clientId), sk: calendarSk(calendarId) },
      UpdateExpression: 'ADD useCount :by',
      ExpressionAttributeValues: { ':by': by },
      ConditionExpression: 'attribute_exists(pk)',
    },
  });
  return [
    ...(previous?.calendarId ? [count(previous.clientId, previous.calendarId, -1)] : []),
    ...(next?.calendarId ? [count(next.clientId, next.calendarId, 1)] : []),
  ];
}

export function unknownCalendar(calendarId: string | undefined): ValidationError {
  return new ValidationError(`calendar ${calendarId ?? ''} does not exist for this client`, [{ path: 'calendarId', message: 'no such calendar' }]);
}

/** A client's business-day calendars; schedule writes keep each one's useCount (calendarUseChange). */
export class DynamoCalendars {
  constructor(
    private readonly table: ConfigTable,
    /** The client's schedules, to name the ones that keep a calendar from being deleted. */
    private readonly schedulesOf: (clientId: string) => Promise<Schedule[]>,
  ) {}

  async getCalendar(clientId: string, calendarId: string): Promise<Calendar | undefined> {
    const item = await this.table.get(clientPk(clientId), calendarSk(calendarId));
    return item ? StoredCalendarSchema.parse(entityOf(item)) : undefined;
  }

  async listCalendars(clientId: string, page: { limit: number; nextToken?: string }): Promise<CalendarPage> {
    const after = page.nextToken === undefined ? undefined : calendarIdOfToken(page.nextToken);
    const items: Calendar[] = [];
    let startKey: Item | undefined = after === undefined ? undefined : { pk: clientPk(clientId), sk: calendarSk(after) };
    do {
      const result = await this.table.send(
        new QueryCommand({
          TableName: this.table.name,
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
    const result = await this.table.send(
      new UpdateCommand({
        TableName: this.table.name,
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
    const deleted = await writeIfConditionsHold(() =>
      this.table.send(
        new DeleteCommand({
          TableName: this.table.name,
          Key: { pk: clientPk(clientId), sk: calendarSk(calendarId) },
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(useCount) OR useCount = :none)',
          ExpressionAttributeValues: { ':none': 0 },
        }),
      ),
    );
    if (deleted) return;
    if (!(await this.getCalendar(clientId, calendarId))) throw new NotFoundError(`calendar ${calendarId} not found`);
    const users = (await this.schedulesOf(clientId)).filter((schedule) => schedule.calendarId === calendarId);
    const names = users.map((schedule) => `${schedule.name} (${schedule.scheduleId})`).join(', ');
    throw new ConflictError(`calendar ${calendarId} is used by ${names || 'a schedule being saved'}: change those schedules first`, 'CALENDAR_IN_USE', [
      { path: 'calendarId', message: `used by ${users.length === 0 ? 'a schedule being saved' : names}` },
    ]);
  }
}

function calendarIdOfToken(token: string): string {
  const calendarId = Buffer.from(token, 'base64url').toString('utf8');
  if (!CalendarIdSchema.safeParse(calendarId).success) throw new ValidationError('nextToken was not issued by this API', [{ path: 'nextToken', message: 'not a token of this list' }]);
  return calendarId;
}
