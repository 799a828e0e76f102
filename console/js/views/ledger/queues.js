import { h, replace, uid } from '../../dom.js';
import { formatCount, formatDate } from '../../format.js';
import { COUNT_PAGE, countByCode, countText, ledgerHash, reasonOf, usageKeyText } from '../../ledger.js';
import { confirmAction, errorBanner, errorText, loading, notify } from '../../ui.js';

/**
 * The suspense and sync-error queues (GET /ledger/usage?state=SUSPENDED|SYNC_ERROR): counts by
 * error code, and the records with their reasons, of which an operator may discard a selection
 * with a reason (kept, never rated, synced or billed, and no account is held for them).
 */

const QUEUES = [
  { state: 'SUSPENDED', title: 'Suspense', what: 'Usage that could not be rated' },
  { state: 'SYNC_ERROR', title: 'Sync errors', what: 'Rated usage core billing did not accept' },
];
/** One discard is one DynamoDB transaction: the API takes at most this many keys, all or none. */
const MAX_DISCARD = 100;

function queueSection({ api, clientId, keep }, queue) {
  const titleId = uid('queue');
  const summary = h('div', { class: 'code-counts' });
  const body = h('div', {}, loading(`Loading ${queue.title.toLowerCase()}…`));
  const status = h('p', { class: 'muted small', 'aria-live': 'polite' });
  const discard = h('button', { type: 'button', class: 'button button-danger-quiet', disabled: true }, 'Discard selected…');
  let records = [];
  let nextToken;
  let code = '';
  const selected = new Set();

  async function load({ more = false } = {}) {
    try {
      const page = await api.listUsage(clientId, { state: queue.state, limit: COUNT_PAGE, nextToken: more ? nextToken : undefined });
      records = more ? [...records, ...page.items] : page.items;
      nextToken = page.nextToken;
      if (!more) selected.clear();
      draw();
    } catch (error) {
      replace(body, errorBanner(error, { title: `${queue.title} could not be loaded` }));
    }
  }

  function drawCounts() {
    const counts = countByCode(records, (record) => reasonOf(record)?.code);
    const more = Boolean(nextToken);
    replace(
      summary,
      h('p', { class: 'queue-total' }, `${countText(records.length, more)} record${records.length === 1 && !more ? '' : 's'}`, counts.length ? ' by error code:' : '.'),
      counts.length
        ? h(
            'ul',
            { class: 'code-list', 'aria-label': `${queue.title} by error code` },
            [['', 'All codes', records.length], ...counts.map(([value, count]) => [value, value, count])].map(([value, text, count]) =>
              h('li', {}, h('button', { type: 'button', class: 'button button-small', 'aria-pressed': String(code === value), onClick: () => ((code = value), draw()) }, h('code', {}, text), ` ${countText(count, more)}`)),
            ),
          )
        : null,
    );
  }

  function draw() {
    drawCounts();
    const shown = records.filter((record) => !code || reasonOf(record)?.code === code);
    discard.disabled = selected.size === 0 || selected.size > MAX_DISCARD;
    status.textContent = selected.size > MAX_DISCARD ? `${selected.size} selected: discard at most ${MAX_DISCARD} at a time.` : selected.size ? `${selected.size} selected.` : '';
    if (shown.length === 0) {
      replace(body, h('p', { class: 'empty' }, records.length ? 'No record with this code.' : `Nothing in ${queue.title.toLowerCase()}.`));
      return;
    }
    const all = h('input', { type: 'checkbox', 'aria-label': `Select every record shown in ${queue.title.toLowerCase()}`, checked: shown.every((record) => selected.has(usageKeyText(record))) });
    all.addEventListener('change', () => {
      for (const record of shown) {
        if (all.checked) selected.add(usageKeyText(record));
        else selected.delete(usageKeyText(record));
      }
      draw();
    });
    replace(
      body,
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'table queue' },
          h('caption', { class: 'visually-hidden' }, `${queue.title}: ${queue.what}`),
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, all), ['Usage record', 'Account', 'Type', 'Quantity', 'Code', 'Reason'].map((title) => h('th', { scope: 'col' }, title)))),
          h(
            'tbody',
            {},
            shown.map((record) => {
              const key = usageKeyText(record);
              const box = h('input', { type: 'checkbox', 'aria-label': `Select ${key}`, checked: selected.has(key) });
              box.addEventListener('change', () => {
                if (box.checked) selected.add(key);
                else selected.delete(key);
                draw();
              });
              const reason = reasonOf(record);
              return h(
                'tr',
                { dataset: { usage: key } },
                h('td', {}, box),
                h('th', { scope: 'row' }, h('code', {}, `${formatDate(record.usageDate)} · ${record.usageId}`)),
                h('td', {}, h('a', { href: ledgerHash(clientId, 'accounts', { ...keep, account: record.accountId, usage: `${record.usageDate}/${record.usageId}` }) }, record.accountId)),
                h('td', {}, h('code', {}, record.usageType)),
                h('td', { class: 'num' }, formatCount(record.quantity)),
                h('td', {}, reason ? h('code', {}, reason.code) : ''),
                h('td', { class: 'error-message' }, reason?.message ?? ''),
              );
            }),
          ),
        ),
      ),
      nextToken ? h('button', { type: 'button', class: 'button button-small', onClick: () => load({ more: true }) }, `Load ${formatCount(COUNT_PAGE)} more`) : null,
    );
  }

  discard.addEventListener('click', async () => {
    const keys = records.filter((record) => selected.has(usageKeyText(record))).map(({ accountId, usageDate, usageId }) => ({ accountId, usageDate, usageId }));
    const reasonId = uid('discard-reason');
    const reasonInput = h('textarea', { id: reasonId, name: 'reason', required: true, maxlength: '500', rows: '3' });
    const reason = await confirmAction({
      title: `Discard ${keys.length} record${keys.length === 1 ? '' : 's'}?`,
      body: [
        h('p', {}, 'Discarded records are kept with your reason, and never rated, synced or billed; no account is held for them. A failed work item of a discarded record ends without error at the next reprocess.'),
        h('div', { class: 'field' }, h('label', { for: reasonId }, 'Reason (kept with the records)'), reasonInput),
      ],
      confirmLabel: 'Discard',
      danger: true,
      collect: () => reasonInput.value.trim(),
    });
    if (!reason) {
      if (reason === '') notify('Nothing was discarded', { tone: 'warn', persist: false, detail: 'A discard needs a reason.' });
      return;
    }
    try {
      const { discarded } = await api.discardUsage(clientId, keys, reason);
      notify(`${discarded} record${discarded === 1 ? '' : 's'} discarded`, { tone: 'success' });
      await load();
      // The button that had the focus is disabled now: the queue's heading takes it.
      element.querySelector('h2').focus();
    } catch (error) {
      notify('Nothing was discarded', { tone: 'error', detail: errorText(error) });
    }
  });

  const element = h(
    'section',
    { class: 'card queue-section', 'aria-labelledby': titleId, dataset: { queue: queue.state } },
    h('div', { class: 'section-head' }, h('h2', { id: titleId, tabindex: '-1' }, `${queue.title} (${queue.state})`), h('div', { class: 'page-actions' }, discard)),
    h('p', { class: 'muted small' }, `${queue.what}.`),
    summary,
    status,
    body,
  );
  return { element, load };
}

export async function renderQueues(context) {
  const sections = QUEUES.map((queue) => queueSection(context, queue));
  context.body.append(...sections.map((section) => section.element));
  await Promise.all(sections.map((section) => section.load()));
}
