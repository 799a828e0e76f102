import { isTerminal } from '../domain/run';
import type { Run } from '../domain/model';

export interface RunReadCacheSettings {
  /** A run read this recently is answered from memory. */
  freshMs: number;
  /** Up to this old, it is answered from memory while one read refreshes it; older, it is read. */
  staleMs: number;
  /** Runs kept at most (the least recently read go first). */
  maxRuns: number;
}

/** What the API keeps: 100 pollers of a run read it about twice a second, not a hundred times. */
export const DEFAULT_RUN_READ_CACHE: RunReadCacheSettings = { freshMs: 250, staleMs: 1_000, maxRuns: 1_000 };

/**
 * Status reads of runs that are still going, kept for a moment: core billing and every open
 * console poll a working run once a second, and each poll was one more request to the runs table,
 * waiting there behind the workers' writes. A run is kept only while it is not terminal, so a
 * poller is never answered from memory with an end (COMPLETED, FAILED, ...) that a reprocess or a
 * reset has since replaced, and an end is seen at most `staleMs` after it was written. A refresh
 * never answers a request that arrived before it started reading.
 */
export class RunReadCache {
  private readonly runs = new Map<string, { run: Run; readAt: number }>();
  private readonly refreshing = new Set<string>();
  /** Counts forget() calls: a read that started before one is not kept. */
  private forgotten = 0;

  constructor(
    private readonly read: (runId: string) => Promise<Run | undefined>,
    private readonly settings: RunReadCacheSettings = DEFAULT_RUN_READ_CACHE,
    private readonly now: () => number = () => performance.now(),
  ) {}

  async get(runId: string): Promise<Run | undefined> {
    const kept = this.runs.get(runId);
    const age = kept ? this.now() - kept.readAt : Infinity;
    if (kept && age < this.settings.freshMs) return kept.run;
    if (kept && age < this.settings.staleMs) {
      if (!this.refreshing.has(runId)) {
        this.refreshing.add(runId);
        void this.load(runId)
          .catch(() => this.runs.delete(runId))
          .finally(() => this.refreshing.delete(runId));
      }
      return kept.run;
    }
    return this.load(runId);
  }

  /** After a change made here (a reprocess, a reset): the next read goes to the table. */
  forget(runId: string): void {
    this.runs.delete(runId);
    this.forgotten++;
  }

  private async load(runId: string): Promise<Run | undefined> {
    const readAt = this.now();
    const forgotten = this.forgotten;
    const run = await this.read(runId);
    const kept = this.runs.get(runId);
    // A later read may have landed first, or a change been made here meanwhile: this read is not kept.
    if ((kept && kept.readAt > readAt) || forgotten !== this.forgotten) return run;
    this.runs.delete(runId);
    if (run && !isTerminal(run.status)) {
      this.runs.set(runId, { run, readAt });
      if (this.runs.size > this.settings.maxRuns) this.runs.delete(this.runs.keys().next().value as string);
    }
    return run;
  }
}
