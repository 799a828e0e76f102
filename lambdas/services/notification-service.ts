import { randomBytes } from 'node:crypto';
import { NotFoundError, ValidationError } from '../domain/errors';
import type { Clock } from '../ports/clock';
import type { ConfigStore } from '../ports/config-store';
import type { Delivery, SecretSealer, Subscription, SubscriptionStore, UrlPolicy } from '../ports/notifications';

export interface SubscriptionRequest {
  url: string;
  secret: string;
  events: string[];
}

/** The secret's encryption context: a sealed secret opens only for its own subscription. */
export const secretContext = (subscription: Pick<Subscription, 'clientId' | 'subscriptionId'>): Record<string, string> => ({
  clientId: subscription.clientId,
  subscriptionId: subscription.subscriptionId,
});

/**
 * A client's webhook subscriptions (shared/API.md, "Notifications"): the URL passes the SSRF
 * policy before anything is stored, the secret is sealed and never shown again.
 */
export class NotificationService {
  constructor(
    private readonly deps: {
      subscriptions: SubscriptionStore;
      config: Pick<ConfigStore, 'getClient'>;
      sealer: SecretSealer;
      urlPolicy: UrlPolicy;
      clock: Clock;
      /** @default `sub_` + 20 random hex digits */
      newSubscriptionId?: () => string;
    },
  ) {}

  async createSubscription(clientId: string, request: SubscriptionRequest): Promise<Subscription> {
    const { subscriptions, sealer, urlPolicy, clock } = this.deps;
    await this.ownClient(clientId);
    const refusal = await urlPolicy.refusal(request.url);
    if (refusal) throw new ValidationError(`url ${refusal}`, [{ path: 'url', message: refusal }]);
    const subscription: Subscription = {
      subscriptionId: (this.deps.newSubscriptionId ?? randomSubscriptionId)(),
      clientId,
      url: request.url,
      events: [...new Set(request.events)],
      createdAt: clock.now().toISOString(),
    };
    await subscriptions.putSubscription({ ...subscription, sealedSecret: await sealer.seal(request.secret, secretContext(subscription)) });
    return subscription;
  }

  async listSubscriptions(clientId: string, page: { limit: number; nextToken?: string }): Promise<{ items: Subscription[]; nextToken?: string }> {
    await this.ownClient(clientId);
    const { items, nextToken } = await this.deps.subscriptions.pageSubscriptions(clientId, page);
    return { items: items.map(withoutSecret), ...(nextToken ? { nextToken } : {}) };
  }

  async deleteSubscription(clientId: string, subscriptionId: string): Promise<void> {
    const subscription = await this.deps.subscriptions.getSubscription(clientId, subscriptionId);
    if (!subscription || !(await this.deps.subscriptions.deleteSubscription(clientId, subscriptionId))) throw notFound(clientId, subscriptionId);
    await this.deps.sealer.discard(subscription.sealedSecret);
  }

  async listDeliveries(clientId: string, subscriptionId: string, page: { limit: number; nextToken?: string }): Promise<{ items: Delivery[]; nextToken?: string }> {
    if (!(await this.deps.subscriptions.getSubscription(clientId, subscriptionId))) throw notFound(clientId, subscriptionId);
    return this.deps.subscriptions.listDeliveries(clientId, subscriptionId, page);
  }

  private async ownClient(clientId: string): Promise<void> {
    if (!(await this.deps.config.getClient(clientId))) throw new NotFoundError(`client ${clientId} does not exist`);
  }
}

function randomSubscriptionId(): string {
  return `sub_${randomBytes(10).toString('hex')}`;
}

function withoutSecret({ sealedSecret: _sealedSecret, ...subscription }: Subscription & { sealedSecret?: string }): Subscription {
  return subscription;
}

function notFound(clientId: string, subscriptionId: string): NotFoundError {
  return new NotFoundError(`subscription ${subscriptionId} does not exist for client ${clientId}`);
}
