import { z } from 'zod';

/**
 * The configuration and run model. One zod schema per entity: the API validates with these, the
 * OpenAPI document is generated from them, and the TypeScript types are inferred from them.
 */

export const JOB_TYPES = [
  'USAGE_RATING',
  'SYNC_TRANSACTIONS',
  'BILLING',
  'SUSPENSE_REPROCESSING',
  'SYNC_ERROR_REPROCESSING',
  'RERATING',
  'SYNTHETIC',
] as const;
export const JobTypeSchema = z.enum(JOB_TYPES);
export type JobType = z.infer<typeof JobTypeSchema>;

export const RUN_STATUSES = ['PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'SKIPPED', 'RESET'] as const;
export const RunStatusSchema = z.enum(RUN_STATUSES);
export type RunStatus = z.infer<typeof RunStatusSchema>;

export const JOB_STATUSES = ['PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'SKIPPED'] as const;
export const JobStatusSchema = z.enum(JOB_STATUSES);
export type JobStatus = z.infer<typeof JobStatusSchema>;

export const ITEM_STATUSES = ['PENDING', 'SUCCEEDED', 'FAILED'] as const;
export const ItemStatusSchema = z.enum(ITEM_STATUSES);
export type ItemStatus = z.infer<typeof ItemStatusSchema>;

/** BACKFILL: started by a backfill (domain/backfill.ts), never by a caller's trigger. */
export const TRIGGERS = ['SCHEDULED', 'MANUAL', 'API', 'BACKFILL'] as const;
export const TriggerSchema = z.enum(TRIGGERS);
export type Trigger = z.infer<typeof TriggerSchema>;

/** Client and schedule ids appear in DynamoDB keys and execution names: keep them to a safe alphabet. */
export const ClientIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'lower-case letters, digits and dashes, 1-40 characters, not starting with a dash');
export const ScheduleIdSchema = z.string().regex(/^(sch_[a-z0-9_]{1,40}|daily)$/, 'a schedule id (sch_...) or "daily"');
export const IsoDateSchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD').refine(isCalendarDate, 'not a calendar date');

/** The processing dates a run may have: wide enough for any billing period, never a five-digit year. */
export const PROCESSING_DATES = { first: '2000-01-01', last: '2099-12-31' } as const;
/** A run's processing date. The pattern is the range itself, so the OpenAPI document shows it. */
export const ProcessingDateSchema = z
  .string()
  .regex(/^20\d{2}-\d{2}-\d{2}$/, `a date YYYY-MM-DD from ${PROCESSING_DATES.first} to ${PROCESSING_DATES.last}`)
  .refine(isCalendarDate, 'not a calendar date');

function isCalendarDate(s: string): boolean {
  return !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s);
}

export const LocalTimeSchema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/, 'a local time HH:MM:SS');
export const TimezoneSchema = z.string().refine(isKnownTimezone, 'an IANA time zone such as America/New_York');

export function isKnownTimezone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone.length > 0;
  } catch {
    return false;
  }
}

export const DAYS_OF_WEEK = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'] as const;
export type DayOfWeek = (typeof DAYS_OF_WEEK)[number];

/** What a schedule with a business-day calendar does with an occurrence on a weekend day or holiday (absent: RUN). */
export const NON_BUSINESS_DAY_RULES = ['RUN', 'SKIP', 'PREVIOUS', 'NEXT'] as const;
export type NonBusinessDayRule = (typeof NON_BUSINESS_DAY_RULES)[number];
/** How MONTH_END, QUARTER_END and YEAR_END count offsetDays (absent: CALENDAR_DAYS). */
export const OFFSET_UNITS = ['CALENDAR_DAYS', 'BUSINESS_DAYS'] as const;
export type OffsetUnit = (typeof OFFSET_UNITS)[number];
/** A calendar's holidays: a century of ten a year. */
export const MAX_HOLIDAYS = 1000;

export const CalendarIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'lower-case letters, digits and dashes, 1-40 characters, not starting with a dash');

/** A client's business-day calendar: weekend days and holidays, stored deduplicated and sorted. */
export const CalendarConfigSchema = z
  .object({
    name: z.string().trim().min(1).max(100),
    weekend: z
      .array(z.enum(DAYS_OF_WEEK))
      .max(7)
      .transform((days) => DAYS_OF_WEEK.filter((day) => days.includes(day)))
      .refine((days) => days.length < 7, 'at most six weekend days: a calendar needs business days')
      .describe('The weekly non-business days, e.g. ["SAT", "SUN"] or ["FRI", "SAT"]; not all seven.'),
    holidays: z
      .array(ProcessingDateSchema)
      .max(MAX_HOLIDAYS)
      .default([])
      .transform((dates) => [...new Set(dates)].sort())
      .describe(`Non-business dates (YYYY-MM-DD, ${PROCESSING_DATES.first}..${PROCESSING_DATES.last}), at most ${MAX_HOLIDAYS}; kept sorted, once each.`),
  })
  .strict();
export type CalendarConfig = z.infer<typeof CalendarConfigSchema>;

export const FrequencySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('DAILY') }).strict(),
  z.object({ type: z.literal('WEEKLY'), dayOfWeek: z.enum(DAYS_OF_WEEK) }).strict(),
  z.object({ type: z.literal('MONTHLY'), dayOfMonth: z.number().int().min(1).max(31) }).strict(),
  z.object({ type: z.literal('MONTH_END'), offsetDays: z.number().int().min(0).max(27).default(0), offsetUnit: z.enum(OFFSET_UNITS).optional() }).strict(),
  z.object({ type: z.literal('QUARTER_END'), offsetDays: z.number().int().min(0).max(27).default(0), offsetUnit: z.enum(OFFSET_UNITS).optional() }).strict(),
  z.object({ type: z.literal('YEAR_END'), offsetDays: z.number().int().min(0).max(27).default(0), offsetUnit: z.enum(OFFSET_UNITS).optional() }).strict(),
  z.object({ type: z.literal('CRON'), expression: z.string().min(1).max(200) }).strict(),
  z.object({ type: z.literal('MANUAL') }).strict(),
]);
export type Frequency = z.infer<typeof FrequencySchema>;
export type FrequencyType = Frequency['type'];

export const ExceptionWindowSchema = z.object({ start: LocalTimeSchema, end: LocalTimeSchema }).strict();
export type ExceptionWindow = z.infer<typeof ExceptionWindowSchema>;

/** How a job of a schedule starts: after the job before it (AUTO), or when an operator starts it (MANUAL). */
export const JOB_STARTS = ['AUTO', 'MANUAL'] as const;
export type JobStart = (typeof JOB_STARTS)[number];

/**
 * Job settings are free-form per job type; each job type validates its own settings through the
 * job registry (SYNTHETIC: items, failItems, delayMs).
 */
export const JobSpecSchema = z
  .object({
    type: JobTypeSchema,
    settings: z.record(z.string(), z.unknown()).optional(),
    onItemFailure: z
      .enum(['STOP', 'CONTINUE'])
      .optional()
      .describe(
        'When items of this job still fail after its automatic retry, STOP (the default) ends the run FAILED at this job; CONTINUE marks the job FAILED, runs the jobs after it, and ends the run FAILED once the sequence is done.',
      ),
    start: z
      .enum(JOB_STARTS)
      .optional()
      .describe(
        'AUTO (the default) starts the job when the one before it ends; MANUAL holds the run before it (RUNNING, waitingReason MANUAL_JOB) until an operator starts it with POST .../runs/{runId}/jobs/{seq}/start.',
      ),
  })
  .strict();
export type JobSpec = z.infer<typeof JobSpecSchema>;
export type OnItemFailure = NonNullable<JobSpec['onItemFailure']>;

/**
 * What a new run does while an earlier run of the same schedule is still PENDING or RUNNING:
 * QUEUE waits until it has finished, SKIP records the new occurrence as a SKIPPED run, ALLOW runs both.
 */
export const OVERLAP_POLICIES = ['QUEUE', 'SKIP', 'ALLOW'] as const;
export const OverlapPolicySchema = z.enum(OVERLAP_POLICIES);
export type OverlapPolicy = z.infer<typeof OverlapPolicySchema>;

export const DEFAULT_OVERLAP_POLICY: OverlapPolicy = 'QUEUE';
export const DEFAULT_CATCH_UP_WINDOW_HOURS = 24;
/** Longest catch-up window: 31 days. */
export const MAX_CATCH_UP_WINDOW_HOURS = 744;
/** Longest deadline: 7 days. */
export const MAX_DEADLINE_MINUTES = 10_080;

export const ScheduleConfigSchema = z
  .object({
    name: z.string().trim().min(1).max(100),
    description: z.string().max(1000).optional(),
    frequency: FrequencySchema,
    executionTime: LocalTimeSchema,
    timezone: TimezoneSchema,
    exceptionWindows: z.array(ExceptionWindowSchema).max(10).default([]),
    jobs: z.array(JobSpecSchema).min(1).max(20),
    enabled: z.boolean().default(true),
    calendarId: CalendarIdSchema.optional().describe('The client’s business-day calendar this schedule follows (nonBusinessDay, offsetUnit BUSINESS_DAYS).'),
    nonBusinessDay: z
      .enum(NON_BUSINESS_DAY_RULES)
      .optional()
      .describe('With a calendar: an occurrence on a weekend day or holiday RUNs (the default), is SKIPped, or moves to the PREVIOUS or NEXT business day.'),
    dependsOn: z
      .array(z.object({ scheduleId: ScheduleIdSchema }).strict())
      .max(20)
      .optional()
      .describe('Other schedules of this client whose run for the same processing date must be COMPLETED before this one starts.'),
    overlapPolicy: OverlapPolicySchema.default(DEFAULT_OVERLAP_POLICY).describe(
      'A new run while an earlier run of this schedule is PENDING or RUNNING: QUEUE waits for it, SKIP records the occurrence as SKIPPED, ALLOW runs both.',
    ),
    catchUpWindowHours: z
      .number()
      .int()
      .min(0)
      .max(MAX_CATCH_UP_WINDOW_HOURS)
      .default(DEFAULT_CATCH_UP_WINDOW_HOURS)
      .describe('Occurrences missed while the scheduler was down are still fired when at most this many hours old; older ones are recorded as SKIPPED (MISSED).'),
    deadlineMinutes: z
      .number()
      .int()
      .min(1)
      .max(MAX_DEADLINE_MINUTES)
      .optional()
      .describe('A run not COMPLETED this many minutes after its scheduled time (API-triggered: after the trigger) reads late and fires RUN_LATE once.'),
  })
  .strict();
export type ScheduleConfig = z.infer<typeof ScheduleConfigSchema>;
/** A configuration as a caller may write it: fields with defaults may be left out. */
export type ScheduleConfigInput = z.input<typeof ScheduleConfigSchema>;

export interface Client {
  clientId: string;
  name: string;
  timezone: string;
  dailyScheduleId: string;
  createdAt: string;
  updatedAt: string;
}

/**
 * A stored schedule. The overlap policy and catch-up window came later: a run's configuration
 * snapshot from before may lack them, and reads as the defaults (DEFAULT_OVERLAP_POLICY,
 * DEFAULT_CATCH_UP_WINDOW_HOURS).
 */
export interface Schedule extends Omit<ScheduleConfig, 'overlapPolicy' | 'catchUpWindowHours'>, Partial<Pick<ScheduleConfig, 'overlapPolicy' | 'catchUpWindowHours'>> {
  scheduleId: string;
  clientId: string;
  mandatory: boolean;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** The id of every client's mandatory daily schedule; `daily` in a URL is an alias for it. */
export const DAILY_SCHEDULE_ID = 'sch_daily';

export interface ItemStats {
  total: number;
  succeeded: number;
  failed: number;
  pending: number;
}

export interface ErrorInfo {
  code: string;
  message: string;
}

export const WAITING_REASONS = ['EXCEPTION_WINDOW', 'PREVIOUS_RUN_ACTIVE', 'DEPENDENCY', 'LEDGER_BUSY', 'MANUAL_JOB'] as const;
export const SKIP_REASONS = ['OVERLAP', 'MISSED'] as const;
export type WaitingReason = (typeof WAITING_REASONS)[number];
export type SkipReason = (typeof SKIP_REASONS)[number];

/** A coded, readable explanation of a run's state (why it waits, why it was skipped). */
export interface RunNote {
  code: WaitingReason | SkipReason;
  message: string;
  /** A wait: since when the run has waited for this reason (a longer wait checks less often). */
  since?: string;
  /** A wait: what the run waits for (DEPENDENCY: each schedule's run; LEDGER_BUSY: the run holding the ledger; MANUAL_JOB: the job). */
  waitingFor?: WaitTarget[];
}

/** One thing a waiting run waits for. */
export interface WaitTarget {
  scheduleId?: string;
  runId?: string;
  seq?: number;
  /** The status of that run, or absent when there is no run yet. */
  status?: RunStatus;
}

export interface RunJob {
  seq: number;
  type: JobType;
  settings?: Record<string, unknown>;
  status: JobStatus;
  stats: ItemStats;
  startedAt?: string;
  endedAt?: string;
  /** Set once CollectWorkItems has persisted this job's batches: a re-entry returns the same ones. */
  batchCount?: number;
  /** Bumped by a reprocess of ALL items, so that workers re-run items that already succeeded once. */
  generation: number;
  /** From the job's spec; absent (runs from before it existed) is STOP. */
  onItemFailure?: OnItemFailure;
  /**
   * Set by a reprocess that reopens a collected job: its next collect adds batches for the items
   * that became due since, and clears it in the same write that records the new batchCount.
   */
  collectAgain?: boolean;
  /** From the job's spec: MANUAL holds the run before this job until an operator starts it. */
  start?: JobStart;
  /** Who started a MANUAL job, and when (POST .../jobs/{seq}/start). */
  manualStart?: { at: string; by: string };
  error?: ErrorInfo;
}

/** What a reprocess asks the next execution to do. */
export interface RunPlan {
  /** The first job to run; earlier jobs are left as they are. */
  startSeq: number;
  /** FAILED: only items not yet succeeded; ALL: every item of startSeq again. */
  items: 'FAILED' | 'ALL';
  /** Passed to job handlers: SYNTHETIC stops failing its failItems. */
  heal: boolean;
}

export interface Run {
  runId: string;
  clientId: string;
  scheduleId: string;
  scheduleName: string;
  processingDate: string;
  attempt: number;
  status: RunStatus;
  trigger: Trigger;
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
  /** When the run waits for an exception window to close before starting its next job, or until it checks again whether the previous run has finished. */
  waitingUntil?: string;
  /** Why the run waits (with waitingUntil). */
  waitingReason?: RunNote;
  /** Why a run is SKIPPED: OVERLAP (an earlier run was still active, overlap policy SKIP) or MISSED (older than the catch-up window). */
  skipReason?: RunNote;
  /** The occurrence a scheduled run stands for (UTC instant). */
  scheduledTime?: string;
  /** scheduledTime (or createdAt) + the schedule's deadlineMinutes: a run not COMPLETED by then is late. */
  deadlineAt?: string;
  /** Set once, with RUN_LATE, when the run was not COMPLETED by deadlineAt. */
  late?: boolean;
  error?: ErrorInfo & { seq?: number };
  config: Schedule;
  jobs: RunJob[];
  /** The name of the Step Functions execution that currently owns the run; older ones are superseded. */
  executionName: string;
  /** How many executions the run has had (1 = the first; each reprocess adds one). */
  executionCount: number;
  /** The highest redrive count seen in execution status events of the current execution. */
  redriveCount: number;
  plan: RunPlan;
  heal: boolean;
  updatedAt: string;
}

export function emptyStats(): ItemStats {
  return { total: 0, succeeded: 0, failed: 0, pending: 0 };
}
