import type { Logger } from '@aws-lambda-powertools/logger';
import { createHmac } from 'node:crypto';
import type { Clock } from '../ports/clock';
import type { Delivery, DeliveryMessage, DeliveryQueue, NotificationMetrics, SecretSealer, SubscriptionStore, UrlPolicy, WebhookSender } from '../ports/notifications';
import type { RunEventOutbox } from '../ports/run-events';
import { secretContext } from './notification-service';

/**
 * Seconds before each retry: the first within 30 s, then backing off to SQS's longest delay
 * (15 minutes). Ten attempts span 3,820 s, so a receiver down for an hour still gets the event.
 */
export const RETRY_DELAYS_SECONDS = [10, 30, 60, 120, 300, 600, 900, 900, 900] as const;
/** A receiver that has not answered by then is retried later: a slow one holds up no delivery queue. */
export const ATTEMPT_TIMEOUT_MS = 10_000;

/** `sha256=<hex HMAC-SHA256 of the raw body with the secret>` (shared/API.md). */
export function signatureOf(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * One attempt of one delivery: sign the event's body with the subscription's secret, POST it,
 * log the attempt, and queue the next one with its delay until the receiver answers 2xx or the
 * retries are spent (GAVE_UP). The delivery log's attempt count is the message's order: a
 * duplicate message that loses the race to record its attempt schedules nothing.
 */
export class WebhookDeliveryService {
  constructor(
    private readonly deps: {
      subscriptions: SubscriptionStore;
      outbox: Pick<RunEventOutbox, 'getEvent'>;
      queue: DeliveryQueue;
      sender: WebhookSender;
      sealer: SecretSealer;
      urlPolicy: UrlPolicy;
      clock: Clock;
      logger: Logger;
      metrics?: NotificationMetrics;
    },
  ) {}

  async deliver(message: DeliveryMessage): Promise<Delivery | undefined> {
    const { subscriptions, outbox, queue, sender, sealer, urlPolicy, clock, logger } = this.deps;
    const { clientId, subscriptionId, eventId } = message;
    const subscription = await subscriptions.getSubscription(clientId, subscriptionId);
    const delivery = subscription && (await subscriptions.getDelivery(clientId, subscriptionId, message.eventAt, eventId));
    const event = delivery?.status === 'RETRYING' ? await outbox.getEvent(eventId) : undefined;
    if (!subscription || !delivery || !event) return delivery;

    const body = JSON.stringify(event);
    const secret = await sealer.open(subscription.sealedSecret, secretContext(subscription));
    const refusal = await urlPolicy.refusal(subscription.url);
    const answer = refusal
      ? { error: refusal }
      : await sender.post(
          subscription.url,
          body,
          { 'content-type': 'application/json', 'x-event-id': eventId, 'x-signature': signatureOf(secret, body), 'user-agent': 'job-schedule-manager-webhooks' },
          ATTEMPT_TIMEOUT_MS,
        );
    const now = clock.now().toISOString();
    const attempts = delivery.attempts + 1;
    const delivered = answer.status !== undefined && answer.status >= 200 && answer.status < 300;
    const retryIn = RETRY_DELAYS_SECONDS[attempts - 1];
    const { responseStatus: _previous, ...rest } = delivery;
    const next: Delivery = {
      ...rest,
      status: delivered ? 'DELIVERED' : retryIn === undefined ? 'GAVE_UP' : 'RETRYING',
      attempts,
      ...(answer.status !== undefined ? { responseStatus: answer.status } : {}),
      firstAttemptAt: delivery.firstAttemptAt ?? now,
      lastAttemptAt: now,
    };
    if (!(await subscriptions.recordAttempt(clientId, next, delivery.attempts))) return undefined;
    const keys = { clientId, subscriptionId, eventId, attempts, responseStatus: answer.status, error: answer.error };
    if (next.status === 'RETRYING') {
      logger.info('webhook delivery failed; retrying', { ...keys, retryInSeconds: retryIn });
      await queue.enqueue(message, retryIn as number);
    } else if (next.status === 'GAVE_UP') {
      logger.warn('webhook delivery gave up', keys);
      this.deps.metrics?.deliveryGaveUp(clientId);
    }
    return next;
  }
}
