import type { ErrorInfo, JobType } from './model';
import { ValidationError } from './errors';

/** What a job type sees of the run it works for. */
export interface JobContext {
  clientId: string;
  runId: string;
  seq: number;
  processingDate: string;
  timezone: string;
  settings: Record<string, unknown>;
  /** Set by a reprocess with `{"heal": true}`: diagnostic jobs stop injecting failures. */
  heal: boolean;
}

/**
 * Whether a job type writes the client's billing ledger. Ledger-writing jobs of two runs of one
 * client never run at the same time (BeginJob takes the client's ledger lock), so their
 * conditional writes never lose to each other (LEDGER_CONFLICT). A record over the job types:
 * a new one does not compile until it says.
 */
const WRITES_LEDGER: Record<JobType, boolean> = {
  USAGE_RATING: true,
  SYNC_TRANSACTIONS: true,
  BILLING: true,
  SUSPENSE_REPROCESSING: true,
  SYNC_ERROR_REPROCESSING: true,
  RERATING: true,
  SYNTHETIC: false,
};

export function writesLedger(type: JobType): boolean {
  return WRITES_LEDGER[type];
}

/**
 * The most batches a job may have. The run's Map carries a job's batch numbers in its state,
 * and Step Functions fails a state over 256 KiB (States.DataLimitExceeded) at about 45,480 of
 * them; 40,000 leaves the rest of the state its room. Collect refuses a job past it
 * (JOB_TOO_LARGE) before its Map starts, and SYNTHETIC settings past it are refused at save.
 */
export const MAX_JOB_BATCHES = 40_000;

/** The error a collect fails with when a job's items need more than MAX_JOB_BATCHES batches; its name is the execution's error. */
export class JobTooLargeError extends Error {
  constructor(items: number, batchSize: number) {
    super(
      `more than ${items} items in batches of ${batchSize} exceed the ${MAX_JOB_BATCHES} batches a job can run (Step Functions' 256 KiB state): raise the job's batch size or split its work over more jobs`,
    );
    this.name = 'JOB_TOO_LARGE';
  }
}

export type ItemOutcome = { ok: true } | { ok: false; error: ErrorInfo };

/**
 * A job type plugs into the engine with two functions: discover the work items of a run, and
 * process one batch of them. Both must be idempotent: collect may be asked again after a crash
 * (its first complete answer is the one kept), and an item may be offered again after a worker
 * crash, so effects must be keyed by the item (an invoice per account and period, a sync per
 * transaction id).
 */
export interface JobHandler {
  readonly type: JobType;
  /** Items per batch: one SQS message, one Lambda invocation, one outcome record. */
  readonly batchSize: number;
  /** A batch size chosen by the job's settings, where a job type allows that. */
  batchSizeFor?(settings: Record<string, unknown>): number;
  /** Validates and normalises the job's settings; throws ValidationError with a clear message. */
  parseSettings(settings: Record<string, unknown> | undefined): Record<string, unknown>;
  /** Streams the job's work item ids, in a stable order, without holding them all in memory. */
  collect(ctx: JobContext): AsyncIterable<string>;
  /**
   * Where a job type can seek: the items `collect` yields after `afterItemId`, without reading
   * the ones before. A collect interrupted at 10 M items (a Lambda timeout) then continues from
   * its saved cursor; without it, an interrupted collect starts again from the first item.
   */
  collectAfter?(ctx: JobContext, afterItemId: string): AsyncIterable<string>;
  /** Processes items; returns one outcome per item id, in order. Throws only for a transient failure of the whole chunk. */
  process(ctx: JobContext, itemIds: readonly string[]): Promise<ItemOutcome[]>;
}

export class JobRegistry {
  private readonly handlers = new Map<JobType, JobHandler>();

  constructor(handlers: Iterable<JobHandler> = []) {
    for (const handler of handlers) this.register(handler);
  }

  register(handler: JobHandler): this {
    this.handlers.set(handler.type, handler);
    return this;
  }

  get(type: JobType): JobHandler {
    const handler = this.handlers.get(type);
    if (!handler) throw new ValidationError(`job type ${type} is not available in this deployment`);
    return handler;
  }

  has(type: JobType): boolean {
    return this.handlers.has(type);
  }
}
