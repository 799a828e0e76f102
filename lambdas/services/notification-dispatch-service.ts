import type { Logger } from '@aws-lambda-powertools/logger';
import { missedDeadline, runEventOf, subscribesTo, type RunEvent } from '../domain/run-events';
import type { Clock } from '../ports/clock';
import type { DeliveryQueue, EventPublisher, NotificationMetrics, SubscriptionStore } from '../ports/notifications';
import type { RunEventOutbox } from '../ports/run-events';
import type { RunRecords } from '../ports/run-store';

/** Outbox events dispatched per sweep round: a round is one read of the outbox's partitions. */
const SWEEP_PAGE = 100;

export interface SweepReport {
  /** Runs that turned late in this sweep (RUN_LATE written). */
  late: string[];
  dispatched: number;
}

/**
 * Takes run events out of the outbox: each goes on the bus, then one delivery per subscription of
 * its client that wants its type is logged and queued, then it leaves the outbox. A crash midway
 * dispatches the event again (at least once): the delivery log entry is opened only once, and the
 * delivery worker sends nothing for a delivery that is no longer RETRYING.
 */
export class NotificationDispatchService {
  constructor(
    private readonly deps: {
      outbox: RunEventOutbox;
      runs: Pick<RunRecords, 'getRun'>;
      subscriptions: SubscriptionStore;
      publisher: EventPublisher;
      deliveries: DeliveryQueue;
      clock: Clock;
      logger: Logger;
      metrics?: NotificationMetrics;
    },
  ) {}

  async dispatch(events: RunEvent[]): Promise<void> {
    const { outbox, subscriptions, publisher, deliveries, metrics } = this.deps;
    if (events.length === 0) return;
    await publisher.publish(events);
    for (const event of events) {
      for (const subscription of await subscriptions.listSubscriptions(event.clientId)) {
        if (!subscribesTo(subscription.events, event.type)) continue;
        const { subscriptionId } = subscription;
        await subscriptions.openDelivery(event.clientId, { subscriptionId, eventId: event.eventId, type: event.type, at: event.at, status: 'RETRYING', attempts: 0 });
        await deliveries.enqueue({ clientId: event.clientId, subscriptionId, eventId: event.eventId, eventAt: event.at }, 0);
      }
      if (event.type === 'RUN_SKIPPED' && event.run.skipReason?.code === 'MISSED') metrics?.runMissed(event.clientId);
      await outbox.markDispatched(event);
    }
  }

  /**
   * The periodic sweep (deployed every minute, locally on the runtime's tick): runs whose deadline
   * passed without completing turn late, and whatever the outbox still holds is dispatched.
   */
  async sweep(): Promise<SweepReport> {
    const { outbox, runs, clock, logger } = this.deps;
    const now = clock.now();
    const report: SweepReport = { late: [], dispatched: 0 };
    for (const due of await outbox.dueDeadlines(now)) {
      const run = await runs.getRun(due.runId, true);
      if (run && missedDeadline(run, now) && (await outbox.markLate(run.runId, runEventOf('RUN_LATE', { ...run, late: true }, now.toISOString())))) {
        report.late.push(run.runId);
      }
      await outbox.settleDeadline(due);
    }
    for (;;) {
      const pending = await outbox.pendingEvents(SWEEP_PAGE);
      await this.dispatch(pending);
      report.dispatched += pending.length;
      if (pending.length < SWEEP_PAGE) break;
    }
    if (report.late.length > 0) logger.warn('runs missed their deadline', { late: report.late });
    return report;
  }
}
