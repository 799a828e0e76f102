import { readPages } from '../api.js';
import { attentionReasons, needsAttention } from '../attention.js';
import { field, h, replace, select } from '../dom.js';
import { addDays, formatDate, formatInstant, isIsoDate, todayIn } from '../format.js';
import { routeHash } from '../router.js';
import { skipText } from '../run-words.js';
import { errorBanner, lateTag, loading, pageHeading, statusBadge } from '../ui.js';

/**
 * Needs attention (issue 13): the failed, late and missed runs of a date range, oldest first, over
 * every client the signed-in caller may act for (GET /v1/runs) or this client only, each with what
 * went wrong and a link to the run.
 */

const DEFAULT_DAYS = 30;
/** Runs read per search: beyond it the screen says so and asks for a shorter range. */
const MAX_RUNS = 3000;
const SCOPES = [
  ['all', 'Every client I may act for'],
  ['client', 'This client only'],
];

/** What went wrong, in a line: the error, the skip's reason, or the deadline that passed. */
function whyOf(run) {
  const parts = [];
  if (run.status === 'FAILED' && run.error) parts.push(h('p', {}, h('code', {}, run.error.code), ` ${run.error.message}`));
  const skipped = skipText(run);
  if (skipped) parts.push(h('p', {}, h('code', {}, skipped.code), ` ${skipped.reason}`));
  if (run.late) parts.push(h('p', {}, `Not completed by its deadline, ${formatInstant(run.deadlineAt, run.config?.timezone ?? 'UTC')}.`));
  return parts;
}

/** The execution screen of the run; a failed run opens at its failed job's failed items. */
export function runLink(run) {
  const failedJob = run.status === 'FAILED' && run.error?.seq ? { job: run.error.seq, status: 'FAILED' } : {};
  return routeHash(run.clientId, 'execution', { schedule: run.scheduleId, date: run.processingDate, ...failedJob });
}

export async function renderAttention(context) {
  const { main, api, clientId, client, route } = context;
  pageHeading(main, 'Needs attention');
  const today = todayIn(client.timezone);
  const to = h('input', { type: 'date', name: 'to', value: isIsoDate(route.query.to) ? route.query.to : today });
  const from = h('input', { type: 'date', name: 'from', value: isIsoDate(route.query.from) ? route.query.from : addDays(to.value, 1 - DEFAULT_DAYS) });
  const scope = select(SCOPES, route.query.scope === 'client' ? 'client' : 'all', { name: 'scope' });
  const search = h('button', { type: 'submit', class: 'button button-primary' }, 'Show');
  const summary = h('p', { class: 'run-summary', 'aria-live': 'polite' });
  const body = h('div', {}, loading());
  main.append(
    h(
      'form',
      { class: 'card controls', 'aria-label': 'Which runs', onSubmit: (event) => (event.preventDefault(), load()) },
      field({ label: 'Clients', control: scope }),
      field({ label: 'Processing dates from', control: from }),
      field({ label: 'to', control: to }),
      h('div', { class: 'control-buttons' }, search),
      h('p', { class: 'muted small schedule-summary' }, 'Failed runs, runs past their deadline and missed occurrences, oldest first. At most 366 days at a time.'),
    ),
    summary,
    body,
  );

  async function load() {
    const query = { scope: scope.value, from: from.value, to: to.value };
    context.replaceRoute(routeHash(clientId, 'attention', query));
    replace(summary);
    replace(body, loading());
    try {
      const readPage = (page) => (query.scope === 'all' ? api.listRunsOfAllClients({ from: query.from, to: query.to, ...page }) : api.listRunsBetween(clientId, { from: query.from, to: query.to, ...page }));
      const { items, more } = await readPages(readPage, { max: MAX_RUNS, limit: 1000 });
      if (!context.isCurrent()) return;
      show(needsAttention(items), more);
    } catch (error) {
      if (!context.isCurrent()) return;
      replace(body, errorBanner(error, { title: 'The runs could not be loaded', actions: [h('button', { type: 'button', class: 'button', onClick: load }, 'Try again')] }));
    }
  }

  function show(runs, more) {
    const clients = new Set(runs.map((run) => run.clientId));
    replace(
      summary,
      runs.length
        ? h('span', { class: 'needs-person' }, `${runs.length} run${runs.length === 1 ? '' : 's'} need${runs.length === 1 ? 's' : ''} a person`)
        : 'Nothing needs a person in this range.',
      runs.length ? ` · ${clients.size} client${clients.size === 1 ? '' : 's'} · ${formatDate(from.value)} to ${formatDate(to.value)}` : '',
    );
    replace(
      body,
      more ? h('p', { class: 'banner banner-warn' }, `Only the newest ${MAX_RUNS} runs of the range were read: choose a shorter range to see the older ones.`) : null,
      runs.length
        ? h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              { class: 'table runs attention' },
              h('caption', { class: 'visually-hidden' }, 'Runs that need a person, oldest first'),
              h('thead', {}, h('tr', {}, ['Processing date', 'Client', 'Schedule', 'Status', 'What went wrong', 'Run'].map((title) => h('th', { scope: 'col' }, title)))),
              h(
                'tbody',
                {},
                runs.map((run) =>
                  h(
                    'tr',
                    { class: `row-${run.status.toLowerCase()}`, dataset: { runId: run.runId, clientId: run.clientId, reasons: attentionReasons(run).join(' ') } },
                    h('th', { scope: 'row', class: 'nowrap' }, formatDate(run.processingDate)),
                    h('td', {}, run.clientId),
                    h('td', {}, run.scheduleName),
                    h('td', { class: 'nowrap' }, statusBadge(run.status), lateTag(run)),
                    h('td', { class: 'small error-message' }, whyOf(run)),
                    h('td', {}, h('a', { href: runLink(run), 'aria-label': `Open the run of ${run.scheduleName} (${run.clientId}) for ${formatDate(run.processingDate)}` }, 'Open run')),
                  ),
                ),
              ),
            ),
          )
        : null,
    );
  }

  await load();
}
