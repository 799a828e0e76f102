import { z } from 'zod';
import { BACKFILL_STATUSES, MAX_BACKFILL_CONCURRENCY, MAX_BACKFILL_DATES } from '../domain/backfill';
import { ProcessingDateSchema, RunStatusSchema } from '../domain/model';
import { BODY_ERRORS, COMMON_ERRORS, error, route } from './route-kit';
import { InstantSchema, requestComponent, responseComponent, RunIdSchema, SchedulePathSchema } from './schemas';

const SCHEDULE = '/v1/clients/{clientId}/schedules/{scheduleId}';

export const BackfillIdSchema = z.string().regex(/^bf_[a-z0-9]{1,40}$/, 'a backfill id (bf_...)');
export const BackfillPathSchema = SchedulePathSchema.extend({ backfillId: BackfillIdSchema });

export const BackfillBodySchema = requestComponent(
  'BackfillInput',
  z
    .object({
      from: ProcessingDateSchema.describe('The first processing date of the range (YYYY-MM-DD, in the schedule’s time zone).'),
      to: ProcessingDateSchema.describe(`The last processing date of the range, on or after from; the range may hold at most ${MAX_BACKFILL_DATES} occurrence dates.`),
      maxConcurrent: z
        .number()
        .int()
        .min(1)
        .max(MAX_BACKFILL_CONCURRENCY)
        .default(1)
        .describe('Runs of the backfill in flight at once (PENDING or RUNNING). 1 for a schedule whose overlap policy is SKIP.'),
    })
    .strict(),
);

export const BackfillSchema = responseComponent(
  'Backfill',
  z.object({
    backfillId: z.string(),
    scheduleId: z.string(),
    from: z.string(),
    to: z.string(),
    maxConcurrent: z.number().int(),
    status: z.enum(BACKFILL_STATUSES).describe('RUNNING until every date has started and no run it started is PENDING or RUNNING; then DONE.'),
    dates: z.array(z.string()).describe('Every occurrence date of the range, oldest first: the order the runs start in.'),
    runs: z
      .array(z.object({ processingDate: z.string(), runId: RunIdSchema, status: RunStatusSchema }))
      .describe('The dates started so far, each with the run that holds it (a run that was already there is kept) and its current status.'),
    error: z.object({ code: z.string(), message: z.string() }).optional().describe('Why the backfill ended before starting every date (its schedule was deleted, say).'),
    createdAt: InstantSchema,
  }),
  'A backfill: the occurrence dates of a range, run oldest first, maxConcurrent at a time.',
);

/** Backfill (shared/API.md, "Business-day calendars, dependencies, backfill"). */
export const BACKFILL_ROUTES = {
  createBackfill: route({
    method: 'POST',
    path: `${SCHEDULE}/backfill`,
    operationId: 'createBackfill',
    summary: 'Run a schedule for each of its occurrence dates in a range, oldest first, maxConcurrent at a time',
    description:
      'A date that already has a run that is not RESET keeps it. A MANUAL schedule has no occurrences: its backfill runs every date of the range. Repeating the request while the backfill runs answers the same backfill (200).',
    role: 'operator',
    tag: 'Runs',
    params: SchedulePathSchema,
    body: BackfillBodySchema,
    responses: {
      200: { description: 'The same request is already running: that backfill.', schema: BackfillSchema },
      202: { description: 'The backfill; its first runs are started.', schema: BackfillSchema },
      404: error('No such client or schedule.'),
      409: error('The schedule has another backfill running (code BACKFILL_RUNNING; details name its backfillId).'),
      ...COMMON_ERRORS,
      ...BODY_ERRORS,
    },
  }),
  getBackfill: route({
    method: 'GET',
    path: `${SCHEDULE}/backfills/{backfillId}`,
    operationId: 'getBackfill',
    summary: 'Read a backfill’s progress',
    tag: 'Runs',
    params: BackfillPathSchema,
    responses: {
      200: { description: 'The backfill.', schema: BackfillSchema },
      404: error('No such backfill for this schedule and client.'),
      ...COMMON_ERRORS,
    },
  }),
} as const;
