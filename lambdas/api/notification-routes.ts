import { z } from 'zod';
import { RUN_EVENT_TYPES } from '../domain/run-events';
import { BODY_ERRORS, COMMON_ERRORS, error, route } from './route-kit';
import { ClientPathSchema, decimalIntegerSchema, InstantSchema, requestComponent, responseComponent } from './schemas';

/** The subscription's key, as the service mints it (`sub_` + 20 hex digits). */
const SubscriptionIdSchema = z.string().regex(/^sub_[a-f0-9]{20}$/, 'a subscription id (sub_...)');
const EventTypeSchema = z.enum([...RUN_EVENT_TYPES, '*']);

const SubscriptionBodySchema = requestComponent(
  'SubscriptionInput',
  z
    .object({
      url: z.string().max(2000).describe('Where events are POSTed. Deployed: https, and a host that resolves to public addresses only.'),
      secret: z.string().min(16).max(256).describe('Signs each body (X-Signature: sha256=<hex HMAC-SHA256>); never returned.'),
      events: z.array(EventTypeSchema).min(1).max(RUN_EVENT_TYPES.length + 1).describe('The event types to receive, or "*" for all.'),
    })
    .strict(),
  'A webhook subscription: the secret is kept sealed and never shown again.',
);

const SubscriptionSchema = responseComponent(
  'Subscription',
  z.object({ subscriptionId: SubscriptionIdSchema, clientId: z.string(), url: z.string(), events: z.array(z.string()), createdAt: InstantSchema }),
);

const DeliverySchema = responseComponent(
  'Delivery',
  z.object({
    subscriptionId: SubscriptionIdSchema,
    eventId: z.string(),
    type: z.enum(RUN_EVENT_TYPES),
    at: InstantSchema.describe('When the event happened.'),
    status: z.enum(['DELIVERED', 'RETRYING', 'GAVE_UP']),
    attempts: z.number().int().min(0),
    responseStatus: z.number().int().optional().describe('The receiver’s last HTTP status; absent when it gave no answer in 10 s.'),
    firstAttemptAt: InstantSchema.optional(),
    lastAttemptAt: InstantSchema.optional(),
  }),
);

const SubscriptionPathSchema = ClientPathSchema.extend({ subscriptionId: SubscriptionIdSchema });
const PageQuerySchema = z.object({
  limit: decimalIntegerSchema(1, 1000).default(100).describe('Items per page, 1..1000, in decimal digits.'),
  nextToken: z.string().min(1).max(4096).optional().describe('The nextToken of the previous page.'),
});

const SUBSCRIPTIONS = '/v1/clients/{clientId}/subscriptions';

/** shared/API.md, "Notifications": webhook subscriptions per client and their delivery logs. */
export const NOTIFICATION_ROUTES = {
  createSubscription: route({
    method: 'POST',
    path: SUBSCRIPTIONS,
    operationId: 'createSubscription',
    summary: 'Subscribe a URL to the client’s run events',
    description:
      'Each event is POSTed as JSON { eventId, type, at, clientId, run } with X-Event-Id and X-Signature; a non-2xx answer or none in 10 s is retried with backoff (first retry within 30 s) for a little over an hour. Receivers dedupe by eventId.',
    tag: 'Clients',
    params: ClientPathSchema,
    body: SubscriptionBodySchema,
    responses: {
      201: { description: 'The subscription, without its secret.', schema: SubscriptionSchema },
      404: error('No such client.'),
      ...COMMON_ERRORS,
      ...BODY_ERRORS,
    },
  }),
  listSubscriptions: route({
    method: 'GET',
    path: SUBSCRIPTIONS,
    operationId: 'listSubscriptions',
    summary: 'List the client’s webhook subscriptions',
    tag: 'Clients',
    params: ClientPathSchema,
    query: PageQuerySchema,
    responses: {
      200: { description: 'A page of the subscriptions in id order, without secrets.', schema: z.object({ items: z.array(SubscriptionSchema), nextToken: z.string().optional() }) },
      404: error('No such client.'),
      ...COMMON_ERRORS,
    },
  }),
  listDeliveries: route({
    method: 'GET',
    path: `${SUBSCRIPTIONS}/{subscriptionId}/deliveries`,
    operationId: 'listDeliveries',
    summary: 'Read a subscription’s delivery log, newest event first',
    tag: 'Clients',
    params: SubscriptionPathSchema,
    query: PageQuerySchema,
    responses: {
      200: { description: 'A page of deliveries.', schema: z.object({ items: z.array(DeliverySchema), nextToken: z.string().optional() }) },
      404: error('No such subscription.'),
      ...COMMON_ERRORS,
    },
  }),
  deleteSubscription: route({
    method: 'DELETE',
    path: `${SUBSCRIPTIONS}/{subscriptionId}`,
    operationId: 'deleteSubscription',
    summary: 'Remove a webhook subscription',
    description: 'Deliveries still queued for it are dropped.',
    tag: 'Clients',
    params: SubscriptionPathSchema,
    responses: { 204: { description: 'Removed.' }, 404: error('No such subscription.'), ...COMMON_ERRORS },
  }),
} as const;
