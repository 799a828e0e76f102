import type { CalendarConfig, Client, Schedule } from '../domain/model';

/** What a principal may do, least first; each role includes the ones before it (API.md, Roles). */
export const ROLES = ['viewer', 'caller', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** A principal's mapping as DevOps recorded it: the client ids (`*` = all) and its role for them. */
export interface PrincipalGrant {
  clientIds: string[];
  role: Role;
}

/** A client's business-day calendar as stored (API.md, Business-day calendars). */
export interface Calendar extends CalendarConfig {
  calendarId: string;
  clientId: string;
  createdAt: string;
  updatedAt: string;
}

export interface CalendarPage {
  items: Calendar[];
  nextToken?: string;
}

/** Who saved a schedule when no caller did (the demo seed, a migration). */
export const SYSTEM_ACTOR = 'system';

/** A schedule as it was saved at one version, and by whom (the caller's principal). */
export interface ScheduleVersion {
  schedule: Schedule;
  savedAt: string;
  savedBy: string;
}

/** A page of the schedules that fire by themselves; `cursor` is where the next page starts, absent after the last. */
export interface ScheduleTriggerPage {
  schedules: Schedule[];
  cursor?: string;
}

export interface ScheduleVersionPage {
  items: Array<{ version: number; savedAt: string; savedBy: string }>;
  nextToken?: string;
}

/**
 * Clients and their schedules. Implementations: DynamoConfigStore (adapters/aws).
 * Errors: ConflictError (name taken, case-insensitive, per client), StaleVersionError (version
 * mismatch on update), NotFoundError (update/delete of a missing schedule).
 */
export interface ConfigStore {
  getClient(clientId: string): Promise<Client | undefined>;
  /** Every client (the admin's run inbox pages through them). */
  listClients(): Promise<Client[]>;
  /** Creates the client together with its mandatory daily schedule, atomically. Returns false if it already existed. */
  createClient(client: Client, dailySchedule: Schedule, savedBy?: string): Promise<boolean>;
  updateClient(client: Client): Promise<void>;
  getSchedule(clientId: string, scheduleId: string): Promise<Schedule | undefined>;
  listSchedules(clientId: string): Promise<Schedule[]>;
  /** Every schedule of every client (the local scheduler's view). */
  listAllSchedules(): Promise<Schedule[]>;
  /**
   * Up to `limit` of the enabled, not MANUAL schedules of every client, in a stable order, from
   * `cursor` (a page's own cursor; one this store did not issue is a ValidationError). Eventually
   * consistent: a schedule saved moments ago may show in a later pass.
   */
  scheduleTriggerPage(limit: number, cursor?: string): Promise<ScheduleTriggerPage>;
  /** Where the reconciler's pass over the schedule triggers continues; undefined: from the start. */
  getTriggerCursor(): Promise<string | undefined>;
  saveTriggerCursor(cursor: string | undefined): Promise<void>;
  createSchedule(schedule: Schedule, savedBy?: string): Promise<void>;
  /** Replaces the schedule if its stored version equals `expectedVersion`; the new one carries version + 1. */
  updateSchedule(schedule: Schedule, expectedVersion: number, savedBy?: string): Promise<void>;
  deleteSchedule(clientId: string, scheduleId: string): Promise<void>;
  /**
   * Every save of a schedule (create, replace, onboarding's daily one) keeps the version as saved,
   * in the same write, by `savedBy` (default SYSTEM_ACTOR); versions outlive the schedule.
   */
  listScheduleVersions(clientId: string, scheduleId: string, page: { limit: number; nextToken?: string }): Promise<ScheduleVersionPage>;
  getScheduleVersion(clientId: string, scheduleId: string, version: number): Promise<ScheduleVersion | undefined>;
  getCalendar(clientId: string, calendarId: string): Promise<Calendar | undefined>;
  /** A page of the client's calendars by id; a nextToken this store did not issue is a ValidationError. */
  listCalendars(clientId: string, page: { limit: number; nextToken?: string }): Promise<CalendarPage>;
  /** Creates or replaces a calendar; true when it was created. */
  putCalendar(calendar: Calendar): Promise<boolean>;
  /**
   * Deletes a calendar that no schedule uses: schedule writes count their calendar's users in
   * the same transaction, so a schedule saved with it meanwhile makes this a ConflictError
   * (CALENDAR_IN_USE), and a schedule saved after it fails (ValidationError at calendarId).
   */
  deleteCalendar(clientId: string, calendarId: string): Promise<void>;
  /** What an IAM principal may do, as recorded by DevOps; undefined when it has no mapping. */
  getPrincipal(principalArn: string): Promise<PrincipalGrant | undefined>;
}
