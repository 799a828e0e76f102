import { COUNT_PAGE, failureCodes } from '../../ledger.js';

/**
 * The error codes of each failed job's items, for its tile: one page of up to COUNT_PAGE failed
 * items per job (GET .../items?status=FAILED), read once a job has failed and again only when its
 * failed count changes, so a watched run costs no more requests than its failures.
 *
 * @param {{ api, clientId: string, onLoaded(): void }} props  onLoaded: draw the run again
 */
export function failureCodeCounts({ api, clientId, onLoaded }) {
  const cache = new Map();

  async function load(key, run, job) {
    const entry = { failed: job.stats.failed, summary: cache.get(key)?.summary };
    cache.set(key, entry);
    try {
      entry.summary = failureCodes(await api.listItems(clientId, run.runId, job.seq, { status: 'FAILED', limit: COUNT_PAGE }));
      onLoaded();
    } catch {
      // The tile still shows the failed count; the next change of that count asks again.
    }
  }

  return {
    /** `{ counts: [[code, n]], more }` of a failed job as far as loaded; asks for it when new. */
    of(run, job) {
      if (job.status !== 'FAILED' || !job.stats.failed) return undefined;
      const key = `${run.runId}#${job.seq}`;
      const cached = cache.get(key);
      if (cached?.failed !== job.stats.failed) load(key, run, job);
      return cache.get(key)?.summary;
    },
  };
}
