import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Logger } from '@aws-lambda-powertools/logger';
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { mapConcurrently } from '../domain/concurrency';
import type { JobRegistry } from '../domain/job-registry';
import { continuesOnItemFailure, jobContext, ownershipError } from '../domain/run';
import type { Clock } from '../ports/clock';
import type { TaskCallbacks } from '../ports/orchestrator';
import type { WorkQueue } from '../ports/work-queue';
import type { RunMetrics } from '../ports/run-metrics';
import type { BatchRecord } from '../ports/batch-store';
import type { ErrorInfo } from '../domain/model';
import type { RunStore } from '../ports/run-store';

/** The message a Map child sends for one batch (ProcessBatch in the ASL). */
export const BatchMessageSchema = z.object({
  taskToken: z.string().min(1),
  runId: z.string().min(1),
  seq: z.number().int().min(1),
  batchNo: z.number().int().min(0),
  executionName: z.string().min(1),
  /**
   * false in the first pass (ProcessBatches): failed items are recorded, the child succeeds, and
   * every other batch still runs. true in the retry pass (RetryFailedBatches): a failed item fails
   * the child, so the Map fails and a redrive re-runs exactly that child; unless the job's
   * onItemFailure is CONTINUE, whose child succeeds with the failure recorded.
   */
  finalAttempt: z.boolean().default(true),
});
export type BatchMessage = z.infer<typeof BatchMessageSchema>;

export interface WorkerSettings {
  /** Items handed to a job's `process` at once. */
  chunkSize: number;
  /** Chunks of a batch in `process` at once. */
  chunkConcurrency: number;
  /**
   * A batch's progress is saved at least this often while it runs, so a worker that crashes or
   * times out mid-batch loses at most this much work; the retry resumes from the checkpoint.
   */
  checkpointMs: number;
  /**
   * How long a worker holds a batch, counted from the delivery of its message. No other delivery
   * processes the batch meanwhile; it goes back to the queue and finds the work done when it
   * returns. Must not exceed the queue's visibility timeout, or a crashed worker's batch would
   * wait for its lease after it reappears. Checkpoints keep the lease but do not extend it: the
   * message is not extended either, and a lease that outlived its message would turn the
   * redelivery after a crash away for another whole visibility timeout. A delivery that finds
   * the batch leased comes back after this long, not after the whole visibility timeout.
   */
  leaseMs: number;
}

/** The error a refused batch's Map child fails with, as the execution's history shows it. */
const TASK_ERROR = { RUN_RESET: 'RunReset', SUPERSEDED_EXECUTION: 'SupersededExecution' } as const;

/** How much sooner than its message a lease ends (at most a tenth of the lease). */
const LEASE_MARGIN_MS = 1_000;
/**
 * Characters of an item's error message kept in its batch: 500 failed items with 10 KB messages
 * would take the batch record past DynamoDB's 400 KB item limit, and a batch whose outcome
 * cannot be written never finishes. 500 x 256 characters stay near 130 KB.
 */
export const MAX_ERROR_MESSAGE_CHARS = 256;

export type BatchResult = 'SUCCEEDED' | 'FAILED' | 'SKIPPED';

/** Another delivery holds the batch, or recorded it first: the message returns to the queue and is delivered again once that delivery's lease has ended. */
export class BatchBusyError extends Error {
  override readonly name = 'BatchBusyError';
}

/**
 * Processes one batch of work items per SQS message and answers the waiting Map child.
 * Idempotent: an item that already succeeded (in the job's current generation) is never
 * processed again, whether the message is a duplicate delivery, a retry after a crash, a
 * redrive or a reprocess. Outcomes are written per batch with an optimistic version check, so two
 * concurrent deliveries of the same batch cannot both record; the one that could not record sends
 * its message back rather than trust the other to finish.
 */
export class WorkerService {
  constructor(
    private readonly deps: {
      runs: RunStore;
      registry: JobRegistry;
      callbacks: TaskCallbacks;
      queue: WorkQueue;
      clock: Clock;
      logger: Logger;
      settings: WorkerSettings;
      metrics?: RunMetrics;
    },
  ) {}

  /**
   * Partial batch response: a record that throws goes back to the queue (and to the DLQ after
   * maxReceiveCount); the others are deleted. A full-batch failure is answered the same way
   * rather than thrown, so one retryable batch does not count as a Lambda error.
   */
  async handleSqsEvent(event: SQSEvent): Promise<SQSBatchResponse> {
    const processor = new BatchProcessor(EventType.SQS);
    return processPartialResponse(event, (record: SQSRecord) => this.handleRecord(record), processor, { throwOnFullBatchFailure: false });
  }

  private async handleRecord(record: SQSRecord): Promise<void> {
    let body: unknown;
    try {
      body = JSON.parse(record.body);
    } catch {
      this.deps.logger.error('dropped a message that is not JSON', { messageId: record.messageId });
      return;
    }
    const parsed = BatchMessageSchema.safeParse(body);
    if (!parsed.success) {
      const token = (body as { taskToken?: unknown } | null)?.taskToken;
      this.deps.logger.error('dropped a malformed batch message', { messageId: record.messageId, issues: parsed.error.issues });
      if (typeof token === 'string') await this.callback(token, { failure: ['MalformedMessage', 'the batch message did not match its schema'] });
      return;
    }
    try {
      await this.processBatch(parsed.data);
    } catch (error) {
      if (error instanceof BatchBusyError) await this.returnWhenLeaseEnds(record);
      throw error;
    }
  }

  /**
   * The delivery holding the batch ends its lease within leaseMs, by finishing or by dying; the
   * message need not wait out the queue's whole visibility timeout (30 minutes deployed) to find
   * the batch done or free. Not sooner: each receive counts towards the dead-letter queue.
   */
  private async returnWhenLeaseEnds(record: SQSRecord): Promise<void> {
    const seconds = Math.ceil(this.deps.settings.leaseMs / 1000);
    try {
      await this.deps.queue.changeMessageVisibility(record.eventSourceARN, record.receiptHandle, seconds);
    } catch (error) {
      this.deps.logger.warn('could not shorten the visibility of a message whose batch is busy; it returns after the visibility timeout', { messageId: record.messageId, error: error as Error });
    }
  }

  /** Processes one batch; throws only when the message should be retried. */
  async processBatch(message: BatchMessage): Promise<BatchResult> {
    const { runs, registry, clock, settings, logger } = this.deps;
    const deliveredAtMs = clock.now().getTime();
    // Time in the queue ends here: the heartbeat restarts the Map child's HeartbeatSeconds. A
    // closed token means nothing waits for this message (its task was retried with a newer
    // message, or the execution ended), so the work is left to whoever still waits.
    if (!(await this.heartbeat(message.taskToken))) {
      logger.info('the task token of this message is closed; nothing waits for it', { ...message, taskToken: undefined });
      return 'SKIPPED';
    }
    const run = await runs.getRun(message.runId, true);
    if (!run) {
      await this.callback(message.taskToken, { failure: ['RunNotFound', `run ${message.runId} does not exist`] });
      return 'SKIPPED';
    }
    const refusal = ownershipError(run, message.executionName);
    if (refusal) {
      await this.callback(message.taskToken, { failure: [TASK_ERROR[refusal.code], refusal.message] });
      return 'SKIPPED';
    }
    const job = run.jobs.find((j) => j.seq === message.seq);
    const batch = job ? await runs.getBatch(message.runId, message.seq, message.batchNo) : undefined;
    if (!job || !batch) {
      await this.callback(message.taskToken, { failure: ['BatchNotFound', `batch ${message.batchNo} of job ${message.seq} does not exist`] });
      return 'SKIPPED';
    }

    const todo = batch.itemIds.flatMap((_, i) => (batch.status[i] !== 'SUCCEEDED' || (batch.generations[i] ?? -1) < job.generation ? [i] : []));
    if (todo.length > 0) {
      const handler = registry.get(job.type);
      const ctx = jobContext(run, job);
      let version = batch.version;
      const lease = { holder: randomUUID(), untilMs: leaseEnd(deliveredAtMs, settings.leaseMs) };
      if (!(await runs.leaseBatch(batch, version, lease, clock.now().getTime()))) {
        throw new BatchBusyError(`batch ${batch.batchNo} of job ${job.seq} of run ${run.runId} is taken or changed; retrying later`);
      }
      let recorded = counts(batch);
      /** Saves the batch if no other delivery saved it first (keeping the lease at a checkpoint), and adds the progress to the job's live statistics. */
      const save = async (checkpoint = false): Promise<boolean> => {
        // What is saved and counted is the batch as it stands now: chunks still running change it meanwhile.
        const saved = outcomeSnapshot(batch);
        if (!(await runs.saveBatchOutcome(saved, version, checkpoint ? lease : undefined))) return false;
        version++;
        const now = counts(saved);
        await runs.addJobStats(run.runId, job.seq, { succeeded: now.succeeded - recorded.succeeded, failed: now.failed - recorded.failed });
        recorded = now;
        return true;
      };
      // Chunks run `chunkConcurrency` at a time: a chunk waits on its reads, then on its writes, and
      // the next chunk's requests fill those waits. Saves are one at a time (each is conditional on
      // the version the previous one wrote), and a checkpoint holds only the chunks that ended.
      const chunks: number[][] = [];
      for (let start = 0; start < todo.length; start += settings.chunkSize) chunks.push(todo.slice(start, start + settings.chunkSize));
      let lastSave = Date.now();
      let checkpoint: Promise<void> | undefined;
      let chunksDone = 0;
      let failure: { error: unknown } | undefined;
      const runChunk = async (chunk: number[]): Promise<void> => {
        // After a failure no further chunk starts; those running end and are saved.
        if (failure) return;
        let outcomes;
        try {
          outcomes = await handler.process(ctx, chunk.map((i) => batch.itemIds[i] as string));
        } catch (error) {
          failure ??= { error };
          return;
        }
        const now = clock.now().getTime();
        chunk.forEach((itemIndex, k) => {
          const outcome = outcomes[k] ?? { ok: false as const, error: { code: 'NO_OUTCOME', message: 'the job returned no outcome for this item' } };
          batch.attempts[itemIndex] = (batch.attempts[itemIndex] ?? 0) + 1;
          batch.generations[itemIndex] = job.generation;
          batch.updated[itemIndex] = now;
          if (outcome.ok) {
            batch.status[itemIndex] = 'SUCCEEDED';
            delete batch.errors[itemIndex];
          } else {
            batch.status[itemIndex] = 'FAILED';
            batch.errors[itemIndex] = cappedError(outcome.error);
          }
        });
        chunksDone++;
        const more = chunksDone < chunks.length;
        if (more && !checkpoint && !failure && Date.now() - lastSave >= settings.checkpointMs) {
          checkpoint = (async () => {
            if (!(await save(true))) throw this.lostRace(message);
            // Progress is a sign of life; the worker's own timeout bounds how long it can go on.
            await this.heartbeat(message.taskToken);
            lastSave = Date.now();
          })()
            .catch((error: unknown) => {
              failure ??= { error };
            })
            .finally(() => {
              checkpoint = undefined;
            });
          await checkpoint;
        }
      };
      await mapConcurrently(chunks, settings.chunkConcurrency, runChunk);
      await checkpoint;
      if (failure) {
        if (chunksDone > 0 && !(failure.error instanceof BatchBusyError) && !(await save())) throw this.lostRace(message);
        throw failure.error;
      }
      if (!(await save())) throw this.lostRace(message);
      const processed = todo.filter((i) => batch.status[i] === 'SUCCEEDED').length;
      const durationMs = clock.now().getTime() - deliveredAtMs;
      this.deps.metrics?.batchProcessed({ clientId: run.clientId, jobType: job.type, succeeded: processed, failed: todo.length - processed, durationMs });
    }

    const { failed, succeeded } = counts(batch);
    // A CONTINUE job's failures are recorded, not raised: FinalizeJob marks it FAILED and the sequence goes on.
    if (failed > 0 && (!message.finalAttempt || continuesOnItemFailure(job))) {
      await this.callback(message.taskToken, { success: { batchNo: batch.batchNo, succeeded, failed } });
      return 'FAILED';
    }
    if (failed > 0) {
      const firstError = Object.values(batch.errors)[0];
      const cause = `${failed} of ${batch.itemIds.length} items failed in batch ${batch.batchNo} of job ${job.seq} (${job.type})${firstError ? `; first: ${firstError.code}: ${firstError.message}` : ''}`;
      await this.callback(message.taskToken, { failure: ['ItemsFailed', cause] });
      logger.info('batch finished with failed items', { runId: run.runId, seq: job.seq, batchNo: batch.batchNo, failed });
      return 'FAILED';
    }
    await this.callback(message.taskToken, { success: { batchNo: batch.batchNo, succeeded } });
    return 'SUCCEEDED';
  }

  /**
   * Another delivery of the same batch recorded first. It may not live to finish the batch and
   * answer the Map child (its process can die at any moment), so this one does not acknowledge the
   * message: it returns to the queue and, delivered again, finds the batch done (and answers the
   * child once more, harmlessly) or resumes it.
   */
  private lostRace(message: BatchMessage): BatchBusyError {
    this.deps.logger.info('another delivery of this batch recorded first; this one sends the message back', { ...message, taskToken: undefined });
    return new BatchBusyError(`another delivery of batch ${message.batchNo} of job ${message.seq} of run ${message.runId} recorded first; retrying later`);
  }

  private async callback(token: string, answer: { success: unknown } | { failure: [string, string] }): Promise<void> {
    try {
      if ('success' in answer) await this.deps.callbacks.sendTaskSuccess(token, answer.success);
      else await this.deps.callbacks.sendTaskFailure(token, answer.failure[0], answer.failure[1]);
    } catch (error) {
      // A closed token (the child timed out and sent the batch again, or the execution ended) is not
      // this message's problem: the newer message carries a live token.
      if (isClosedToken(error)) {
        this.deps.logger.info('task token already closed', { error: (error as Error).name });
        return;
      }
      throw error;
    }
  }

  /**
   * SendTaskHeartbeat; false when the token is closed. Any other failure is logged and taken as
   * sent: a lost heartbeat at worst lets the child send the batch again, which is idempotent, and
   * must not cost the message one of its receives.
   */
  private async heartbeat(token: string): Promise<boolean> {
    try {
      await this.deps.callbacks.sendTaskHeartbeat(token);
      return true;
    } catch (error) {
      if (isClosedToken(error)) return false;
      this.deps.logger.warn('task heartbeat failed', { error: error as Error });
      return true;
    }
  }
}

/**
 * When a delivery's lease ends: its lease time after the delivery, less a little, so that it has
 * ended when the message is visible again (the delivery began a moment after the receive that
 * started the visibility timeout) and the redelivery after a crash takes the batch at once.
 */
function leaseEnd(deliveredAtMs: number, leaseMs: number): number {
  return deliveredAtMs + leaseMs - Math.min(LEASE_MARGIN_MS, leaseMs / 10);
}

function isClosedToken(error: unknown): boolean {
  const name = (error as Error | undefined)?.name;
  return name === 'TaskTimedOut' || name === 'InvalidToken' || name === 'TaskDoesNotExist';
}

function counts(batch: BatchRecord): { succeeded: number; failed: number } {
  let succeeded = 0;
  let failed = 0;
  for (const status of batch.status) {
    if (status === 'SUCCEEDED') succeeded++;
    else if (status === 'FAILED') failed++;
  }
  return { succeeded, failed };
}

function cappedError(error: ErrorInfo): ErrorInfo {
  if (error.message.length <= MAX_ERROR_MESSAGE_CHARS) return error;
  return { ...error, message: `${error.message.slice(0, MAX_ERROR_MESSAGE_CHARS - 1)}…` };
}

/** A copy of the batch whose per-item outcomes later chunks cannot change. */
function outcomeSnapshot(batch: BatchRecord): BatchRecord {
  return { ...batch, status: [...batch.status], attempts: [...batch.attempts], generations: [...batch.generations], updated: [...batch.updated], errors: { ...batch.errors } };
}
