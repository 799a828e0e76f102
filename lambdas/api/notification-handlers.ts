import type { NotificationService } from '../services/notification-service';
import { json, type ApiResult } from './http';
import type { NOTIFICATION_ROUTES } from './notification-routes';
import type { RouteRequest } from './route-kit';

export type NotificationHandlers = { [K in keyof typeof NOTIFICATION_ROUTES]: (request: RouteRequest<(typeof NOTIFICATION_ROUTES)[K]>) => Promise<ApiResult> };

/** The subscription routes' handlers: one NotificationService call each. */
export function notificationHandlers(notifications: NotificationService): NotificationHandlers {
  return {
    createSubscription: async ({ params, body }) => json(201, await notifications.createSubscription(params.clientId, body)),
    listSubscriptions: async ({ params, query }) =>
      json(200, await notifications.listSubscriptions(params.clientId, { limit: query.limit, ...(query.nextToken ? { nextToken: query.nextToken } : {}) })),
    deleteSubscription: async ({ params }) => {
      await notifications.deleteSubscription(params.clientId, params.subscriptionId);
      return { status: 204 };
    },
    listDeliveries: async ({ params, query }) =>
      json(200, await notifications.listDeliveries(params.clientId, params.subscriptionId, { limit: query.limit, ...(query.nextToken ? { nextToken: query.nextToken } : {}) })),
  };
}
