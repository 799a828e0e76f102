import {
  DAYS_OF_WEEK,
  DEFAULT_CATCH_UP_WINDOW_HOURS,
  DEFAULT_OVERLAP_POLICY,
  FrequencySchema,
  JOB_TYPES,
  MAX_CATCH_UP_WINDOW_HOURS,
  NON_BUSINESS_DAY_RULES,
  OFFSET_UNITS,
  OVERLAP_POLICIES,
  SKIP_REASONS,
  WAITING_REASONS,
  type DayOfWeek,
  type FrequencyType,
  type JobSpec,
  type JobType,
  type NonBusinessDayRule,
  type OffsetUnit,
  type OverlapPolicy,
  type SkipReason,
  type WaitingReason,
} from './model';
import { RUN_EVENT_TYPES, type RunEventType } from './run-events';

/**
 * The words for the schedule model's values, written once: the API serves them (GET /v1/catalogue)
 * and the console shows them, so the console keeps no list of its own that could drift.
 * Records over the unions: a new job type, frequency or reason does not compile without its words.
 */
const JOB_TYPE_WORDS: Record<JobType, { label: string; description: string }> = {
  USAGE_RATING: { label: 'Usage rating', description: 'Prices the usage that is due; usage without a rate goes to suspense.' },
  SYNC_TRANSACTIONS: { label: 'Transaction sync', description: 'Sends rated transactions to core billing; a rejected one becomes a sync error.' },
  BILLING: { label: 'Billing', description: 'Invoices the accounts whose bill date is the processing date, once per period.' },
  SUSPENSE_REPROCESSING: { label: 'Suspense reprocessing', description: 'Prices the usage in suspense again, once its missing rate is there.' },
  SYNC_ERROR_REPROCESSING: { label: 'Sync-error reprocessing', description: 'Sends the transactions core billing rejected again, once the cause is fixed.' },
  RERATING: { label: 'Rerating', description: 'Prices again the usage of the open rerate requests; invoiced periods stay as they are.' },
  SYNTHETIC: { label: 'Synthetic (diagnostic)', description: 'Makes up work items, failing the listed ones until healed: for checking the engine, never in production.' },
};

const FREQUENCY_LABELS: Record<FrequencyType, string> = {
  DAILY: 'Daily',
  WEEKLY: 'Weekly',
  MONTHLY: 'Monthly, on a day of the month',
  MONTH_END: 'Month-end',
  QUARTER_END: 'Quarter-end',
  YEAR_END: 'Year-end',
  CRON: 'Cron expression',
  MANUAL: 'Manual only',
};

const WEEKDAY_LABELS: Record<DayOfWeek, string> = {
  MON: 'Monday',
  TUE: 'Tuesday',
  WED: 'Wednesday',
  THU: 'Thursday',
  FRI: 'Friday',
  SAT: 'Saturday',
  SUN: 'Sunday',
};

const OVERLAP_POLICY_WORDS: Record<OverlapPolicy, { label: string; description: string }> = {
  QUEUE: { label: 'Queue: wait for it', description: 'The new run waits until the earlier one has finished.' },
  SKIP: { label: 'Skip this occurrence', description: 'The new occurrence is recorded as a skipped run.' },
  ALLOW: { label: 'Allow: run both', description: 'Both runs go ahead at the same time.' },
};

/** `words` says why the run waits; `until` leads the time it acts again. */
const WAITING_REASON_WORDS: Record<WaitingReason, { label: string; words: string; until: string }> = {
  EXCEPTION_WINDOW: {
    label: 'Exception window',
    words: 'Waiting for an exception window to close: no job starts inside it.',
    until: 'It starts its next job at',
  },
  PREVIOUS_RUN_ACTIVE: {
    label: 'Queued behind an earlier run',
    words: 'Queued behind an earlier run of this schedule that is still active (overlap policy Queue).',
    until: 'It checks again at',
  },
  DEPENDENCY: {
    label: 'Waiting for other schedules',
    words: 'Waiting until the runs of the schedules it depends on are completed for the same processing date.',
    until: 'It checks again at',
  },
  LEDGER_BUSY: {
    label: 'Ledger busy',
    words: 'Waiting for another run of this client to finish its ledger job: two runs never write the ledger at the same time.',
    until: 'It checks again at',
  },
  MANUAL_JOB: {
    label: 'Waiting for a manual start',
    words: 'Waiting for an operator to start the next job, which the schedule marks as started by hand.',
    until: 'Once started, it goes on by',
  },
};

const SKIP_REASON_WORDS: Record<SkipReason, { label: string; words: string }> = {
  MISSED: {
    label: 'Missed',
    words: 'Skipped: the occurrence was missed. No scheduler was running at its time, and it is older than the schedule’s catch-up window.',
  },
  OVERLAP: { label: 'Overlap', words: 'Skipped: an earlier run of this schedule was still active, and the schedule’s overlap policy is Skip.' },
};

/** `needsAttention`: an event a person must act on, which a new subscription asks for unless told otherwise. */
const EVENT_TYPE_WORDS: Record<RunEventType, { label: string; words: string; needsAttention: boolean }> = {
  RUN_STARTED: { label: 'Run started', words: 'A run started: a first start, a reprocess or a redrive.', needsAttention: false },
  RUN_COMPLETED: { label: 'Run completed', words: 'A run completed, every job done.', needsAttention: false },
  RUN_FAILED: { label: 'Run failed', words: 'A run failed and waits for a person: reprocess it once the cause is fixed.', needsAttention: true },
  RUN_SKIPPED: { label: 'Run skipped (missed or overlapping)', words: 'An occurrence did not run: it was missed, or an earlier run was still active.', needsAttention: false },
  RUN_LATE: { label: 'Run late (past its deadline)', words: 'A run was not completed by its schedule’s deadline.', needsAttention: true },
};

const NON_BUSINESS_DAY_WORDS: Record<NonBusinessDayRule, { label: string; description: string }> = {
  RUN: { label: 'Run anyway', description: 'An occurrence on a weekend day or holiday runs on that day.' },
  SKIP: { label: 'Skip it', description: 'An occurrence on a weekend day or holiday does not run.' },
  PREVIOUS: { label: 'Previous business day', description: 'An occurrence on a weekend day or holiday runs on the business day before it instead.' },
  NEXT: { label: 'Next business day', description: 'An occurrence on a weekend day or holiday runs on the business day after it instead.' },
};

const OFFSET_UNIT_WORDS: Record<OffsetUnit, { label: string; description: string }> = {
  CALENDAR_DAYS: { label: 'Calendar days', description: 'The offset counts days back from the period’s last day (0 = the last day).' },
  BUSINESS_DAYS: { label: 'Business days', description: 'The offset counts business days of the calendar back from the period’s last business day (0 = that day).' },
};

export interface CatalogueOptions {
  /** Whether this deployment runs the job type: production refuses SYNTHETIC. */
  isAvailable(type: JobType): boolean;
  /** The job sequence of a new client's mandatory daily schedule. */
  recommendedDailySequence: readonly JobSpec[];
}

/** A value as the API takes or answers it, with its words. */
export interface CatalogueEntry<T extends string> {
  value: T;
  label: string;
}

export interface Catalogue {
  jobTypes: Array<CatalogueEntry<JobType> & { description: string; available: boolean }>;
  recommendedDailyJobs: JobType[];
  /** The same sequence as jobs to put in a schedule, with each job's onItemFailure. */
  recommendedDailySequence: JobSpec[];
  /** `parameter`: the one field the frequency takes besides its type. */
  frequencyTypes: Array<CatalogueEntry<FrequencyType> & { parameter?: string }>;
  weekdays: Array<CatalogueEntry<DayOfWeek>>;
  overlapPolicies: Array<CatalogueEntry<OverlapPolicy> & { description: string }>;
  waitingReasons: Array<CatalogueEntry<WaitingReason> & { words: string; until: string }>;
  skipReasons: Array<CatalogueEntry<SkipReason> & { words: string }>;
  /** The run events a webhook subscription may ask for (besides "*", every one). */
  eventTypes: Array<CatalogueEntry<RunEventType> & { words: string; needsAttention: boolean }>;
  /** A schedule with a business-day calendar: what an occurrence on a non-business day does. */
  nonBusinessDayRules: Array<CatalogueEntry<NonBusinessDayRule> & { description: string }>;
  /** How MONTH_END, QUARTER_END and YEAR_END count their offsetDays. */
  offsetUnits: Array<CatalogueEntry<OffsetUnit> & { description: string }>;
  defaults: { overlapPolicy: OverlapPolicy; catchUpWindowHours: number };
  maxCatchUpWindowHours: number;
}

/** The frequency types in the order of the schema's variants. */
export const FREQUENCY_TYPES: readonly FrequencyType[] = FrequencySchema.options.map((variant) => variant.shape.type.value);

/** Each frequency type with the field it takes besides `type`, read from its schema. */
function frequencyTypes(): Catalogue['frequencyTypes'] {
  return FrequencySchema.options.map((variant) => {
    const value = variant.shape.type.value;
    const parameter = Object.keys(variant.shape).find((key) => key !== 'type');
    return { value, label: FREQUENCY_LABELS[value], ...(parameter ? { parameter } : {}) };
  });
}

export function describeCatalogue(options: CatalogueOptions): Catalogue {
  return {
    jobTypes: JOB_TYPES.map((value) => ({ value, ...JOB_TYPE_WORDS[value], available: options.isAvailable(value) })),
    recommendedDailyJobs: options.recommendedDailySequence.map((job) => job.type),
    recommendedDailySequence: options.recommendedDailySequence.map((job) => ({ ...job })),
    frequencyTypes: frequencyTypes(),
    weekdays: DAYS_OF_WEEK.map((value) => ({ value, label: WEEKDAY_LABELS[value] })),
    overlapPolicies: OVERLAP_POLICIES.map((value) => ({ value, ...OVERLAP_POLICY_WORDS[value] })),
    waitingReasons: WAITING_REASONS.map((value) => ({ value, ...WAITING_REASON_WORDS[value] })),
    skipReasons: SKIP_REASONS.map((value) => ({ value, ...SKIP_REASON_WORDS[value] })),
    eventTypes: RUN_EVENT_TYPES.map((value) => ({ value, ...EVENT_TYPE_WORDS[value] })),
    nonBusinessDayRules: NON_BUSINESS_DAY_RULES.map((value) => ({ value, ...NON_BUSINESS_DAY_WORDS[value] })),
    offsetUnits: OFFSET_UNITS.map((value) => ({ value, ...OFFSET_UNIT_WORDS[value] })),
    defaults: { overlapPolicy: DEFAULT_OVERLAP_POLICY, catchUpWindowHours: DEFAULT_CATCH_UP_WINDOW_HOURS },
    maxCatchUpWindowHours: MAX_CATCH_UP_WINDOW_HOURS,
  };
}
