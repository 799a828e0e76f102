import type { CalendarService } from '../services/calendar-service';
import { json, type ApiResult } from './http';
import type { CALENDAR_ROUTES } from './calendar-routes';
import type { RouteRequest } from './route-kit';

export type CalendarHandlers = { [K in keyof typeof CALENDAR_ROUTES]: (request: RouteRequest<(typeof CALENDAR_ROUTES)[K]>) => Promise<ApiResult> };

/** The calendar routes' handlers: one CalendarService call each, its result as a status and body. */
export function calendarHandlers(calendars: CalendarService): CalendarHandlers {
  return {
    putCalendar: async ({ params, body }) => {
      const { calendar, created } = await calendars.put(params.clientId, params.calendarId, body);
      return json(created ? 201 : 200, calendar);
    },
    listCalendars: async ({ params, query }) =>
      json(200, await calendars.list(params.clientId, { limit: query.limit, ...(query.nextToken ? { nextToken: query.nextToken } : {}) })),
    getCalendar: async ({ params }) => json(200, await calendars.get(params.clientId, params.calendarId)),
    deleteCalendar: async ({ params }) => {
      await calendars.delete(params.clientId, params.calendarId);
      return { status: 204 };
    },
  };
}
