import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Client, Schedule } from '../../domain/model';
import type { Calendar, CalendarPage, ConfigStore, PrincipalGrant, Role, ScheduleTriggerPage, ScheduleVersion, ScheduleVersionPage } from '../../ports/config-store';
import { DynamoCalendars } from './dynamo-config-calendars';
import { DynamoClients } from './dynamo-config-clients';
import { DynamoSchedules } from './dynamo-config-schedules';
import { ConfigTable } from './dynamo-config-table';
import { DynamoTriggerPages } from './dynamo-trigger-pages';

/**
 * The ConfigStore on the config table (layout: CONFIG_TABLE in table-definitions.ts), one part
 * per concern: clients and principals (dynamo-config-clients.ts), schedules and their versions
 * (dynamo-config-schedules.ts), calendars and their use counts (dynamo-config-calendars.ts), the
 * reconciler's pages of self-firing schedules (dynamo-trigger-pages.ts).
 */
export class DynamoConfigStore implements ConfigStore {
  private readonly clients: DynamoClients;
  private readonly schedules: DynamoSchedules;
  private readonly calendars: DynamoCalendars;
  private readonly triggerPages: DynamoTriggerPages;

  constructor(document: DynamoDBDocumentClient, tableName: string) {
    const table = new ConfigTable(document, tableName);
    this.clients = new DynamoClients(table);
    this.schedules = new DynamoSchedules(table);
    this.calendars = new DynamoCalendars(table, (clientId) => this.schedules.listSchedules(clientId));
    this.triggerPages = new DynamoTriggerPages(table);
  }

  getClient(clientId: string): Promise<Client | undefined> {
    return this.clients.getClient(clientId);
  }

  listClients(): Promise<Client[]> {
    return this.clients.listClients();
  }

  createClient(client: Client, dailySchedule: Schedule, savedBy?: string): Promise<boolean> {
    return this.clients.createClient(client, dailySchedule, savedBy);
  }

  updateClient(client: Client): Promise<void> {
    return this.clients.updateClient(client);
  }

  getPrincipal(principalArn: string): Promise<PrincipalGrant | undefined> {
    return this.clients.getPrincipal(principalArn);
  }

  /** Records the client ids an IAM principal may act for (`*` = every client) and its role; used by DevOps tooling and tests. */
  putPrincipalClients(principalArn: string, clientIds: readonly string[], role: Role = 'admin'): Promise<void> {
    return this.clients.putPrincipalClients(principalArn, clientIds, role);
  }

  /** Removes a principal's mapping: it then may act for no client. */
  deletePrincipal(principalArn: string): Promise<void> {
    return this.clients.deletePrincipal(principalArn);
  }

  getSchedule(clientId: string, scheduleId: string): Promise<Schedule | undefined> {
    return this.schedules.getSchedule(clientId, scheduleId);
  }

  listSchedules(clientId: string): Promise<Schedule[]> {
    return this.schedules.listSchedules(clientId);
  }

  listAllSchedules(): Promise<Schedule[]> {
    return this.schedules.listAllSchedules();
  }

  createSchedule(schedule: Schedule, savedBy?: string): Promise<void> {
    return this.schedules.createSchedule(schedule, savedBy);
  }

  updateSchedule(schedule: Schedule, expectedVersion: number, savedBy?: string): Promise<void> {
    return this.schedules.updateSchedule(schedule, expectedVersion, savedBy);
  }

  deleteSchedule(clientId: string, scheduleId: string): Promise<void> {
    return this.schedules.deleteSchedule(clientId, scheduleId);
  }

  listScheduleVersions(clientId: string, scheduleId: string, page: { limit: number; nextToken?: string }): Promise<ScheduleVersionPage> {
    return this.schedules.listScheduleVersions(clientId, scheduleId, page);
  }

  getScheduleVersion(clientId: string, scheduleId: string, version: number): Promise<ScheduleVersion | undefined> {
    return this.schedules.getScheduleVersion(clientId, scheduleId, version);
  }

  getCalendar(clientId: string, calendarId: string): Promise<Calendar | undefined> {
    return this.calendars.getCalendar(clientId, calendarId);
  }

  listCalendars(clientId: string, page: { limit: number; nextToken?: string }): Promise<CalendarPage> {
    return this.calendars.listCalendars(clientId, page);
  }

  putCalendar(calendar: Calendar): Promise<boolean> {
    return this.calendars.putCalendar(calendar);
  }

  deleteCalendar(clientId: string, calendarId: string): Promise<void> {
    return this.calendars.deleteCalendar(clientId, calendarId);
  }

  scheduleTriggerPage(limit: number, cursor?: string): Promise<ScheduleTriggerPage> {
    return this.triggerPages.scheduleTriggerPage(limit, cursor);
  }

  getTriggerCursor(): Promise<string | undefined> {
    return this.triggerPages.getTriggerCursor();
  }

  saveTriggerCursor(cursor: string | undefined): Promise<void> {
    return this.triggerPages.saveTriggerCursor(cursor);
  }
}
