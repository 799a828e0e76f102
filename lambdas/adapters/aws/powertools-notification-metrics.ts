import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { NotificationMetrics } from '../../ports/notifications';

/** Metric names the notifications construct alarms on. */
export const NOTIFICATION_METRICS = { runsMissed: 'RunsMissed', deliveriesGaveUp: 'WebhookDeliveriesGaveUp' } as const;

/**
 * Stage-wide counts without a dimension, so one alarm sees every client (the client is metadata,
 * in the log line): a missed occurrence and a delivery that gave up each need a person.
 */
export class PowertoolsNotificationMetrics implements NotificationMetrics {
  constructor(private readonly metrics: Metrics) {}

  runMissed(clientId: string): void {
    this.metrics.addMetadata('clientId', clientId).addMetric(NOTIFICATION_METRICS.runsMissed, MetricUnit.Count, 1).publishStoredMetrics();
  }

  deliveryGaveUp(clientId: string): void {
    this.metrics.addMetadata('clientId', clientId).addMetric(NOTIFICATION_METRICS.deliveriesGaveUp, MetricUnit.Count, 1).publishStoredMetrics();
  }
}
