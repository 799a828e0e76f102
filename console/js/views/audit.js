import { field, h, replace } from '../dom.js';
import { formatInstant, isIsoDate } from '../format.js';
import { routeHash } from '../router.js';
import { errorBanner, loading, pageHeading } from '../ui.js';

/**
 * The audit trail (issue 13): who changed what and when, newest first, a page at a time. Records
 * are append-only; a schedule's record links to its versions, a run's to the run.
 */

const PAGE = 50;

/** Where a record's target can be looked at, if anywhere. */
function targetLink(clientId, target) {
  const type = String(target?.type ?? '').toLowerCase();
  if (type === 'schedule') return routeHash(clientId, 'versions', {}, target.id);
  if (type === 'calendar') return routeHash(clientId, 'calendars', {}, target.id);
  return undefined;
}

function detailsCell(details) {
  if (details === undefined || details === null || (typeof details === 'object' && Object.keys(details).length === 0)) return h('span', { class: 'muted' }, '—');
  const text = JSON.stringify(details, null, 1);
  if (text.length <= 80) return h('code', { class: 'small' }, JSON.stringify(details));
  return h('details', {}, h('summary', {}, 'What changed'), h('pre', { class: 'small audit-details' }, text));
}

export async function renderAudit(context) {
  const { main, api, clientId, client, route } = context;
  pageHeading(main, 'Audit trail');
  const from = h('input', { type: 'date', name: 'from', value: isIsoDate(route.query.from) ? route.query.from : '' });
  const to = h('input', { type: 'date', name: 'to', value: isIsoDate(route.query.to) ? route.query.to : '' });
  const list = h('div', {}, loading());
  const pager = h('div', { class: 'pager' });
  main.append(
    h(
      'form',
      { class: 'card controls', 'aria-label': 'Which records', onSubmit: (event) => (event.preventDefault(), restart()) },
      field({ label: 'From (UTC date)', control: from }),
      field({ label: 'To (UTC date, included)', control: to }),
      h('div', { class: 'control-buttons' }, h('button', { type: 'submit', class: 'button button-primary' }, 'Show')),
      h('p', { class: 'muted small schedule-summary' }, 'Every change to this client: schedules, calendars, subscriptions, runs triggered, reprocessed or reset, backfills and ledger writes. Newest first.'),
    ),
    list,
    pager,
  );
  let tokens = [undefined];
  let page = 0;

  function restart() {
    tokens = [undefined];
    page = 0;
    context.replaceRoute(routeHash(clientId, 'audit', { from: from.value, to: to.value }));
    load();
  }

  async function load() {
    replace(list, loading());
    try {
      const range = { from: from.value ? `${from.value}T00:00:00Z` : undefined, to: to.value ? `${to.value}T23:59:59.999Z` : undefined };
      const result = await api.listAudit(clientId, { ...range, limit: PAGE, nextToken: tokens[page] });
      if (!context.isCurrent()) return;
      tokens[page + 1] = result.nextToken;
      draw(result.items, Boolean(result.nextToken));
    } catch (error) {
      if (!context.isCurrent()) return;
      replace(list, errorBanner(error, { title: 'The audit trail could not be loaded', actions: [h('button', { type: 'button', class: 'button', onClick: load }, 'Try again')] }));
    }
  }

  function draw(records, hasNext) {
    replace(
      list,
      records.length === 0
        ? h('p', { class: 'card empty' }, 'No changes recorded in this range.')
        : h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              { class: 'table audit' },
              h('caption', {}, `Changes to ${client.name}, newest first (page ${page + 1}). Times in ${client.timezone}.`),
              h('thead', {}, h('tr', {}, ['When', 'Who', 'Action', 'What', 'Details'].map((title) => h('th', { scope: 'col' }, title)))),
              h(
                'tbody',
                {},
                records.map((record) => {
                  const link = targetLink(clientId, record.target);
                  const target = `${record.target?.type ?? ''} ${record.target?.id ?? ''}`.trim();
                  return h(
                    'tr',
                    { dataset: { action: record.action } },
                    h('th', { scope: 'row', class: 'small nowrap' }, formatInstant(record.at, client.timezone)),
                    h('td', { class: 'small' }, h('code', {}, record.actor)),
                    h('td', {}, record.action),
                    h('td', { class: 'small' }, link ? h('a', { href: link }, target) : target),
                    h('td', {}, detailsCell(record.details)),
                  );
                }),
              ),
            ),
          ),
    );
    replace(
      pager,
      h('button', { type: 'button', class: 'button button-small', disabled: page === 0, onClick: () => ((page -= 1), load()) }, '‹ Newer'),
      h('button', { type: 'button', class: 'button button-small', disabled: !hasNext, onClick: () => ((page += 1), load()) }, 'Older ›'),
    );
  }

  await load();
}
