import { describe, expect, it } from 'vitest';
import type { Run, RunStatus } from '../../lambdas/domain/model';
import { RunReadCache } from '../../lambdas/services/run-read-cache';

/** A runs table of one run whose status the test sets, counting reads; a read can be held open. */
class Table {
  status: RunStatus = 'RUNNING';
  reads = 0;
  private held: Array<() => void> = [];
  hold = false;

  read = async (runId: string): Promise<Run | undefined> => {
    this.reads++;
    const status = this.status;
    if (this.hold) await new Promise<void>((resolve) => this.held.push(resolve));
    return { runId, clientId: 'acme', status } as Run;
  };

  release(): void {
    for (const resolve of this.held.splice(0)) resolve();
  }
}

function cacheOver(table: Table): { cache: RunReadCache; clock: { ms: number } } {
  const clock = { ms: 0 };
  return { cache: new RunReadCache(table.read, { freshMs: 250, staleMs: 1_000, maxRuns: 2 }, () => clock.ms), clock };
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('the API keeping status reads of working runs for a moment', () => {
  it('answers a second poll within freshMs from memory, and one after it from memory while one read refreshes', async () => {
    const table = new Table();
    const { cache, clock } = cacheOver(table);
    expect((await cache.get('r1'))?.status).toBe('RUNNING');
    clock.ms = 200;
    expect((await cache.get('r1'))?.status).toBe('RUNNING');
    expect(table.reads).toBe(1);

    table.status = 'COMPLETED';
    clock.ms = 600;
    // Stale but within staleMs: both polls get the kept status at once while one read refreshes it.
    table.hold = true;
    expect((await cache.get('r1'))?.status).toBe('RUNNING');
    expect((await cache.get('r1'))?.status).toBe('RUNNING');
    expect(table.reads).toBe(2);
    table.hold = false;
    table.release();
    await settled();
    expect((await cache.get('r1'))?.status).toBe('COMPLETED');
  });

  it('never answers an end from memory: a terminal status is read every time, so a reprocess is seen at once', async () => {
    const table = new Table();
    table.status = 'FAILED';
    const { cache } = cacheOver(table);
    expect((await cache.get('r1'))?.status).toBe('FAILED');
    table.status = 'PENDING';
    expect((await cache.get('r1'))?.status).toBe('PENDING');
    expect(table.reads).toBe(2);
  });

  it('reads again once a kept status is older than staleMs, and waits for that read', async () => {
    const table = new Table();
    const { cache, clock } = cacheOver(table);
    await cache.get('r1');
    table.status = 'COMPLETED';
    clock.ms = 1_000;
    expect((await cache.get('r1'))?.status).toBe('COMPLETED');
    expect(table.reads).toBe(2);
  });

  it('keeps nothing a read in flight brought back after forget, so a reset is not hidden by an older read', async () => {
    const table = new Table();
    const { cache, clock } = cacheOver(table);
    await cache.get('r1');
    clock.ms = 500;
    table.hold = true;
    expect((await cache.get('r1'))?.status).toBe('RUNNING'); // refresh of RUNNING now in flight
    cache.forget('r1');
    table.hold = false;
    table.release();
    await settled();
    table.status = 'RESET';
    expect((await cache.get('r1'))?.status).toBe('RESET');
  });

  it('keeps at most maxRuns runs', async () => {
    const table = new Table();
    const { cache } = cacheOver(table);
    await cache.get('r1');
    await cache.get('r2');
    await cache.get('r3');
    const before = table.reads;
    await cache.get('r1');
    expect(table.reads).toBe(before + 1);
    await cache.get('r3');
    expect(table.reads).toBe(before + 1);
  });
});
