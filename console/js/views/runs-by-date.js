import { mapLimited } from '../api.js';
import { occurrenceOn } from '../due.js';
import { field, h, replace } from '../dom.js';
import { addDays, elapsed, formatCount, formatDate, formatInstant, isActive, isIsoDate, statusWord, todayIn, triggerWord } from '../format.js';
import { routeHash } from '../router.js';
import { skipText } from '../run-words.js';
import { errorBanner, errorText, lateTag, loading, notify, pageHeading, progressBar, statusBadge } from '../ui.js';

/**
 * Every run of a processing date across the client's schedules, the ones that need a person
 * first, and the schedules due that day that have not run yet: one look tells what ran today.
 */

const POLL_MS = 3000;
/** Preview requests in flight while the date's due schedules are worked out. */
const DUE_CONCURRENCY = 4;
const ORDER = { FAILED: 0, RUNNING: 1, PENDING: 2, SKIPPED: 3, COMPLETED: 4, RESET: 5 };

/** What needs saying in the Problem column: a failure's error, a skip's reason and what to do. */
function problemOf(run) {
  if (run.status === 'FAILED' && run.error) return [h('code', {}, run.error.code), ` ${run.error.message}`];
  const skipped = skipText(run);
  if (skipped) return [h('code', {}, skipped.code), ` ${skipped.reason} ${skipped.remedy}`];
  return '';
}

export async function renderRunsByDate(context) {
  const { main, api, clientId, client, route } = context;
  pageHeading(main, 'Runs by date');
  let date = isIsoDate(route.query.date) ? route.query.date : todayIn(client.timezone);
  const dateInput = h('input', { type: 'date', name: 'date', value: date, required: true });
  const previousDay = h('button', { type: 'button', class: 'button' }, '‹ Previous day');
  const nextDay = h('button', { type: 'button', class: 'button' }, 'Next day ›');
  const today = h('button', { type: 'button', class: 'button button-quiet' }, 'Today');
  const summary = h('p', { class: 'run-summary', 'aria-live': 'polite' });
  const body = h('div', {}, loading());
  main.append(
    h('div', { class: 'card controls' }, field({ label: 'Processing date', control: dateInput }), h('div', { class: 'control-buttons' }, previousDay, nextDay, today), h('p', { class: 'muted small' }, `Dates are processing dates; “today” is today in ${client.timezone}, the client’s zone.`)),
    summary,
    body,
  );

  let schedules = [];
  /** The date's occurrence of each schedule (undefined: not due), from the calendar. */
  let occurrences = new Map();
  let request = 0;
  let timer;
  context.onLeave(() => clearTimeout(timer));

  async function load({ quiet = false } = {}) {
    const mine = ++request;
    clearTimeout(timer);
    if (!quiet) replace(body, loading());
    try {
      const [runs, list] = await Promise.all([api.listRuns(clientId, date), quiet ? schedules : api.listSchedules(clientId)]);
      if (!quiet) {
        const enabled = list.filter((schedule) => schedule.enabled);
        const found = await mapLimited(enabled, DUE_CONCURRENCY, (schedule) => occurrenceOn(api, clientId, schedule, date));
        occurrences = new Map(enabled.map((schedule, index) => [schedule.scheduleId, found[index]]));
      }
      if (mine !== request || !context.isCurrent()) return;
      schedules = list;
      show(runs);
      if (runs.some((run) => isActive(run.status))) timer = setTimeout(() => load({ quiet: true }), POLL_MS);
    } catch (error) {
      if (mine !== request) return;
      if (quiet) {
        notify('The runs could not be refreshed', { tone: 'warn', detail: errorText(error) });
        timer = setTimeout(() => load({ quiet: true }), POLL_MS * 4);
      } else replace(body, errorBanner(error, { title: 'The runs could not be loaded', actions: [h('button', { type: 'button', class: 'button', onClick: () => load() }, 'Try again')] }));
    }
  }

  function show(runs) {
    const current = runs.filter((run) => run.status !== 'RESET');
    const resets = runs.length - current.length;
    current.sort((a, b) => ORDER[a.status] - ORDER[b.status] || a.scheduleName.localeCompare(b.scheduleName));
    const scheduleName = new Map(schedules.map((s) => [s.scheduleId, s.name]));
    const ran = new Set(current.map((run) => run.scheduleId));
    const due = schedules.filter((s) => !ran.has(s.scheduleId) && occurrences.get(s.scheduleId));
    const now = Date.now();
    const missing = due.filter((s) => Date.parse(occurrences.get(s.scheduleId).at) <= now);
    const counts = {};
    for (const run of current) counts[run.status] = (counts[run.status] ?? 0) + 1;
    const needPerson = counts.FAILED ?? 0;
    replace(
      summary,
      h('strong', {}, formatDate(date)),
      `: ${current.length} run${current.length === 1 ? '' : 's'}`,
      Object.keys(counts).length ? ` (${Object.entries(counts).map(([status, n]) => `${n} ${statusWord(status).toLowerCase()}`).join(', ')})` : '',
      needPerson ? h('span', { class: 'needs-person' }, ` · ${needPerson} need${needPerson === 1 ? 's' : ''} a person`) : '',
      missing.length ? h('span', { class: 'needs-person' }, ` · ${missing.length} missing`) : '',
      due.length > missing.length ? ` · ${due.length - missing.length} due later` : '',
      resets ? h('span', { class: 'muted' }, ` · ${resets} reset attempt${resets === 1 ? '' : 's'} not shown`) : '',
    );
    const rows = current.map((run) => {
      const open = routeHash(clientId, 'execution', { schedule: run.scheduleId, date: run.processingDate, ...(run.status === 'FAILED' && run.error?.seq ? { job: run.error.seq, status: 'FAILED' } : {}) });
      return h(
        'tr',
        { class: `row-${run.status.toLowerCase()}`, dataset: { runId: run.runId, status: run.status } },
        h('th', { scope: 'row' }, h('a', { href: open }, run.scheduleName || scheduleName.get(run.scheduleId) || run.scheduleId)),
        h('td', {}, statusBadge(run.status), lateTag(run)),
        h('td', { class: 'items-cell' }, progressBar(run.stats.items, `Items of ${run.scheduleName}`), h('span', { class: 'small' }, `${formatCount(run.stats.items.succeeded)} ok · ${formatCount(run.stats.items.failed)} failed · ${formatCount(run.stats.items.total)} total`)),
        h('td', { class: 'small' }, run.status === 'SKIPPED' ? 'none: skipped' : `${run.stats.jobs.completed}/${run.stats.jobs.total}`),
        h('td', { class: 'small' }, `${triggerWord(run.trigger)}, attempt ${run.attempt}`),
        h('td', { class: 'small' }, run.startedAt ? formatInstant(run.startedAt, run.config?.timezone ?? client.timezone) : '—'),
        h('td', { class: 'small' }, elapsed(run.startedAt, isActive(run.status) ? undefined : run.endedAt) || '—'),
        h('td', { class: 'small' }, problemOf(run)),
      );
    });
    replace(
      body,
      current.length
        ? h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              { class: 'table runs' },
              h('caption', { class: 'visually-hidden' }, `Runs of ${formatDate(date)}, those that need a person first`),
              h('thead', {}, h('tr', {}, ['Schedule', 'Status', 'Items', 'Jobs done', 'Trigger', 'Started', 'Duration', 'Problem'].map((title) => h('th', { scope: 'col' }, title)))),
              h('tbody', {}, rows),
            ),
          )
        : h('p', { class: 'card empty' }, `No runs for ${formatDate(date)}.`),
      due.length
        ? h(
            'section',
            { class: 'card', 'aria-labelledby': 'due-title' },
            h('h2', { id: 'due-title' }, 'Due this date by the calendar, no run'),
            h(
              'ul',
              { class: 'link-list due-list' },
              due.map((s) => {
                const { at } = occurrences.get(s.scheduleId);
                const late = Date.parse(at) <= now;
                return h(
                  'li',
                  { dataset: { scheduleId: s.scheduleId, due: late ? 'missing' : 'later' } },
                  h('a', { href: routeHash(clientId, 'execution', { schedule: s.scheduleId, date }) }, s.name),
                  late ? [` was due at ${formatInstant(at, s.timezone)}: `, h('strong', { class: 'missing-note' }, 'missing')] : ` due at ${formatInstant(at, s.timezone)}`,
                );
              }),
            ),
          )
        : null,
    );
  }

  function setDate(next) {
    if (!isIsoDate(next)) return;
    date = next;
    dateInput.value = date;
    context.replaceRoute(routeHash(clientId, 'runs', { date }));
    load();
  }
  dateInput.addEventListener('change', () => setDate(dateInput.value));
  previousDay.addEventListener('click', () => setDate(addDays(date, -1)));
  nextDay.addEventListener('click', () => setDate(addDays(date, 1)));
  today.addEventListener('click', () => setDate(todayIn(client.timezone)));
  await load();
}
