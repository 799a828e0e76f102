import type { Logger } from '@aws-lambda-powertools/logger';
import type { ExecutionStatusDetail } from '../../services/execution-status-service';
import { sleep } from '../aws/backoff';
import type { LocalOrchestrator } from './local-orchestrator';

/** Waits before each new delivery of a status event that failed (about a minute in all). */
const RETRY_DELAYS_MS = [250, 500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000];

/**
 * The EventBridge rule on execution status changes: each execution's end, and each redrive's
 * RUNNING, goes to `deliver`.
 */
export function forwardStatusEvents(orchestrator: LocalOrchestrator, deliver: (detail: ExecutionStatusDetail) => Promise<void>, logger: Logger): void {
  // EventBridge retries a failing target, and the deployed reconciler settles what is still lost.
  // Locally no reconciler runs between restarts: an event the store could not take (throttled,
  // say) is delivered again, or its run stays RUNNING until the next start.
  const redeliver = async (detail: ExecutionStatusDetail): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await deliver(detail);
      } catch (error) {
        const delay = RETRY_DELAYS_MS[attempt];
        if (delay === undefined) throw error;
        logger.warn('execution status event not taken; delivering it again', { execution: detail.name, status: detail.status, attempt: attempt + 1, error: error as Error });
        await sleep(delay);
      }
    }
  };
  orchestrator.onExecutionEnd((event) =>
    redeliver({ name: event.executionName, status: event.status, error: event.error ?? null, cause: event.cause ?? null, redriveCount: event.redriveCount }),
  );
  orchestrator.onExecutionRedriven((event) => redeliver({ name: event.executionName, status: 'RUNNING', redriveCount: event.redriveCount }));
}

/**
 * An EventBridge schedule rule's stand-in: runs a task now and then every `everyMs`, one run at a
 * time (a slow run delays the next instead of overlapping it), logging a failure and going on.
 */
export class SerialTicker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly task: () => Promise<unknown>,
    private readonly everyMs: number,
    private readonly logger: Pick<Logger, 'warn'>,
  ) {}

  start(): void {
    this.tick();
  }

  /** Stops ticking; resolves once a run under way has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private tick(): void {
    if (this.stopped) return;
    this.running = this.task()
      .catch((error: unknown) => this.logger.warn('a periodic task failed; it runs again at the next tick', { error: error as Error }))
      .finally(() => {
        if (!this.stopped) this.timer = setTimeout(() => this.tick(), this.everyMs).unref();
      });
  }
}
