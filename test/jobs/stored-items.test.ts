import { describe, expect, it } from 'vitest';
import { StoredItems } from '../../lambdas/services/steps/collect-work-items';

/** 200 stored batches of 50 ids, read through a reader that counts its calls and how many run at once. */
function storedBatches(): { read: (batchNo: number) => Promise<{ itemIds: string[] } | undefined>; reads: number[]; peak: () => number; ids: string[] } {
  const batches = Array.from({ length: 200 }, (_, batchNo) => Array.from({ length: 50 }, (_, i) => `acct-${batchNo}/2026-11-30/u${i}`));
  const reads: number[] = [];
  let inFlight = 0;
  let peak = 0;
  return {
    reads,
    peak: () => peak,
    ids: batches.flat(),
    read: async (batchNo) => {
      reads.push(batchNo);
      peak = Math.max(peak, ++inFlight);
      await Promise.resolve();
      inFlight--;
      return batches[batchNo] ? { itemIds: batches[batchNo] } : undefined;
    },
  };
}

describe('the stored items a reprocess re-collects against', () => {
  it('reads the stored batches ten at a time and keeps 8 bytes an item, not the ids', async () => {
    const store = storedBatches();
    const stored = await StoredItems.load(store.read, 200);
    expect(store.reads).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(store.peak()).toBe(10);
    expect(stored.bytes).toBe(10_000 * 8);
  });

  it('knows every stored id and no new one, reading each batch again about once when ids come in batch order', async () => {
    const store = storedBatches();
    const stored = await StoredItems.load(store.read, 200);
    store.reads.length = 0;
    for (const id of store.ids) expect(await stored.has(id)).toBe(true);
    expect(store.reads.length).toBeLessThan(220);
    for (let i = 0; i < 1_000; i++) expect(await stored.has(`acct-new/2026-11-30/u${i}`)).toBe(false);
  });

  it('stays exact when every id hashes alike: a match is confirmed in its batch, so no new item is taken for a stored one', async () => {
    const store = storedBatches();
    const stored = await StoredItems.load(store.read, 20, () => 7);
    expect(await stored.has('acct-3/2026-11-30/u17')).toBe(true);
    expect(await stored.has('acct-19/2026-11-30/u49')).toBe(true);
    expect(await stored.has('acct-25/2026-11-30/u0')).toBe(false);
    expect(await stored.has('acct-new/2026-11-30/u0')).toBe(false);
  });
});
