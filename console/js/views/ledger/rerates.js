import { field, h, replace, select, uid } from '../../dom.js';
import { formatDate, formatInstant } from '../../format.js';
import { ledgerHash, narrowingProblem } from '../../ledger.js';
import { confirmAction, errorBanner, errorText, loading, notify } from '../../ui.js';

/**
 * Rerate requests: what the next RERATING job prices again. An open request can be cancelled, or
 * narrowed (cancelled and replaced by one of a smaller range), e.g. when RERATING fails with
 * TRANSACTION_INVOICED because the range reaches into an invoiced period.
 */

const STATUS_FILTERS = [
  ['OPEN', 'Open'],
  ['', 'All statuses'],
  ['DONE', 'Done'],
  ['CANCELLED', 'Cancelled'],
];
const PAGE = 100;

export async function renderRerates({ api, clientId, body, keep }) {
  const status = select(STATUS_FILTERS, 'OPEN', { name: 'rerateStatus' });
  const list = h('div', {}, loading('Loading rerate requests…'));
  const pager = h('div', { class: 'pager' });
  body.append(h('section', { class: 'card', 'aria-labelledby': 'rerates-title' }, h('h2', { id: 'rerates-title' }, 'Rerate requests'), h('div', { class: 'filters' }, field({ label: 'Status', control: status })), list, pager));
  let tokens = [undefined];
  let page = 0;

  async function load() {
    try {
      const result = await api.listRerateRequests(clientId, { status: status.value || undefined, limit: PAGE, nextToken: tokens[page] });
      tokens[page + 1] = result.nextToken;
      draw(result.items, Boolean(result.nextToken));
    } catch (error) {
      replace(list, errorBanner(error, { title: 'The rerate requests could not be loaded' }));
    }
  }

  function draw(requests, hasNext) {
    replace(
      list,
      requests.length === 0
        ? h('p', { class: 'empty' }, status.value ? `No ${status.value.toLowerCase()} rerate requests.` : 'No rerate requests.')
        : h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              { class: 'table rerates' },
              h('caption', { class: 'visually-hidden' }, `Rerate requests, page ${page + 1}`),
              h('thead', {}, h('tr', {}, ['Request', 'Account', 'From', 'To', 'Reason', 'Requested', 'Status', 'Actions'].map((title) => h('th', { scope: 'col' }, title)))),
              h('tbody', {}, requests.map(requestRow)),
            ),
          ),
    );
    replace(
      pager,
      h('button', { type: 'button', class: 'button button-small', disabled: page === 0, onClick: () => ((page -= 1), load()) }, '‹ Previous page'),
      h('button', { type: 'button', class: 'button button-small', disabled: !hasNext, onClick: () => ((page += 1), load()) }, 'Next page ›'),
    );
  }

  function requestRow(request) {
    const state = request.status ?? 'OPEN';
    const name = `${request.accountId}/${request.requestId}`;
    return h(
      'tr',
      { dataset: { request: name } },
      h('th', { scope: 'row' }, h('code', {}, request.requestId)),
      h('td', {}, h('a', { href: ledgerHash(clientId, 'accounts', { ...keep, account: request.accountId }) }, request.accountId)),
      h('td', {}, formatDate(request.fromDate)),
      h('td', {}, formatDate(request.toDate)),
      h('td', {}, request.reason),
      h('td', { class: 'small nowrap' }, formatInstant(request.requestedAt, 'UTC')),
      h('td', {}, state),
      h(
        'td',
        { class: 'nowrap' },
        state === 'OPEN'
          ? [
              h('button', { type: 'button', class: 'button button-small', 'aria-label': `Narrow ${name}`, onClick: () => narrow(request) }, 'Narrow…'),
              ' ',
              h('button', { type: 'button', class: 'button button-small button-danger-quiet', 'aria-label': `Cancel ${name}`, onClick: () => cancel(request) }, 'Cancel…'),
            ]
          : null,
      ),
    );
  }

  async function cancel(request) {
    const confirmed = await confirmAction({
      title: `Cancel rerate request ${request.requestId}?`,
      body: h('p', {}, `RERATING leaves ${request.accountId}’s usage of ${formatDate(request.fromDate)} to ${formatDate(request.toDate)} at its current prices.`),
      confirmLabel: 'Cancel the request',
      danger: true,
    });
    if (!confirmed) return;
    try {
      await api.cancelRerateRequest(clientId, request.accountId, request.requestId);
      notify(`Rerate request ${request.requestId} cancelled`, { tone: 'success' });
      await load();
    } catch (error) {
      notify('The rerate request was not cancelled', { tone: 'error', detail: errorText(error) });
    }
  }

  /** Cancel first, then create: a failure in between leaves nothing rerated twice, and says so. */
  async function narrow(request) {
    const ids = { from: uid('narrow-from'), to: uid('narrow-to'), id: uid('narrow-id'), problem: uid('narrow-problem') };
    const fromInput = h('input', { type: 'date', id: ids.from, value: request.fromDate, min: request.fromDate, max: request.toDate, required: true });
    const toInput = h('input', { type: 'date', id: ids.to, value: request.toDate, min: request.fromDate, max: request.toDate, required: true });
    const idInput = h('input', { id: ids.id, value: `${request.requestId}-narrowed`.slice(0, 64), required: true, class: 'mono', spellcheck: 'false' });
    const range = await confirmAction({
      title: `Narrow rerate request ${request.requestId}?`,
      body: [
        h('p', {}, `It is cancelled and a new request takes a smaller range of ${formatDate(request.fromDate)} to ${formatDate(request.toDate)}, with the same reason.`),
        h('div', { class: 'field' }, h('label', { for: ids.from }, 'From'), fromInput),
        h('div', { class: 'field' }, h('label', { for: ids.to }, 'To'), toInput),
        h('div', { class: 'field' }, h('label', { for: ids.id }, 'New request id'), idInput),
      ],
      confirmLabel: 'Narrow',
      collect: () => ({ fromDate: fromInput.value, toDate: toInput.value, requestId: idInput.value.trim() }),
    });
    if (!range) return;
    const problem = narrowingProblem(request, range.fromDate, range.toDate);
    if (problem) {
      notify('The rerate request was not narrowed', { tone: 'error', detail: problem });
      return;
    }
    try {
      await api.cancelRerateRequest(clientId, request.accountId, request.requestId);
    } catch (error) {
      notify('The rerate request was not narrowed', { tone: 'error', detail: errorText(error) });
      return;
    }
    try {
      await api.createRerateRequest(clientId, { accountId: request.accountId, requestId: range.requestId, fromDate: range.fromDate, toDate: range.toDate, reason: request.reason || 'narrowed' });
      notify(`Rerate request narrowed to ${formatDate(range.fromDate)} – ${formatDate(range.toDate)}`, { tone: 'success', detail: `${request.requestId} is cancelled; ${range.requestId} is open.` });
    } catch (error) {
      notify(`${request.requestId} was cancelled, but the narrowed request was not created`, { tone: 'error', detail: errorText(error) });
    }
    await load();
  }

  status.addEventListener('change', () => {
    tokens = [undefined];
    page = 0;
    load();
  });
  await load();
}
