import { ConflictError, NotFoundError, ValidationError } from '../domain/errors';
import { CalendarConfigSchema, type CalendarConfig, type Schedule, type ScheduleConfig } from '../domain/model';
import { validateCalendarSpec, type CalendarSpec } from '../domain/schedule-calendar';
import type { Clock } from '../ports/clock';
import type { Calendar, CalendarPage, ConfigStore } from '../ports/config-store';

type CalendarFields = Pick<ScheduleConfig, 'frequency' | 'executionTime' | 'timezone' | 'calendarId' | 'nonBusinessDay'>;

/**
 * The calendar module's view of a schedule (or a preview): its frequency, time and zone, with the
 * business-day calendar its calendarId names loaded from the store, so the pure module never
 * reads one. A calendarId the client does not have is a ValidationError at `calendarId`.
 */
export async function calendarSpecOf(store: Pick<ConfigStore, 'getCalendar'>, clientId: string, fields: CalendarFields): Promise<CalendarSpec> {
  const spec: CalendarSpec = { frequency: fields.frequency, executionTime: fields.executionTime, timezone: fields.timezone };
  if (fields.nonBusinessDay !== undefined) spec.nonBusinessDay = fields.nonBusinessDay;
  if (fields.calendarId === undefined) return spec;
  const calendar = await store.getCalendar(clientId, fields.calendarId);
  if (!calendar) {
    throw new ValidationError(`calendar ${fields.calendarId} does not exist for client ${clientId}`, [{ path: 'calendarId', message: 'no such calendar' }]);
  }
  return { ...spec, businessCalendar: { weekend: calendar.weekend, holidays: calendar.holidays } };
}

export interface CalendarServiceOptions {
  store: ConfigStore;
  clock: Clock;
  /** Re-arms the schedules of an edited calendar (ScheduleFiringService). @default none (API tests) */
  scheduling?: { scheduleChanged(schedule: Schedule, previous?: Schedule): Promise<void> } | undefined;
}

/**
 * A client's business-day calendars (API.md, Business-day calendars). Editing one re-arms every
 * schedule that uses it; an edit under which such a schedule could not run as saved (a
 * business-day offset its periods no longer hold, a rule that never runs) is refused.
 */
export class CalendarService {
  constructor(private readonly options: CalendarServiceOptions) {}

  async put(clientId: string, calendarId: string, input: CalendarConfig): Promise<{ calendar: Calendar; created: boolean }> {
    const { store, clock } = this.options;
    if (!(await store.getClient(clientId))) throw new NotFoundError(`client ${clientId} not found`);
    const config = CalendarConfigSchema.parse(input);
    const users = await this.usersOf(clientId, calendarId);
    for (const schedule of users) {
      try {
        validateCalendarSpec({ ...schedule, businessCalendar: config, ...(schedule.nonBusinessDay ? { nonBusinessDay: schedule.nonBusinessDay } : {}) });
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        throw new ConflictError(`schedule ${schedule.name} (${schedule.scheduleId}) could not run with this calendar: ${error.message}`, 'CALENDAR_BREAKS_SCHEDULE', [
          { path: 'holidays', message: `${schedule.scheduleId}: ${error.details.map((detail) => `${detail.path}: ${detail.message}`).join('; ')}` },
        ]);
      }
    }
    const now = clock.now().toISOString();
    const existing = await store.getCalendar(clientId, calendarId);
    const calendar: Calendar = { ...config, calendarId, clientId, createdAt: existing?.createdAt ?? now, updatedAt: now };
    const created = await store.putCalendar(calendar);
    for (const schedule of users) await this.options.scheduling?.scheduleChanged(schedule, schedule);
    return { calendar, created };
  }

  async get(clientId: string, calendarId: string): Promise<Calendar> {
    const calendar = await this.options.store.getCalendar(clientId, calendarId);
    if (!calendar) throw new NotFoundError(`calendar ${calendarId} not found`);
    return calendar;
  }

  list(clientId: string, page: { limit: number; nextToken?: string }): Promise<CalendarPage> {
    return this.options.store.listCalendars(clientId, page);
  }

  /** 409 (CALENDAR_IN_USE, naming the schedules) while a schedule uses it. */
  delete(clientId: string, calendarId: string): Promise<void> {
    return this.options.store.deleteCalendar(clientId, calendarId);
  }

  private async usersOf(clientId: string, calendarId: string): Promise<Schedule[]> {
    return (await this.options.store.listSchedules(clientId)).filter((schedule) => schedule.calendarId === calendarId);
  }
}
