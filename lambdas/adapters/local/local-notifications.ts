import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { DeleteCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RunEvent } from '../../domain/run-events';
import type { Clock } from '../../ports/clock';
import type { DeliveryMessage, DeliveryQueue, EventPublisher, SecretSealer } from '../../ports/notifications';
import type { NotificationDispatchService, SweepReport } from '../../services/notification-dispatch-service';
import type { WebhookDeliveryService } from '../../services/webhook-delivery-service';
import { writeIfConditionsHold } from '../aws/dynamo-toolkit';

/** The one partition of the local delivery queue in the runs table; its sort key starts with the due instant. */
const QUEUE_PK = 'LOCAL#DELIVERIES';
/** Messages a tick takes at most; the rest wait for the next tick. */
const TAKE_LIMIT = 100;

/**
 * In place of SQS with DelaySeconds: a message is due at the runtime clock's now + its delay. Kept
 * in the runs table (DynamoDB Local, on disk), so a restart of the local runtime loses no retry.
 * A message is taken by deleting it under a condition, so two ticks never send one attempt twice.
 */
export class LocalDeliveryQueue implements DeliveryQueue {
  constructor(
    private readonly clock: Clock,
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async enqueue(message: DeliveryMessage, delaySeconds: number): Promise<void> {
    const dueAt = new Date(this.clock.now().getTime() + delaySeconds * 1000).toISOString();
    await this.db.send(new PutCommand({ TableName: this.tableName, Item: { pk: QUEUE_PK, sk: `${dueAt}#${randomUUID()}`, message } }));
  }

  /** Takes the messages due by now, oldest due first. */
  async takeDue(): Promise<DeliveryMessage[]> {
    const now = this.clock.now().toISOString();
    const page = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk <= :due',
        ExpressionAttributeValues: { ':pk': QUEUE_PK, ':due': `${now}#\uffff` },
        ConsistentRead: true,
        Limit: TAKE_LIMIT,
      }),
    );
    const taken: DeliveryMessage[] = [];
    for (const item of page.Items ?? []) {
      const deleted = await writeIfConditionsHold(() =>
        this.db.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: item.pk, sk: item.sk }, ConditionExpression: 'attribute_exists(pk)' })),
      );
      if (deleted) taken.push(item.message as DeliveryMessage);
    }
    return taken;
  }
}

/** In place of the stage's EventBridge bus: keeps what was put on it, for whoever looks (tests). */
export class LocalEventBus implements EventPublisher {
  readonly events: RunEvent[] = [];

  async publish(events: RunEvent[]): Promise<void> {
    this.events.push(...events);
  }
}

/**
 * Locally a subscription's secret is stored as it is, on the operator's own disk (DATA_DIR);
 * deployed it is a Secrets Manager secret under the stage's KMS key.
 */
export class LocalSecretSealer implements SecretSealer {
  async seal(secret: string): Promise<string> {
    return `plain:${Buffer.from(secret).toString('base64')}`;
  }

  async open(sealed: string): Promise<string> {
    return Buffer.from(sealed.replace(/^plain:/, ''), 'base64').toString();
  }

  async discard(): Promise<void> {}
}

export interface NotifierTickReport extends SweepReport {
  attempted: number;
}

/**
 * In place of the deployed stream trigger, the every-minute sweep and the delivery queue's event
 * source: each tick sweeps (deadlines, the outbox) and sends the deliveries due on the runtime's
 * clock, concurrently, so one slow receiver does not hold up the others. Ticks never overlap.
 * Tests drive `tick()` with a clock of their own.
 */
export class LocalNotifier {
  private timer: NodeJS.Timeout | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: {
      dispatcher: NotificationDispatchService;
      delivery: WebhookDeliveryService;
      deliveries: LocalDeliveryQueue;
      logger: Logger;
    },
  ) {}

  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      void this.tick().catch((error: unknown) => this.deps.logger.error('local notifier tick failed', { error: error as Error }));
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.queue.catch(() => undefined);
  }

  tick(): Promise<NotifierTickReport> {
    const run = this.queue.catch(() => undefined).then(() => this.once());
    this.queue = run;
    return run;
  }

  private async once(): Promise<NotifierTickReport> {
    const swept = await this.deps.dispatcher.sweep();
    const due = await this.deps.deliveries.takeDue();
    await Promise.all(
      due.map((message) =>
        this.deps.delivery.deliver(message).catch(async (error: unknown) => {
          // As SQS would after a failed receive: the message comes back.
          this.deps.logger.error('webhook delivery failed', { eventId: message.eventId, error: error as Error });
          await this.deps.deliveries.enqueue(message, 10);
        }),
      ),
    );
    return { ...swept, attempted: due.length };
  }
}
