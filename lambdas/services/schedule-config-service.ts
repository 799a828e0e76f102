import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { describeCatalogue, type Catalogue } from '../domain/catalogue';
import { ConflictError, NotFoundError, StaleVersionError, ValidationError, type ErrorDetail } from '../domain/errors';
import type { JobRegistry } from '../domain/job-registry';
import {
  DAILY_SCHEDULE_ID,
  DEFAULT_CATCH_UP_WINDOW_HOURS,
  DEFAULT_OVERLAP_POLICY,
  ScheduleConfigSchema, type Client, type Frequency, type JobSpec, type NonBusinessDayRule, type Schedule, type ScheduleConfig, type ScheduleConfigInput } from '../domain/model';
import { resolveScheduleId } from '../domain/run';
import { nextOccurrences, validateCalendarSpec, type CalendarSpec, type Occurrence } from '../domain/schedule-calendar';
import { calendarSpecOf, CalendarService } from './calendar-service';
import { systemClock } from '../domain/system-clock';
import type { Clock } from '../ports/clock';
import { SYSTEM_ACTOR, type ConfigStore, type ScheduleVersion, type ScheduleVersionPage } from '../ports/config-store';
import type { ScheduleFiringService } from './schedule-firing-service';

/** How many upcoming occurrences a schedule shows. */
export const NEXT_RUNS_SHOWN = 5;

/**
 * The sequence of a newly onboarded client's mandatory daily schedule, and the recommended daily
 * sequence. Rating and sync CONTINUE past failed items, so BILLING still bills every account they
 * did not leave with unrated or unsynced usage (those it holds).
 */
export const DEFAULT_DAILY_JOBS: readonly JobSpec[] = [
  { type: 'USAGE_RATING', onItemFailure: 'CONTINUE' },
  { type: 'SYNC_TRANSACTIONS', onItemFailure: 'CONTINUE' },
  { type: 'BILLING' },
];
export const DEFAULT_DAILY_NAME = 'Daily billing';
export const DEFAULT_DAILY_TIME = '01:00:00';

export interface ClientInput {
  name: string;
  timezone: string;
}

export interface PreviewInput {
  frequency: Frequency;
  executionTime: string;
  timezone: string;
  /** ISO-8601 instant; default now. */
  from?: string;
  /** 1..100; default 5. */
  count?: number;
  calendarId?: string | undefined;
  nonBusinessDay?: NonBusinessDayRule | undefined;
}

/** A schedule as the API shows it: the stored schedule plus its next occurrences. */
export interface ScheduleView extends Schedule {
  nextRuns: Occurrence[];
}

export interface ScheduleConfigServiceOptions {
  store: ConfigStore;
  /** Validates each job's type (available in this deployment) and settings. */
  registry: JobRegistry;
  /** @default systemClock */
  clock?: Clock;
  /** @default `sch_` + 16 random lower-case letters and digits */
  newScheduleId?: () => string;
  /**
   * Keeps the scheduler's triggers in step with every created, edited and deleted schedule.
   * @default none: schedules are stored, but nothing arms them (API tests)
   */
  scheduling?: Pick<ScheduleFiringService, 'scheduleChanged' | 'scheduleDeleted'>;
}

export function randomScheduleId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  // 252 = 7 * 36: bytes at or above it are dropped so that every character is equally likely.
  const chars = [...randomBytes(32)].filter((b) => b < 252).map((b) => alphabet[b % 36]);
  return `sch_${chars.slice(0, 16).join('')}`;
}

/**
 * Clients and their job schedules: onboarding (with the mandatory daily schedule), schedule CRUD
 * with optimistic versions, and the calendar views (nextRuns, preview).
 * Errors: ValidationError, NotFoundError, ConflictError (name taken, mandatory schedule),
 * StaleVersionError.
 */
export class ScheduleConfigService {
  private readonly store: ConfigStore;
  private readonly registry: JobRegistry;
  private readonly clock: Clock;
  private readonly newScheduleId: () => string;
  private readonly scheduling: ScheduleConfigServiceOptions['scheduling'];
  /** The client's business-day calendars, on the same store and scheduling. */
  readonly calendars: CalendarService;

  constructor(options: ScheduleConfigServiceOptions) {
    this.store = options.store;
    this.registry = options.registry;
    this.clock = options.clock ?? systemClock;
    this.newScheduleId = options.newScheduleId ?? randomScheduleId;
    this.scheduling = options.scheduling;
    this.calendars = new CalendarService({ store: this.store, clock: this.clock, scheduling: this.scheduling });
  }

  /** Onboards a client (with its mandatory daily schedule) or updates its name and time zone. */
  /** `by`: the caller's principal, kept with the daily schedule's first version. */
  async putClient(clientId: string, input: ClientInput, by = SYSTEM_ACTOR): Promise<{ client: Client; created: boolean }> {
    const existing = await this.store.getClient(clientId);
    const now = this.clock.now().toISOString();
    if (!existing) {
      const client: Client = { clientId, name: input.name, timezone: input.timezone, dailyScheduleId: DAILY_SCHEDULE_ID, createdAt: now, updatedAt: now };
      const daily = this.defaultDailySchedule(client);
      if (await this.store.createClient(client, daily, by)) {
        await this.scheduling?.scheduleChanged(daily);
        return { client, created: true };
      }
      // Another request onboarded the client a moment ago: this one becomes an update.
    }
    const current = existing ?? (await this.getClient(clientId));
    const client: Client = { ...current, name: input.name, timezone: input.timezone, updatedAt: now };
    await this.store.updateClient(client);
    return { client, created: false };
  }

  async getClient(clientId: string): Promise<Client> {
    const client = await this.store.getClient(clientId);
    if (!client) throw new NotFoundError(`client ${clientId} not found`);
    return client;
  }

  async listSchedules(clientId: string): Promise<ScheduleView[]> {
    const [, schedules] = await Promise.all([this.getClient(clientId), this.store.listSchedules(clientId)]);
    return Promise.all(schedules.map((schedule) => this.view(schedule)));
  }

  async getSchedule(clientId: string, scheduleId: string): Promise<ScheduleView> {
    return this.view(await this.load(clientId, scheduleId));
  }

  async createSchedule(clientId: string, config: ScheduleConfigInput, by = SYSTEM_ACTOR): Promise<ScheduleView> {
    const now = this.clock.now().toISOString();
    const scheduleId = this.newScheduleId();
    const schedule: Schedule = {
      ...(await this.validated(clientId, scheduleId, config)),
      scheduleId,
      clientId,
      mandatory: false,
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    await this.store.createSchedule(schedule, by);
    await this.scheduling?.scheduleChanged(schedule);
    return this.view(schedule);
  }

  /** Replaces a schedule's configuration if `expectedVersion` is its current version. */
  async replaceSchedule(clientId: string, scheduleId: string, config: ScheduleConfigInput, expectedVersion: number, by = SYSTEM_ACTOR): Promise<ScheduleView> {
    const current = await this.load(clientId, scheduleId);
    if (current.version !== expectedVersion) {
      throw new StaleVersionError(`schedule ${current.scheduleId} is at version ${current.version}, not ${expectedVersion}: read it again and retry`);
    }
    const validated = await this.validated(clientId, current.scheduleId, config);
    if (current.mandatory) assertKeepsMandatoryShape(validated);
    const next: Schedule = {
      ...validated,
      scheduleId: current.scheduleId,
      clientId,
      mandatory: current.mandatory,
      version: expectedVersion + 1,
      createdAt: current.createdAt,
      updatedAt: this.clock.now().toISOString(),
    };
    await this.store.updateSchedule(next, expectedVersion, by);
    await this.scheduling?.scheduleChanged(next, current);
    return this.view(next);
  }

  async deleteSchedule(clientId: string, scheduleId: string): Promise<void> {
    const current = await this.load(clientId, scheduleId);
    if (current.mandatory) {
      throw new ConflictError('the mandatory daily schedule cannot be deleted; edit or disable it instead', 'MANDATORY_SCHEDULE');
    }
    const dependants = (await this.store.listSchedules(clientId)).filter((other) => other.dependsOn?.some((dependency) => dependency.scheduleId === current.scheduleId));
    if (dependants.length > 0) {
      const names = dependants.map((other) => `${other.name} (${other.scheduleId})`).join(', ');
      throw new ConflictError(`schedule ${current.scheduleId} cannot be deleted: ${names} depend on it; remove it from their dependsOn first`, 'SCHEDULE_DEPENDED_ON', [
        { path: 'dependsOn', message: `depended on by ${names}` },
      ]);
    }
    await this.store.deleteSchedule(clientId, current.scheduleId);
    await this.scheduling?.scheduleDeleted({ clientId, scheduleId: current.scheduleId });
  }

  /** The next `count` occurrences strictly after `from`, computed by the code that fires schedules; nothing is saved. */
  async preview(clientId: string, input: PreviewInput): Promise<Occurrence[]> {
    const from = input.from === undefined ? this.clock.now() : new Date(input.from);
    if (Number.isNaN(from.getTime())) throw new ValidationError('from is not a valid instant', [{ path: 'from', message: 'an ISO-8601 instant' }]);
    const count = input.count ?? NEXT_RUNS_SHOWN;
    if (!Number.isInteger(count) || count < 1 || count > 100) {
      throw new ValidationError('count must be an integer from 1 to 100', [{ path: 'count', message: 'an integer from 1 to 100' }]);
    }
    const spec = await calendarSpecOf(this.store, clientId, input);
    validateCalendarSpec(spec);
    return occurrences(spec, from, count);
  }

  /** The words for schedules and runs, with the job types this deployment runs (GET /v1/catalogue). */
  catalogue(): Catalogue {
    return describeCatalogue({ isAvailable: (type) => this.registry.has(type), recommendedDailySequence: DEFAULT_DAILY_JOBS });
  }

  /** The schedule with its next occurrences (none when MANUAL or disabled), by its business-day calendar. */
  async view(schedule: Schedule): Promise<ScheduleView> {
    const nextRuns = schedule.enabled ? occurrences(await calendarSpecOf(this.store, schedule.clientId, schedule), this.clock.now(), NEXT_RUNS_SHOWN) : [];
    return { ...schedule, nextRuns };
  }

  /**
   * A schedule's saved versions, newest first. They outlive the schedule: a deleted schedule's
   * history stays readable; an id that never had a version is a NotFoundError.
   */
  async listVersions(clientId: string, scheduleId: string, page: { limit: number; nextToken?: string }): Promise<ScheduleVersionPage> {
    const versions = await this.store.listScheduleVersions(clientId, resolveScheduleId(scheduleId), page);
    if (versions.items.length === 0 && page.nextToken === undefined) await this.load(clientId, scheduleId);
    return versions;
  }

  /** The schedule as saved at `version`, with when and by whom. */
  async getVersion(clientId: string, scheduleId: string, version: number): Promise<ScheduleVersion> {
    const saved = await this.store.getScheduleVersion(clientId, resolveScheduleId(scheduleId), version);
    if (!saved) throw new NotFoundError(`schedule ${scheduleId} has no version ${version}`);
    return saved;
  }

  private async load(clientId: string, scheduleId: string): Promise<Schedule> {
    const id = resolveScheduleId(scheduleId);
    const schedule = await this.store.getSchedule(clientId, id);
    if (!schedule) {
      if (id === DAILY_SCHEDULE_ID) await this.getClient(clientId);
      throw new NotFoundError(`schedule ${scheduleId} not found`);
    }
    return schedule;
  }

  /**
   * Checks what the schema cannot: the calendar (CRON expression, exception windows, the
   * business-day calendar and its rules), the dependencies, and that each job type is available
   * here with valid settings (which come back normalised).
   */
  private async validated(clientId: string, scheduleId: string, input: ScheduleConfigInput): Promise<ScheduleConfig> {
    // The API has parsed the body already; other callers (the demo seed) may leave defaults out.
    const parsed = ScheduleConfigSchema.parse(input);
    validateCalendarSpec({ ...(await calendarSpecOf(this.store, clientId, parsed)), exceptionWindows: parsed.exceptionWindows });
    const config = parsed.dependsOn ? { ...parsed, dependsOn: await this.checkedDependencies(clientId, scheduleId, parsed.dependsOn) } : parsed;
    const jobs = config.jobs.map((job, index): JobSpec => {
      const handler = withPath(`jobs.${index}.type`, () => this.registry.get(job.type));
      // A job type reports its settings' problems at `settings.<field>`: relative to the job.
      const settings = withPath(`jobs.${index}`, () => handler.parseSettings(job.settings));
      return job.settings === undefined ? job : { ...job, settings };
    });
    return { ...config, jobs };
  }

  /**
   * The dependencies with `daily` resolved: each an existing other schedule of the client, once,
   * closing no cycle among the client's schedules as stored now. Two saves racing to close one
   * cycle from both ends can both pass (docs/calendars.md); the waiting runs then show it.
   */
  private async checkedDependencies(clientId: string, scheduleId: string, dependsOn: NonNullable<ScheduleConfig['dependsOn']>): Promise<NonNullable<ScheduleConfig['dependsOn']>> {
    const schedules = await this.store.listSchedules(clientId);
    const byId = new Map(schedules.map((schedule) => [schedule.scheduleId, schedule]));
    const details: ErrorDetail[] = [];
    const resolved = dependsOn.map((dependency, index) => {
      const id = resolveScheduleId(dependency.scheduleId);
      const path = `dependsOn.${index}.scheduleId`;
      if (id === scheduleId) details.push({ path, message: 'a schedule cannot depend on itself' });
      else if (!byId.has(id)) details.push({ path, message: `no schedule ${dependency.scheduleId} for this client` });
      else if (dependsOn.findIndex((other) => resolveScheduleId(other.scheduleId) === id) !== index) details.push({ path, message: 'listed twice' });
      return { scheduleId: id };
    });
    if (details.length > 0) throw new ValidationError(`Invalid dependencies: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, details);
    const edges = (id: string): string[] => (id === scheduleId ? resolved.map((d) => d.scheduleId) : (byId.get(id)?.dependsOn ?? []).map((d) => d.scheduleId));
    const cycle = cycleThrough(scheduleId, edges);
    if (cycle) {
      const names = cycle.map((id) => byId.get(id)?.name ?? id);
      throw new ValidationError(`dependsOn closes a cycle: ${names.join(' → ')}`, [{ path: 'dependsOn', message: `cycle ${cycle.join(' → ')}` }]);
    }
    return resolved;
  }

  private defaultDailySchedule(client: Client): Schedule {
    return {
      scheduleId: DAILY_SCHEDULE_ID,
      clientId: client.clientId,
      name: DEFAULT_DAILY_NAME,
      description: 'Mandatory daily schedule: rates usage, syncs transactions to core billing, bills the accounts due.',
      frequency: { type: 'DAILY' },
      executionTime: DEFAULT_DAILY_TIME,
      timezone: client.timezone,
      exceptionWindows: [],
      jobs: DEFAULT_DAILY_JOBS.map((job) => ({ ...job })),
      enabled: true,
      overlapPolicy: DEFAULT_OVERLAP_POLICY,
      catchUpWindowHours: DEFAULT_CATCH_UP_WINDOW_HOURS,
      mandatory: true,
      version: 1,
      createdAt: client.createdAt,
      updatedAt: client.createdAt,
    };
  }
}

function occurrences(spec: CalendarSpec, after: Date, count: number): Occurrence[] {
  if (spec.frequency.type === 'MANUAL') return [];
  return nextOccurrences(spec, after, count);
}

/** A path of dependencies from `start` back to itself (start first and last), or undefined. */
function cycleThrough(start: string, edges: (id: string) => string[]): string[] | undefined {
  const seen = new Set<string>();
  const walk = (id: string, path: string[]): string[] | undefined => {
    for (const next of edges(id)) {
      if (next === start) return [...path, next];
      if (seen.has(next)) continue;
      seen.add(next);
      const found = walk(next, [...path, next]);
      if (found) return found;
    }
    return undefined;
  };
  return walk(start, [start]);
}

/** The mandatory schedule stays a DAILY schedule that bills: it can be edited, not turned into something else. */
function assertKeepsMandatoryShape(config: ScheduleConfig): void {
  if (config.frequency.type !== 'DAILY') {
    throw new ConflictError('the mandatory daily schedule must keep the DAILY frequency', 'MANDATORY_SCHEDULE', [
      { path: 'frequency.type', message: 'must be DAILY' },
    ]);
  }
  if (!config.jobs.some((job) => job.type === 'BILLING')) {
    throw new ConflictError('the BILLING job cannot be removed from the mandatory daily schedule', 'MANDATORY_SCHEDULE', [
      { path: 'jobs', message: 'must contain BILLING' },
    ]);
  }
}

/** Runs a job-registry check and reports its failure (ValidationError or ZodError) at `path`. */
function withPath<T>(path: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (!(error instanceof ValidationError || error instanceof z.ZodError)) throw error;
    const at = (sub: PropertyKey[] | string | undefined): string => [path, ...(Array.isArray(sub) ? sub : sub ? [sub] : [])].map(String).join('.');
    if (error instanceof z.ZodError) {
      const details = error.issues.map((issue) => ({ path: at(issue.path), message: issue.message }));
      throw new ValidationError(`${path}: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, details);
    }
    const details = error.details.length > 0 ? error.details.map((d) => ({ path: at(d.path), message: d.message })) : [{ path, message: error.message }];
    throw new ValidationError(`${path}: ${error.message}`, details);
  }
}
