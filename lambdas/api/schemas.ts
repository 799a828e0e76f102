import { z } from 'zod';
import { ROLES } from '../ports/config-store';
import { FREQUENCY_TYPES } from '../domain/catalogue';
import { RUN_EVENT_TYPES } from '../domain/run-events';
import {
  ClientIdSchema,
  DAYS_OF_WEEK,
  FrequencySchema,
  IsoDateSchema,
  ItemStatusSchema,
  JobSpecSchema,
  JobStatusSchema,
  JobTypeSchema,
  LocalTimeSchema,
  NON_BUSINESS_DAY_RULES,
  OFFSET_UNITS,
  OVERLAP_POLICIES,
  PROCESSING_DATES,
  ProcessingDateSchema,
  RunStatusSchema,
  ScheduleConfigSchema,
  ScheduleIdSchema,
  SKIP_REASONS,
  TimezoneSchema,
  TriggerSchema,
  WAITING_REASONS,
} from '../domain/model';

/**
 * The HTTP API's request and response schemas, built on the domain model's schemas. The router
 * validates with them and docs/openapi.json is generated from them (see openapi.ts).
 *
 * Named schemas become OpenAPI components. Requests and responses live in separate registries
 * because the document shows a request as the client may send it (defaults optional) and a
 * response as the server sends it (defaults filled in).
 */
export interface ComponentMeta {
  id: string;
  description?: string;
}
export const requestComponents = z.registry<ComponentMeta>();
export const responseComponents = z.registry<ComponentMeta>();

export function requestComponent<T extends z.ZodType>(id: string, schema: T, description?: string): T {
  requestComponents.add(schema, { id, ...(description ? { description } : {}) });
  return schema;
}

export function responseComponent<T extends z.ZodType>(id: string, schema: T, description?: string): T {
  responseComponents.add(schema, { id, ...(description ? { description } : {}) });
  return schema;
}

export const InstantSchema = z.iso.datetime({ offset: true });
export const CountSchema = z.number().int().nonnegative();

/** An instant whose UTC date is a possible processing date (PROCESSING_DATES). */
const ProcessingInstantSchema = InstantSchema.refine((value) => {
  const time = Date.parse(value);
  // Not an instant at all: the format check has said so already.
  if (Number.isNaN(time)) return true;
  const date = new Date(time).toISOString().slice(0, 10);
  return date >= PROCESSING_DATES.first && date <= PROCESSING_DATES.last;
}, `an instant from ${PROCESSING_DATES.first} to ${PROCESSING_DATES.last} (UTC)`);

/** A whole number in a query or path: plain decimal digits only, so `0x10`, `1e3`, ` 5`, `+5` and `5.0` are refused. */
export function decimalIntegerSchema(min: number, max: number) {
  return z
    .string()
    .regex(/^\d{1,9}$/, 'a whole number in decimal digits')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
}

// ---------------------------------------------------------------------------------------------
// Path, query and header parameters

/** Run ids are `run_` + a digest (domain/run-naming.ts); anything else cannot name a run. */
export const RunIdSchema = z.string().regex(/^run_[a-z0-9]{1,64}$/, 'a run id (run_...)');

export const NoPathSchema = z.object({});
export const ClientPathSchema = z.object({ clientId: ClientIdSchema });
export const SchedulePathSchema = ClientPathSchema.extend({ scheduleId: ScheduleIdSchema });
export const RunDatePathSchema = SchedulePathSchema.extend({ processingDate: ProcessingDateSchema });
export const RunPathSchema = ClientPathSchema.extend({ runId: RunIdSchema });
export const JobItemsPathSchema = RunPathSchema.extend({ seq: decimalIntegerSchema(1, 20) });

/** The longest range of processing dates one run list covers (API.md, Failures across dates and clients). */
export const MAX_RUN_RANGE_DAYS = 366;

const DateRangeShape = {
  from: ProcessingDateSchema.optional().describe(`First processing date of the range (with to; at most ${MAX_RUN_RANGE_DAYS} days).`),
  to: ProcessingDateSchema.optional().describe('Last processing date of the range, inclusive.'),
  status: RunStatusSchema.optional().describe('Only runs in this status.'),
  limit: decimalIntegerSchema(1, 1000).default(100).describe('Runs per page of a range, 1..1000, in decimal digits.'),
  nextToken: z.string().min(1).max(4096).optional().describe('The nextToken of the previous page of a range.'),
};

/** from ≤ to, at most MAX_RUN_RANGE_DAYS days apart; each problem named at its field. */
function checkDateRange(query: { from?: string | undefined; to?: string | undefined }, context: z.RefinementCtx): void {
  if (query.from === undefined || query.to === undefined) {
    for (const field of ['from', 'to'] as const) {
      if (query[field] === undefined) context.addIssue({ code: 'custom', path: [field], message: 'required: a range needs from and to' });
    }
    return;
  }
  const days = (Date.parse(query.to) - Date.parse(query.from)) / 86_400_000 + 1;
  if (days < 1) context.addIssue({ code: 'custom', path: ['to'], message: 'on or after from' });
  else if (days > MAX_RUN_RANGE_DAYS) context.addIssue({ code: 'custom', path: ['to'], message: `at most ${MAX_RUN_RANGE_DAYS} days after from (inclusive)` });
}

/** One date (`date=`, as in v1: every run of it), or a range (`from`/`to`, paged, newest first). */
export const RunListQuerySchema = z
  .object({
    date: ProcessingDateSchema.optional().describe('The processing date (YYYY-MM-DD, in the schedule’s time zone); or give from and to.'),
    scheduleId: ScheduleIdSchema.optional().describe('Only runs of this schedule (`daily` = the mandatory daily schedule).'),
    ...DateRangeShape,
  })
  .superRefine((query, context) => {
    if (query.date === undefined) return checkDateRange(query, context);
    if (query.from !== undefined || query.to !== undefined) {
      context.addIssue({ code: 'custom', path: ['date'], message: 'either date, or from and to: not both' });
    }
  });

/** GET /v1/runs: a range over every client the caller may act for. */
export const AllRunsQuerySchema = z
  .object({
    ...DateRangeShape,
    from: ProcessingDateSchema.describe(`First processing date of the range (at most ${MAX_RUN_RANGE_DAYS} days to to).`),
    to: ProcessingDateSchema.describe('Last processing date of the range, inclusive.'),
  })
  .superRefine(checkDateRange);

export const ItemListQuerySchema = z.object({
  status: ItemStatusSchema.optional().describe('Only items in this status.'),
  limit: decimalIntegerSchema(1, 1000).default(100).describe('Items per page, 1..1000, in decimal digits.'),
  nextToken: z.string().min(1).max(4096).optional().describe('The nextToken of the previous page.'),
});

/** `If-Match: <version>`; an ETag-style `"3"` or `W/"3"` is accepted too. */
export const IfMatchHeaderSchema = z.object({
  'If-Match': z.string().describe('The version of the schedule the change is based on (its ETag).'),
});

// ---------------------------------------------------------------------------------------------
// Request bodies

export const ClientBodySchema = requestComponent(
  'ClientInput',
  z.object({ name: z.string().trim().min(1).max(100), timezone: TimezoneSchema }).strict(),
  'Onboards a client, or changes its name and time zone.',
);

export const ScheduleBodySchema = requestComponent(
  'ScheduleInput',
  ScheduleConfigSchema,
  'A schedule’s whole configuration: POST creates a schedule, PUT replaces one.',
);

export const PreviewBodySchema = requestComponent(
  'SchedulePreviewInput',
  z
    .object({
      frequency: FrequencySchema,
      executionTime: LocalTimeSchema,
      timezone: TimezoneSchema,
      from: ProcessingInstantSchema.optional().describe(
        `Occurrences strictly after this instant (from ${PROCESSING_DATES.first} to ${PROCESSING_DATES.last}); default now.`,
      ),
      count: z.number().int().min(1).max(100).default(5),
      calendarId: ScheduleConfigSchema.shape.calendarId,
      nonBusinessDay: ScheduleConfigSchema.shape.nonBusinessDay,
    })
    .strict(),
);

export const TriggerBodySchema = requestComponent(
  'TriggerInput',
  z
    .object({
      processingDate: ProcessingDateSchema.describe(
        `The date to run for (YYYY-MM-DD, in the schedule’s time zone), from ${PROCESSING_DATES.first} to ${PROCESSING_DATES.last}.`,
      ),
      jobs: z.array(JobSpecSchema).min(1).max(20).optional().describe('Overrides the schedule’s job sequence for this run only.'),
      trigger: TriggerSchema.exclude(['SCHEDULED', 'BACKFILL'])
        .default('API')
        .describe('Who asks: API (a system such as core billing, the default) or MANUAL (a person, e.g. in the console). SCHEDULED is the scheduler’s own, BACKFILL a backfill’s.'),
    })
    .strict(),
);

export const ReprocessBodySchema = requestComponent(
  'ReprocessInput',
  z.discriminatedUnion('scope', [
    z
      .object({
        scope: z.literal('RUN'),
        heal: z.boolean().optional(),
      })
      .strict()
      .describe('Re-runs every failed job of the run from where it failed (failed items only).'),
    z
      .object({
        scope: z.literal('JOB'),
        seq: z.number().int().min(1).max(20),
        items: z.enum(['FAILED', 'ALL']).default('FAILED'),
        heal: z.boolean().optional(),
      })
      .strict()
      .describe('Re-runs one job (its failed items, or all of them), then the rest of the sequence.'),
  ]),
);

// ---------------------------------------------------------------------------------------------
// Responses

export const ErrorBodySchema = responseComponent(
  'Error',
  z.object({
    error: z.object({
      code: z.string().describe('VALIDATION_FAILED, MALFORMED_JSON, UNAUTHORIZED, FORBIDDEN, FORBIDDEN_ACTION, NOT_FOUND, CONFLICT, NAME_TAKEN, …'),
      message: z.string(),
      details: z.array(z.object({ path: z.string().optional(), message: z.string() })),
    }),
  }),
  'Every error, from every route.',
);

export const ClientSchema = responseComponent(
  'Client',
  z.object({
    clientId: ClientIdSchema,
    name: z.string(),
    timezone: z.string(),
    dailyScheduleId: z.string(),
    createdAt: InstantSchema,
    updatedAt: InstantSchema,
  }),
);

export const OccurrenceSchema = z.object({ processingDate: IsoDateSchema, at: InstantSchema });

/** A stored schedule (without nextRuns): also the configuration snapshot of a run. */
export const StoredScheduleShape = {
  ...ScheduleConfigSchema.shape,
  scheduleId: z.string(),
  clientId: ClientIdSchema,
  mandatory: z.boolean(),
  version: z.number().int().positive(),
  createdAt: InstantSchema,
  updatedAt: InstantSchema,
};

export const ScheduleSchema = responseComponent(
  'Schedule',
  z.object({
    ...StoredScheduleShape,
    nextRuns: z.array(OccurrenceSchema).describe('The next 5 occurrences; none for MANUAL or a disabled schedule.'),
  }),
);

export const ScheduleListSchema = responseComponent('ScheduleList', z.object({ items: z.array(ScheduleSchema) }));

export const PreviewSchema = responseComponent('SchedulePreview', z.object({ occurrences: z.array(OccurrenceSchema) }));

export const MeSchema = responseComponent(
  'Me',
  z.object({
    actor: z.string().describe('The principal as the audit trail names it: an IAM ARN, or locally `admin-token` / `api-token:<client>`.'),
    clients: z
      .array(z.object({ clientId: z.union([ClientIdSchema, z.literal('*')]), role: z.enum(ROLES) }))
      .describe('The clients these credentials may act for, each with its role; clientId `*` stands for every client.'),
  }),
);

const ItemStatsSchema = z.object({ total: CountSchema, succeeded: CountSchema, failed: CountSchema, pending: CountSchema });
const ErrorInfoSchema = z.object({ code: z.string(), message: z.string() });
const RunNoteSchema = z.object({ code: z.string(), message: z.string() });

export const RunSchema = responseComponent(
  'Run',
  z.object({
    runId: z.string(),
    clientId: ClientIdSchema,
    scheduleId: z.string(),
    scheduleName: z.string(),
    processingDate: IsoDateSchema,
    attempt: z.number().int().positive(),
    status: RunStatusSchema,
    trigger: TriggerSchema,
    createdAt: InstantSchema,
    startedAt: InstantSchema.optional(),
    endedAt: InstantSchema.optional(),
    waitingUntil: InstantSchema.optional().describe(
      'Set while the run waits: until an exception window closes, or (overlap policy QUEUE) until it checks again whether the previous run has finished.',
    ),
    waitingReason: RunNoteSchema.extend({
      code: z.enum(WAITING_REASONS),
      since: InstantSchema.optional().describe('Since when the run has waited for this reason.'),
      waitingFor: z
        .array(
          z.object({
            scheduleId: z.string().optional(),
            runId: z.string().optional(),
            seq: z.number().int().positive().optional(),
            status: RunStatusSchema.optional().describe('That run’s status; absent while the schedule has no run for the date.'),
          }),
        )
        .optional()
        .describe('DEPENDENCY: each schedule waited for, with its run for the date; LEDGER_BUSY: the run and job holding the ledger; MANUAL_JOB: the job to start.'),
    })
      .optional()
      .describe(
        'Why a PENDING or RUNNING run waits: EXCEPTION_WINDOW, PREVIOUS_RUN_ACTIVE (an earlier run of the schedule is still active), DEPENDENCY (schedules it depends on have not completed the date), LEDGER_BUSY (another run of the client is writing the ledger), MANUAL_JOB (the next job waits for an operator to start it).',
      ),
    skipReason: RunNoteSchema.extend({ code: z.enum(SKIP_REASONS) })
      .optional()
      .describe('Why the run was SKIPPED: OVERLAP (overlap policy SKIP), or MISSED (the occurrence is older than the catch-up window).'),
    scheduledTime: InstantSchema.optional().describe('The occurrence a scheduled run stands for.'),
    deadlineAt: InstantSchema.optional().describe('When the schedule has deadlineMinutes: the instant by which the run should be COMPLETED.'),
    late: z.boolean().optional().describe('true once the run was not COMPLETED by deadlineAt (RUN_LATE fired).'),
    error: ErrorInfoSchema.extend({ seq: z.number().int().optional() }).optional(),
    stats: z.object({
      jobs: z.object({ total: CountSchema, completed: CountSchema, failed: CountSchema, pending: CountSchema }),
      items: ItemStatsSchema,
    }),
    jobs: z.array(
      z.object({
        seq: z.number().int().positive(),
        type: JobTypeSchema,
        settings: z.record(z.string(), z.unknown()).optional(),
        status: JobStatusSchema,
        onItemFailure: JobSpecSchema.shape.onItemFailure,
        start: JobSpecSchema.shape.start,
        manualStart: z
          .object({ at: InstantSchema, by: z.string().describe('The principal that started it, as the audit trail names it.') })
          .optional()
          .describe('A MANUAL job: who started it, and when.'),
        stats: ItemStatsSchema,
        startedAt: InstantSchema.optional(),
        endedAt: InstantSchema.optional(),
        error: ErrorInfoSchema.optional(),
      }),
    ),
    config: z.object(StoredScheduleShape).describe('Snapshot of the schedule when the run was created.'),
  }),
);

export const RunListSchema = responseComponent(
  'RunList',
  z.object({
    items: z.array(RunSchema),
    nextToken: z.string().optional().describe('With from/to: pass as nextToken for the next page; absent on the last page.'),
  }),
);

export const ItemPageSchema = responseComponent(
  'ItemPage',
  z.object({
    items: z.array(
      z.object({
        itemId: z.string(),
        status: ItemStatusSchema,
        attempts: CountSchema,
        error: ErrorInfoSchema.optional(),
        updatedAt: InstantSchema.optional(),
      }),
    ),
    nextToken: z.string().optional().describe('Pass as nextToken for the next page; absent on the last page.'),
  }),
);

// ---------------------------------------------------------------------------------------------
// The catalogue: the words for the schedule model's values (domain/catalogue.ts)

function catalogueEntry<T extends z.ZodType>(value: T) {
  return z.object({ value, label: z.string() });
}

export const CatalogueSchema = responseComponent(
  'Catalogue',
  z.object({
    jobTypes: z.array(
      catalogueEntry(JobTypeSchema).extend({
        description: z.string(),
        available: z.boolean().describe('Whether this deployment runs the job type: production refuses SYNTHETIC.'),
      }),
    ),
    recommendedDailyJobs: z.array(JobTypeSchema).describe('The job sequence of a new client’s mandatory daily schedule.'),
    recommendedDailySequence: z.array(JobSpecSchema).describe('The same sequence as jobs to put in a schedule, with each job’s onItemFailure.'),
    frequencyTypes: z.array(catalogueEntry(z.enum(FREQUENCY_TYPES)).extend({ parameter: z.string().optional().describe('The field the frequency takes besides its type.') })),
    weekdays: z.array(catalogueEntry(z.enum(DAYS_OF_WEEK))),
    overlapPolicies: z.array(catalogueEntry(z.enum(OVERLAP_POLICIES)).extend({ description: z.string() })),
    waitingReasons: z.array(
      catalogueEntry(z.enum(WAITING_REASONS)).extend({ words: z.string().describe('Why the run waits.'), until: z.string().describe('Leads the time the run acts again.') }),
    ),
    skipReasons: z.array(catalogueEntry(z.enum(SKIP_REASONS)).extend({ words: z.string().describe('Why the run was skipped.') })),
    eventTypes: z.array(
      catalogueEntry(z.enum(RUN_EVENT_TYPES)).extend({
        words: z.string().describe('What the event announces.'),
        needsAttention: z.boolean().describe('A person must act on it: a new subscription asks for it unless told otherwise.'),
      }),
    ),
    nonBusinessDayRules: z.array(catalogueEntry(z.enum(NON_BUSINESS_DAY_RULES)).extend({ description: z.string() })),
    offsetUnits: z.array(catalogueEntry(z.enum(OFFSET_UNITS)).extend({ description: z.string() })),
    defaults: z.object({ overlapPolicy: z.enum(OVERLAP_POLICIES), catchUpWindowHours: CountSchema }).describe('What a schedule that leaves these out gets.'),
    maxCatchUpWindowHours: CountSchema,
  }),
  'The words for the values of schedules and runs, and which job types this deployment runs.',
);
