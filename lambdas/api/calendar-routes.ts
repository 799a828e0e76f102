import { z } from 'zod';
import { CalendarConfigSchema, CalendarIdSchema } from '../domain/model';
import { BODY_ERRORS, COMMON_ERRORS, error, route } from './route-kit';
import { ClientPathSchema, decimalIntegerSchema, InstantSchema, requestComponent, responseComponent } from './schemas';

const CalendarPathSchema = ClientPathSchema.extend({ calendarId: CalendarIdSchema });

const CalendarPageQuerySchema = z.object({
  limit: decimalIntegerSchema(1, 1000).default(100).describe('Calendars per page, 1..1000, in decimal digits.'),
  nextToken: z.string().min(1).max(4096).optional().describe('The nextToken of the previous page.'),
});

export const CalendarBodySchema = requestComponent(
  'CalendarInput',
  CalendarConfigSchema,
  'A business-day calendar, whole: PUT creates or replaces it, and re-arms every schedule that uses it.',
);

export const CalendarSchema = responseComponent(
  'Calendar',
  z.object({
    calendarId: CalendarIdSchema,
    clientId: z.string(),
    name: z.string(),
    weekend: z.array(z.string()),
    holidays: z.array(z.string()),
    createdAt: InstantSchema,
    updatedAt: InstantSchema,
  }),
);

const CalendarPageSchema = responseComponent(
  'CalendarList',
  z.object({ items: z.array(CalendarSchema), nextToken: z.string().optional().describe('Pass as nextToken for the next page; absent on the last page.') }),
);

const CALENDARS = '/v1/clients/{clientId}/calendars';

/**
 * Business-day calendars (shared/API.md, "Business-day calendars, dependencies, backfill"):
 * reading is a viewer's, changing an admin's (leastRole's rule for changes outside /ledger).
 */
export const CALENDAR_ROUTES = {
  putCalendar: route({
    method: 'PUT',
    path: `${CALENDARS}/{calendarId}`,
    operationId: 'putCalendar',
    summary: 'Create or replace a business-day calendar',
    description:
      'Weekend days and holidays (deduplicated and sorted). Every schedule that uses the calendar is re-armed for its next occurrence under it; a change under which such a schedule could no longer run as saved is a 409.',
    tag: 'Schedules',
    params: CalendarPathSchema,
    body: CalendarBodySchema,
    responses: {
      200: { description: 'The calendar, replaced.', schema: CalendarSchema },
      201: { description: 'The calendar, created.', schema: CalendarSchema },
      404: error('No such client.'),
      409: error('A schedule that uses the calendar could not run with it (code CALENDAR_BREAKS_SCHEDULE), e.g. its business-day offset no longer fits a period.'),
      ...COMMON_ERRORS,
      ...BODY_ERRORS,
    },
  }),
  listCalendars: route({
    method: 'GET',
    path: CALENDARS,
    operationId: 'listCalendars',
    summary: 'List the client’s business-day calendars, a page at a time',
    tag: 'Schedules',
    params: ClientPathSchema,
    query: CalendarPageQuerySchema,
    responses: { 200: { description: 'A page of calendars, by id.', schema: CalendarPageSchema }, ...COMMON_ERRORS },
  }),
  getCalendar: route({
    method: 'GET',
    path: `${CALENDARS}/{calendarId}`,
    operationId: 'getCalendar',
    summary: 'Read a business-day calendar',
    tag: 'Schedules',
    params: CalendarPathSchema,
    responses: { 200: { description: 'The calendar.', schema: CalendarSchema }, 404: error('No such calendar.'), ...COMMON_ERRORS },
  }),
  deleteCalendar: route({
    method: 'DELETE',
    path: `${CALENDARS}/{calendarId}`,
    operationId: 'deleteCalendar',
    summary: 'Delete a business-day calendar no schedule uses',
    tag: 'Schedules',
    params: CalendarPathSchema,
    responses: {
      204: { description: 'Deleted.' },
      404: error('No such calendar.'),
      409: error('A schedule uses the calendar (code CALENDAR_IN_USE): details name the schedules.'),
      ...COMMON_ERRORS,
    },
  }),
} as const;
