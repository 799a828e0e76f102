import { ApiError } from '../api.js';
import { field, h, replace } from '../dom.js';
import { addDays, formatDate, isActive, statusWord, todayIn } from '../format.js';
import { routeHash } from '../router.js';
import { confirmAction, errorBanner, errorText, loading, notify, pageHeading, statusBadge } from '../ui.js';

/**
 * Backfill (issue 14): one run per occurrence date of a range of a schedule, oldest first, at most
 * maxConcurrent at a time; dates that already have a run keep it. Started from the schedule in a
 * dialog; its progress is its own screen, by backfill id, so it can be left and come back to.
 */

const POLL_MS = 1500;

/** The dialog: from, to and how many at a time; on success the backfill's screen shows its dates. */
export async function openBackfill(context, schedule) {
  const { api, clientId } = context;
  const yesterday = addDays(todayIn(schedule.timezone), -1);
  const from = h('input', { type: 'date', name: 'backfillFrom', value: addDays(yesterday, -6), required: true });
  const to = h('input', { type: 'date', name: 'backfillTo', value: yesterday, required: true });
  const maxConcurrent = h('input', { type: 'number', name: 'maxConcurrent', inputmode: 'numeric', min: '1', value: '1', required: true });
  const request = await confirmAction({
    title: `Backfill “${schedule.name}”`,
    body: [
      h('p', {}, 'Creates a run for each date of the range the schedule’s calendar has an occurrence on (at most 366), oldest first. A date that already has a run keeps it.'),
      field({ label: 'From processing date', control: from }),
      field({ label: 'To processing date (included)', control: to }),
      field({ label: 'Runs at a time', control: maxConcurrent, hint: 'How many of its runs may be active at once.' }),
    ],
    confirmLabel: 'Start backfill',
    collect: () => ({ from: from.value, to: to.value, maxConcurrent: Number(maxConcurrent.value) }),
  });
  if (!request) return;
  try {
    const started = await api.startBackfill(clientId, schedule.scheduleId, request);
    notify(`Backfill started: ${started.dates.length} date${started.dates.length === 1 ? '' : 's'}`, { tone: 'success', detail: started.dates.length ? `${formatDate(started.dates[0])} to ${formatDate(started.dates.at(-1))}` : 'No occurrence in that range.' });
    context.navigate(routeHash(clientId, 'backfill', { schedule: schedule.scheduleId }, started.backfillId));
  } catch (error) {
    const fields = error instanceof ApiError && error.details.length ? error.details.map((detail) => `${detail.path}: ${detail.message}`).join('; ') : errorText(error);
    notify('The backfill was not started', { tone: 'error', detail: fields });
  }
}

/** The backfill's screen: its dates with each run's status, refreshed until it is DONE. */
export async function renderBackfill(context) {
  const { main, api, clientId, route } = context;
  const backfillId = route.id;
  const scheduleId = route.query.schedule;
  pageHeading(main, 'Backfill', scheduleId ? h('a', { class: 'button', href: routeHash(clientId, 'schedules', {}, scheduleId) }, 'Back to the schedule') : null);
  const summary = h('p', { class: 'run-summary', 'aria-live': 'polite' });
  const body = h('div', {}, loading());
  const facts = h('p', { class: 'muted small' }, 'Backfill ', h('code', {}, backfillId));
  main.append(facts, summary, body);
  let timer;
  context.onLeave(() => clearTimeout(timer));

  async function load() {
    try {
      const backfill = await api.getBackfill(clientId, scheduleId, backfillId);
      if (!context.isCurrent()) return;
      draw(backfill);
      if (backfill.status !== 'DONE') timer = setTimeout(load, POLL_MS);
    } catch (error) {
      if (!context.isCurrent()) return;
      replace(body, errorBanner(error, { title: 'The backfill could not be loaded', actions: [h('button', { type: 'button', class: 'button', onClick: load }, 'Try again')] }));
    }
  }

  function draw(backfill) {
    const started = new Map(backfill.runs.map((run) => [run.processingDate, run]));
    // Every date of the range, oldest first: the ones not started yet have no run.
    const runs = [...new Set([...(backfill.dates ?? []), ...started.keys()])].sort().map((processingDate) => started.get(processingDate) ?? { processingDate });
    replace(facts, 'Backfill ', h('code', {}, backfillId), ` of ${formatDate(backfill.from)} to ${formatDate(backfill.to)}, ${backfill.maxConcurrent} at a time`);
    const ended = runs.filter((run) => run.status && !isActive(run.status)).length;
    const counts = {};
    for (const run of runs) if (run.status) counts[run.status] = (counts[run.status] ?? 0) + 1;
    replace(
      summary,
      statusBadge(backfill.status === 'DONE' ? 'COMPLETED' : 'RUNNING', { word: backfill.status === 'DONE' ? 'Done' : 'Running' }),
      ` ${ended} of ${runs.length} date${runs.length === 1 ? '' : 's'} ended`,
      Object.keys(counts).length ? ` (${Object.entries(counts).map(([status, n]) => `${n} ${statusWord(status).toLowerCase()}`).join(', ')})` : '',
    );
    replace(
      body,
      backfill.error ? h('div', { class: 'banner banner-error' }, h('strong', {}, 'Stopped before every date started: '), h('code', {}, backfill.error.code), ` ${backfill.error.message}`) : null,
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'table backfill' },
          h('caption', { class: 'visually-hidden' }, 'The backfill’s dates, oldest first'),
          h('thead', {}, h('tr', {}, ['Processing date', 'Status', 'Run'].map((title) => h('th', { scope: 'col' }, title)))),
          h(
            'tbody',
            {},
            runs.map((run) =>
              h(
                'tr',
                { dataset: { date: run.processingDate, status: run.status ?? 'WAITING' } },
                h('th', { scope: 'row' }, formatDate(run.processingDate)),
                h('td', {}, run.status ? statusBadge(run.status) : h('span', { class: 'muted' }, 'Not started yet')),
                h('td', {}, run.runId ? h('a', { href: routeHash(clientId, 'execution', { schedule: scheduleId, date: run.processingDate }), 'aria-label': `Open the run of ${formatDate(run.processingDate)}` }, 'Open run') : '—'),
              ),
            ),
          ),
        ),
      ),
    );
  }

  await load();
}
