import type { RunEvent } from '../domain/run-events';

/** A client's webhook subscription as the API shows it: never its secret. */
export interface Subscription {
  subscriptionId: string;
  clientId: string;
  url: string;
  /** Event types, or "*" for all. */
  events: string[];
  createdAt: string;
}

/** As stored: the secret sealed (deployed: KMS-encrypted with the stage's key). */
export interface StoredSubscription extends Subscription {
  sealedSecret: string;
}

export type DeliveryStatus = 'DELIVERED' | 'RETRYING' | 'GAVE_UP';

/** One event's delivery to one subscription: the delivery log's entry. */
export interface Delivery {
  subscriptionId: string;
  eventId: string;
  type: RunEvent['type'];
  /** The event's time (the log is newest first by it). */
  at: string;
  status: DeliveryStatus;
  attempts: number;
  /** The receiver's last answer; absent when it gave none (timeout, refused connection). */
  responseStatus?: number;
  firstAttemptAt?: string;
  lastAttemptAt?: string;
}

/** Subscriptions per client and each one's delivery log. Implementation: DynamoNotificationStore. */
export interface SubscriptionStore {
  putSubscription(subscription: StoredSubscription): Promise<void>;
  listSubscriptions(clientId: string): Promise<StoredSubscription[]>;
  /** One page of them in id order (nextToken opaque; one this store did not issue is a ValidationError at nextToken). */
  pageSubscriptions(clientId: string, page: { limit: number; nextToken?: string }): Promise<{ items: StoredSubscription[]; nextToken?: string }>;
  getSubscription(clientId: string, subscriptionId: string): Promise<StoredSubscription | undefined>;
  /** False when there was none. */
  deleteSubscription(clientId: string, subscriptionId: string): Promise<boolean>;
  /** Starts the log entry of a delivery (RETRYING, no attempt yet) unless it exists. */
  openDelivery(clientId: string, delivery: Delivery): Promise<void>;
  getDelivery(clientId: string, subscriptionId: string, at: string, eventId: string): Promise<Delivery | undefined>;
  /** Records an attempt, unless another attempt was recorded since `expectedAttempts` (a duplicate message): false then. */
  recordAttempt(clientId: string, delivery: Delivery, expectedAttempts: number): Promise<boolean>;
  /** The most recent deliveries, newest first, a page at a time (nextToken opaque). */
  listDeliveries(clientId: string, subscriptionId: string, page: { limit: number; nextToken?: string }): Promise<{ items: Delivery[]; nextToken?: string }>;
}

/** Deployed: the stage's EventBridge bus (detail-type = the event type). */
export interface EventPublisher {
  publish(events: RunEvent[]): Promise<void>;
}

/** What the delivery queue carries: which event to which subscription. */
export interface DeliveryMessage {
  clientId: string;
  subscriptionId: string;
  eventId: string;
  eventAt: string;
}

/** Deployed: SQS, with the retry's delay on the message (at most 15 minutes). */
export interface DeliveryQueue {
  enqueue(message: DeliveryMessage, delaySeconds: number): Promise<void>;
}

export interface WebhookAnswer {
  /** The HTTP status; absent when no answer came in time or the connection failed. */
  status?: number;
  error?: string;
}

export interface WebhookSender {
  post(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<WebhookAnswer>;
}

/** Keeps a subscription's secret unreadable at rest; `context` binds it to its subscription. */
export interface SecretSealer {
  seal(secret: string, context: Record<string, string>): Promise<string>;
  open(sealed: string, context: Record<string, string>): Promise<string>;
  /** The subscription is gone: so is its secret. */
  discard(sealed: string): Promise<void>;
}

/** Decides whether the product may POST to a URL (SSRF): a reason when it may not. */
export interface UrlPolicy {
  refusal(url: string): Promise<string | undefined>;
}

/** What notifications report for alarms (CloudWatch EMF deployed), per client. */
export interface NotificationMetrics {
  /** An occurrence was recorded MISSED: nothing ran when it was due. */
  runMissed(clientId: string): void;
  /** A webhook delivery stopped retrying. */
  deliveryGaveUp(clientId: string): void;
}
