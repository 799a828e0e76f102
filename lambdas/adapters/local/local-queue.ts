import { createHash, randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { UsageMeter } from '../../ports/usage-meter';
import type { WorkQueue } from '../../ports/work-queue';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
/** ReceiveMessage and DeleteMessageBatch take at most 10 messages per request. */
const MESSAGES_PER_REQUEST = 10;

export interface LocalQueueOptions {
  /** The queue name, part of its URL and ARN. */
  name: string;
  meter?: UsageMeter;
  /** Probability (0..1) that a sent message (same messageId and body) is delivered again later: SQS's at-least-once. @default 0 */
  duplicateRate?: number;
  /**
   * How long after the original the duplicate becomes visible.
   * @default 50
   */
  duplicateDelayMs?: number;
  /** The random source for `duplicateRate`; tests inject a deterministic one. @default Math.random */
  random?: () => number;
}

export interface SendMessageOptions {
  /** SQS DelaySeconds: the message stays invisible this long after sending. @default 0 */
  delaySeconds?: number;
}

export type SqsHandler = (event: SQSEvent) => Promise<SQSBatchResponse | void>;

/** The event source mapping's settings (plus the queue's redrive policy). */
export interface QueueConsumerOptions {
  handler: SqsHandler;
  /** Messages per invocation (ESM BatchSize). */
  batchSize: number;
  /** Handler invocations in flight at most (ESM ScalingConfig.MaximumConcurrency). */
  maxConcurrency: number;
  /** How long a received message stays invisible (the queue's VisibilityTimeout). */
  visibilityTimeoutMs: number;
  /** Receives without success before the message moves to `deadLetter` (redrive policy). */
  maxReceiveCount: number;
  /** Without it a message that keeps failing is retried forever, as in SQS without a redrive policy. */
  deadLetter?: LocalQueue;
}

export interface QueuedMessage {
  messageId: string;
  body: string;
  receiveCount: number;
}

interface StoredMessage extends QueuedMessage {
  md5OfBody: string;
  sentAt: number;
  visibleAt: number;
  firstReceivedAt?: number;
  receiptHandle?: string;
}

/**
 * An SQS standard queue and the Lambda event source mapping that feeds the worker, in process,
 * with the semantics the worker relies on. Messages live in memory only: after a restart the
 * resumed executions send their batches again.
 */
export class LocalQueue implements WorkQueue {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  /** Insertion-ordered; an object identity per copy, because duplicates share a messageId. */
  private readonly messages = new Set<StoredMessage>();
  private readonly inFlight = new Set<Promise<void>>();
  private consumer?: QueueConsumerOptions;
  /** Kept after stop(), so the dead-letter queue can still be inspected. */
  private deadLetterQueue?: LocalQueue;
  private pumpScheduled = false;
  private wakeTimer?: NodeJS.Timeout;
  private wakeAt = Infinity;

  constructor(private readonly options: LocalQueueOptions) {
    this.name = options.name;
    this.url = `http://sqs.${REGION}.localhost/${ACCOUNT}/${options.name}`;
    this.arn = `arn:aws:sqs:${REGION}:${ACCOUNT}:${options.name}`;
  }

  /** SendMessage: returns the messageId. */
  async send(body: string, options: SendMessageOptions = {}): Promise<string> {
    this.options.meter?.count('sqsRequests');
    const now = Date.now();
    const message: StoredMessage = {
      messageId: randomUUID(),
      body,
      md5OfBody: createHash('md5').update(body).digest('hex'),
      sentAt: now,
      visibleAt: now + (options.delaySeconds ?? 0) * 1000,
      receiveCount: 0,
    };
    this.messages.add(message);
    if ((this.options.random ?? Math.random)() < (this.options.duplicateRate ?? 0)) {
      this.messages.add({ ...message, visibleAt: message.visibleAt + (this.options.duplicateDelayMs ?? 50) });
    }
    this.schedulePump();
    return message.messageId;
  }

  /**
   * ChangeMessageVisibility for a message in flight: it becomes visible `seconds` from now. As in
   * SQS, only the latest receipt handle of a message not yet deleted may change it.
   */
  async changeMessageVisibility(queueArn: string, receiptHandle: string, seconds: number): Promise<void> {
    this.options.meter?.count('sqsRequests');
    if (queueArn !== this.arn) throw namedError('QueueDoesNotExist', `No local queue ${queueArn}`);
    const message = [...this.messages].find((m) => m.receiptHandle === receiptHandle);
    if (!message) throw namedError('ReceiptHandleIsInvalid', 'The receipt handle is not that of a message in flight');
    message.visibleAt = Date.now() + seconds * 1000;
    this.schedulePump();
  }

  /** Starts the event source mapping. One consumer per queue. */
  startConsumer(consumer: QueueConsumerOptions): void {
    if (this.consumer) throw new Error(`Queue ${this.name} already has a consumer`);
    if (consumer.batchSize < 1 || consumer.maxConcurrency < 1 || consumer.maxReceiveCount < 1) {
      throw new Error('batchSize, maxConcurrency and maxReceiveCount must be at least 1');
    }
    this.consumer = consumer;
    this.deadLetterQueue = consumer.deadLetter;
    this.schedulePump();
  }

  /**
   * Stops delivering and waits for the handlers in flight, at most `timeoutMs`. Messages stay
   * in the queue; a later `startConsumer` delivers them.
   */
  async stop(timeoutMs = 30_000): Promise<void> {
    this.consumer = undefined;
    this.clearWake();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  /** Messages not yet deleted: visible, delayed and in flight (SQS's three approximate counts summed). */
  approximateDepth(): number {
    return this.messages.size;
  }

  /** Messages in the consumer's dead-letter queue. */
  deadLetterDepth(): number {
    return this.deadLetterQueue?.approximateDepth() ?? 0;
  }

  /** The messages still in the queue, oldest first (an operator's look into a dead-letter queue). */
  peek(): QueuedMessage[] {
    return [...this.messages].map(({ messageId, body, receiveCount }) => ({ messageId, body, receiveCount }));
  }

  /** Coalesces the sends of one tick into one poll, so they can share a batch. */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    const consumer = this.consumer;
    if (!consumer) return;
    const now = Date.now();
    while (this.inFlight.size < consumer.maxConcurrency) {
      const batch = this.receive(consumer, now);
      if (batch.length === 0) break;
      this.invoke(consumer, batch);
    }
    this.scheduleWake(now);
  }

  private receive(consumer: QueueConsumerOptions, now: number): StoredMessage[] {
    const batch: StoredMessage[] = [];
    for (const message of this.messages) {
      if (batch.length === consumer.batchSize) break;
      if (message.visibleAt > now) continue;
      // As a redrive policy does: on the receive after the last allowed one.
      if (message.receiveCount >= consumer.maxReceiveCount) {
        this.messages.delete(message);
        consumer.deadLetter?.moveIn(message);
        continue;
      }
      message.receiveCount += 1;
      message.firstReceivedAt ??= now;
      // Invisible from the receive: delivered twice at once only if its handler outlives the
      // timeout, which is how duplicates arise in SQS.
      message.visibleAt = now + consumer.visibilityTimeoutMs;
      message.receiptHandle = randomUUID();
      batch.push(message);
    }
    // Metered as billed; the idle long polls an ESM makes in AWS are not counted.
    if (batch.length > 0) this.options.meter?.count('sqsRequests', Math.ceil(batch.length / MESSAGES_PER_REQUEST));
    return batch;
  }

  /** A redrive policy moved a message here: same id and body, received zero times so far. */
  private moveIn(message: StoredMessage): void {
    this.messages.add({ ...message, receiveCount: 0, visibleAt: Date.now(), firstReceivedAt: undefined, receiptHandle: undefined });
    this.schedulePump();
  }

  private invoke(consumer: QueueConsumerOptions, batch: StoredMessage[]): void {
    const delivered = batch.map((message) => ({ message, record: this.toRecord(message) }));
    const invocation = (async () => {
      const meter = this.options.meter;
      meter?.count('lambdaInvocations');
      const started = performance.now();
      // Success deletes the batch, batchItemFailures keep the listed messages, and a throw keeps
      // all; kept messages come back when their visibility timeout ends.
      let failed: Set<string> | 'ALL';
      try {
        const response = await consumer.handler({ Records: delivered.map((d) => d.record) });
        failed = failedMessageIds(response, new Set(batch.map((m) => m.messageId)));
      } catch {
        failed = 'ALL';
      }
      meter?.count('lambdaMillis', Math.ceil(performance.now() - started));
      if (failed === 'ALL') return;
      let deleted = 0;
      for (const { message, record } of delivered) {
        if (failed.has(message.messageId)) continue;
        // Only the latest receipt handle deletes: a copy re-received after its visibility timeout stays.
        if (this.messages.has(message) && message.receiptHandle === record.receiptHandle) {
          this.messages.delete(message);
          deleted += 1;
        }
      }
      if (deleted > 0) meter?.count('sqsRequests', Math.ceil(deleted / MESSAGES_PER_REQUEST));
    })().finally(() => {
      this.inFlight.delete(invocation);
      this.schedulePump();
    });
    this.inFlight.add(invocation);
  }

  private toRecord(message: StoredMessage): SQSRecord {
    return {
      messageId: message.messageId,
      receiptHandle: message.receiptHandle ?? '',
      body: message.body,
      attributes: {
        ApproximateReceiveCount: String(message.receiveCount),
        SentTimestamp: String(message.sentAt),
        SenderId: 'AROALOCALSTATEMACHINE:local',
        ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt ?? message.sentAt),
      },
      messageAttributes: {},
      md5OfBody: message.md5OfBody,
      eventSource: 'aws:sqs',
      eventSourceARN: this.arn,
      awsRegion: REGION,
    };
  }

  /** One timer, for the earliest message that becomes visible later (delay, retry, duplicate). */
  private scheduleWake(now: number): void {
    let next = Infinity;
    for (const message of this.messages) if (message.visibleAt > now && message.visibleAt < next) next = message.visibleAt;
    if (next === Infinity || next >= this.wakeAt) return;
    this.clearWake();
    this.wakeAt = next;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      this.wakeAt = Infinity;
      this.pump();
    }, next - now);
    this.wakeTimer.unref();
  }

  private clearWake(): void {
    clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    this.wakeAt = Infinity;
  }
}

function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/**
 * The ids to keep, from a ReportBatchItemFailures response. As the ESM does, an entry with a
 * missing or unknown itemIdentifier fails the whole batch.
 */
function failedMessageIds(response: SQSBatchResponse | void, batchIds: Set<string>): Set<string> | 'ALL' {
  if (!response || response.batchItemFailures === undefined) return new Set();
  if (!Array.isArray(response.batchItemFailures)) return 'ALL';
  const failed = new Set<string>();
  for (const failure of response.batchItemFailures) {
    const id = failure?.itemIdentifier;
    if (typeof id !== 'string' || !batchIds.has(id)) return 'ALL';
    failed.add(id);
  }
  return failed;
}
