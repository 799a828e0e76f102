import { field, h, replace, select } from '../dom.js';
import { formatClock, formatCount, jobTypeLabel } from '../format.js';
import { ledgerHash, ledgerTargetOf } from '../ledger.js';
import { errorBanner, loading, statusBadge } from '../ui.js';

/**
 * The work items of one job of a run, a page at a time (nextToken), filtered by status: what an
 * operator reads to find the cause of failures before reprocessing.
 */

const STATUS_FILTERS = [
  ['', 'All statuses'],
  ['FAILED', 'Failed'],
  ['SUCCEEDED', 'Succeeded'],
  ['PENDING', 'Pending'],
];
const PAGE_SIZES = ['50', '100', '500'];
/** The API has no lookup by item id: a search reads pages of this size, at most this many. */
const SEARCH_PAGE = 1000;
const SEARCH_PAGES = 20;
/** The job's statistic that counts the items a status filter shows. */
const STAT_OF = { '': 'total', FAILED: 'failed', SUCCEEDED: 'succeeded', PENDING: 'pending' };

/**
 * @param {{ api, clientId: string, run, currentRun(): object, seq: number, status: string, access,
 *   onStatus(status: string): void, onClose(): void }} props  currentRun: the run as last refreshed (for its counts);
 *   access: an operator gets each item's link into the ledger
 * @returns {{ element: HTMLElement, reload(): Promise<void> }}
 */
export function itemsPanel({ api, clientId, run, currentRun, seq, status, access, onStatus, onClose }) {
  const job = run.jobs.find((candidate) => candidate.seq === seq);
  const operator = access?.may('operator');
  const itemIdInput = h('input', { name: 'itemId', spellcheck: 'false', autocomplete: 'off', placeholder: 'e.g. item-0001500', class: 'mono' });
  const statusSelect = select(STATUS_FILTERS, status, { name: 'itemStatus' });
  const pageSize = select(PAGE_SIZES, '100', { name: 'pageSize' });
  const body = h('div', { class: 'items-body' });
  const pager = h('div', { class: 'pager' });
  const counter = h('p', { class: 'muted small', 'aria-live': 'polite' });
  // Tokens of the pages seen so far: [undefined (first page), token of page 2, …].
  let tokens = [undefined];
  let page = 0;
  let request = 0;

  async function load() {
    const mine = ++request;
    replace(body, loading('Loading work items…'));
    try {
      const result = await api.listItems(clientId, run.runId, seq, { status: statusSelect.value || undefined, limit: Number(pageSize.value), nextToken: tokens[page] });
      if (mine !== request) return;
      tokens[page + 1] = result.nextToken;
      showPage(result.items, Boolean(result.nextToken));
    } catch (error) {
      if (mine !== request) return;
      replace(body, errorBanner(error, { title: 'The work items could not be loaded' }));
      replace(pager);
    }
  }

  /** How many items the filter shows in all, from the job's statistics. */
  function totalOf(filter) {
    const stats = (currentRun().jobs.find((candidate) => candidate.seq === seq) ?? job).stats;
    return stats[STAT_OF[filter]];
  }

  function showPage(items, hasNext, { searched } = {}) {
    const filterWord = statusSelect.value ? `${statusSelect.value.toLowerCase()} ` : '';
    const total = totalOf(statusSelect.value);
    const first = page * Number(pageSize.value) + 1;
    counter.textContent = searched
      ? `Found ${searched}.`
      : items.length
        ? `Items ${formatCount(first)}–${formatCount(first + items.length - 1)} of ${formatCount(total)} ${filterWord}item${total === 1 ? '' : 's'} (page ${page + 1})`
        : '';
    // An operator opens what a billing item is about in the ledger, to fix it there.
    const targets = new Map(operator ? items.map((item) => [item.itemId, ledgerTargetOf(job?.type, item.itemId)]).filter(([, target]) => target) : []);
    if (items.length === 0) {
      replace(body, h('p', { class: 'empty' }, page === 0 ? `No ${filterWord}work items.` : 'No more items.'));
    } else {
      replace(
        body,
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'table items' },
            h('caption', { class: 'visually-hidden' }, `Work items of job ${seq}, page ${page + 1}`),
            h('thead', {}, h('tr', {}, ['Item', 'Status', 'Attempts', 'Error code', 'Error message', 'Updated', ...(targets.size ? ['In the ledger'] : [])].map((title) => h('th', { scope: 'col' }, title)))),
            h(
              'tbody',
              {},
              items.map((item) =>
                h(
                  'tr',
                  { dataset: { itemId: item.itemId } },
                  h('th', { scope: 'row' }, h('code', {}, item.itemId)),
                  h('td', {}, statusBadge(item.status)),
                  h('td', { class: 'num' }, String(item.attempts)),
                  h('td', {}, item.error ? h('code', {}, item.error.code) : ''),
                  h('td', { class: 'error-message' }, item.error?.message ?? ''),
                  h('td', { class: 'muted small nowrap' }, formatClock(item.updatedAt, run.config?.timezone)),
                  targets.size ? h('td', { class: 'nowrap' }, ledgerLink(targets.get(item.itemId), item.itemId)) : null,
                ),
              ),
            ),
          ),
        ),
      );
    }
    replace(
      pager,
      h('button', { type: 'button', class: 'button button-small', disabled: page === 0, onClick: () => goTo(page - 1) }, '‹ Previous page'),
      h('span', { class: 'muted small' }, `Page ${page + 1}`),
      h('button', { type: 'button', class: 'button button-small', disabled: !hasNext, onClick: () => goTo(page + 1) }, 'Next page ›'),
    );
  }

  /** The item's account and usage record (or rerate request) on the Ledger screen, which links back to this run. */
  function ledgerLink(target, itemId) {
    if (!target) return '';
    const from = { schedule: run.scheduleId, date: run.processingDate, job: seq };
    const [part, query, text] =
      target.kind === 'rerate'
        ? ['rerates', from, 'Rerate requests']
        : ['accounts', { ...from, account: target.accountId, usage: target.kind === 'usage' ? `${target.usageDate}/${target.usageId}` : undefined }, target.kind === 'usage' ? 'Account and usage record' : 'Account'];
    return h('a', { href: ledgerHash(clientId, part, query), 'aria-label': `Open ${itemId} in the ledger` }, text);
  }

  /** Reads pages (under the status filter) until the item turns up; says so when it does not. */
  async function find(event) {
    event.preventDefault();
    const wanted = itemIdInput.value.trim();
    if (!wanted) return restart();
    const mine = ++request;
    replace(body, loading(`Looking for ${wanted}…`));
    replace(pager);
    let nextToken;
    try {
      for (let read = 0; read < SEARCH_PAGES; read++) {
        const result = await api.listItems(clientId, run.runId, seq, { status: statusSelect.value || undefined, limit: SEARCH_PAGE, nextToken });
        if (mine !== request) return;
        const item = result.items.find((candidate) => candidate.itemId === wanted);
        if (item) return showPage([item], false, { searched: wanted });
        nextToken = result.nextToken;
        if (!nextToken) break;
      }
      counter.textContent = '';
      const where = statusSelect.value ? ` among the ${statusSelect.value.toLowerCase()} items` : '';
      replace(body, h('p', { class: 'empty' }, nextToken ? `${wanted} is not in the first ${formatCount(SEARCH_PAGE * SEARCH_PAGES)} items${where}: choose a status to narrow the search.` : `No item ${wanted}${where} in this job.`));
    } catch (error) {
      if (mine !== request) return;
      replace(body, errorBanner(error, { title: 'The work items could not be searched' }));
    }
  }

  function goTo(target) {
    page = target;
    load();
  }

  function restart() {
    tokens = [undefined];
    page = 0;
    return load();
  }

  statusSelect.addEventListener('change', () => {
    onStatus(statusSelect.value);
    restart();
  });
  pageSize.addEventListener('change', restart);

  const element = h(
    'section',
    { class: 'card items-panel', 'aria-labelledby': 'items-title', id: 'items-panel' },
    h(
      'div',
      { class: 'section-head' },
      h('h3', { id: 'items-title', tabindex: '-1' }, `Work items of job ${seq}: ${jobTypeLabel(job?.type)}`),
      h('button', { type: 'button', class: 'button button-small button-quiet', onClick: onClose }, 'Close'),
    ),
    h(
      'div',
      { class: 'filters' },
      field({ label: 'Status', control: statusSelect }),
      field({ label: 'Per page', control: pageSize }),
      h('button', { type: 'button', class: 'button button-small', onClick: () => restart() }, 'Refresh items'),
    ),
    h('form', { class: 'filters item-search', role: 'search', 'aria-label': `Find a work item of job ${seq}`, onSubmit: find }, field({ label: 'Find an item by id', control: itemIdInput }), h('button', { type: 'submit', class: 'button button-small' }, 'Find')),
    counter,
    body,
    pager,
  );
  return { element, reload: restart };
}
