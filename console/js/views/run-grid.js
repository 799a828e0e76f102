import { readPages } from '../api.js';
import { lastDays, runGrid } from '../attention.js';
import { field, h, replace } from '../dom.js';
import { addDays, formatDate, isIsoDate, statusTone, statusWord, todayIn, weekdayIndex } from '../format.js';
import { routeHash } from '../router.js';
import { errorBanner, loading, pageHeading } from '../ui.js';
import { runLink } from './attention.js';

/**
 * The schedule × date grid (issue 13, like Airflow's): a row per schedule, a square per processing
 * date of the last 30 days, coloured and shaped by the run's status and named by it too; each
 * square with a run links to it.
 */

const DAYS = 30;
/** Every status a square can show, and the two marks that are not a status. */
const LEGEND = ['COMPLETED', 'FAILED', 'RUNNING', 'PENDING', 'SKIPPED', 'RESET'];
const WEEKDAY_INITIALS = ['M', 'T', 'W', 'T', 'F', 'S', 'S'];

function squareClass(run) {
  return ['square', run.status === 'SKIPPED' ? 'mark-skipped' : `mark-${statusTone(run.status)}`, run.late && 'square-late'];
}

function square(schedule, { date, run }) {
  if (!run) return h('td', {}, h('span', { class: 'square square-none', title: `${schedule.name}, ${formatDate(date)}: no run` }, h('span', { class: 'visually-hidden' }, 'no run')));
  const label = `${schedule.name}, ${formatDate(date)}: ${statusWord(run.status)}${run.late ? ', late' : ''}`;
  return h('td', {}, h('a', { class: squareClass(run), href: runLink(run), title: label, 'aria-label': label, dataset: { date, status: run.status } }));
}

export async function renderRunGrid(context) {
  const { main, api, clientId, client, route } = context;
  pageHeading(main, 'Run grid');
  const to = h('input', { type: 'date', name: 'to', value: isIsoDate(route.query.to) ? route.query.to : todayIn(client.timezone) });
  const body = h('div', {}, loading());
  main.append(
    h(
      'div',
      { class: 'card controls' },
      field({ label: 'Last date shown', control: to }),
      h('div', { class: 'control-buttons' }, h('button', { type: 'button', class: 'button', onClick: () => shift(-DAYS) }, `‹ ${DAYS} days earlier`), h('button', { type: 'button', class: 'button', onClick: () => shift(DAYS) }, `${DAYS} days later ›`)),
      h('p', { class: 'muted small schedule-summary' }, `Each square is one schedule’s run for one processing date, over ${DAYS} days. Open a square to see its run.`),
    ),
    body,
  );

  function shift(days) {
    to.value = addDays(to.value, days);
    load();
  }
  to.addEventListener('change', () => load());

  async function load() {
    if (!isIsoDate(to.value)) return;
    const dates = lastDays(to.value, DAYS);
    context.replaceRoute(routeHash(clientId, 'grid', { to: to.value }));
    replace(body, loading());
    try {
      const [schedules, runs] = await Promise.all([api.listSchedules(clientId), readPages((page) => api.listRunsBetween(clientId, { from: dates[0], to: dates.at(-1), ...page }), { max: 10_000, limit: 1000 })]);
      if (!context.isCurrent()) return;
      schedules.sort((a, b) => Number(b.mandatory) - Number(a.mandatory) || a.name.localeCompare(b.name));
      draw(runGrid(schedules, runs.items, dates), dates);
    } catch (error) {
      if (!context.isCurrent()) return;
      replace(body, errorBanner(error, { title: 'The runs could not be loaded', actions: [h('button', { type: 'button', class: 'button', onClick: load }, 'Try again')] }));
    }
  }

  function draw(rows, dates) {
    replace(
      body,
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'run-grid' },
          h('caption', {}, `Runs of ${client.name} from ${formatDate(dates[0])} to ${formatDate(dates.at(-1))}`),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, 'Schedule'),
              dates.map((date) => h('th', { scope: 'col', abbr: formatDate(date), class: weekdayIndex(date) >= 5 ? 'grid-weekend' : undefined }, h('span', { 'aria-hidden': 'true' }, WEEKDAY_INITIALS[weekdayIndex(date)]), h('span', {}, String(Number(date.slice(8)))))),
            ),
          ),
          h('tbody', {}, rows.map(({ schedule, cells }) => h('tr', { dataset: { scheduleId: schedule.scheduleId } }, h('th', { scope: 'row' }, h('a', { href: routeHash(clientId, 'execution', { schedule: schedule.scheduleId }) }, schedule.name)), cells.map((cell) => square(schedule, cell))))),
        ),
      ),
      h(
        'p',
        { class: 'calendar-legend muted small', 'aria-label': 'Legend' },
        LEGEND.map((status) => h('span', { class: 'legend-item' }, h('span', { class: squareClass({ status }), 'aria-hidden': 'true' }), statusWord(status).toLowerCase())),
        h('span', { class: 'legend-item' }, h('span', { class: 'square square-late square-none', 'aria-hidden': 'true' }), 'late (past its deadline)'),
        h('span', { class: 'legend-item' }, h('span', { class: 'square square-none', 'aria-hidden': 'true' }), 'no run'),
      ),
    );
  }

  await load();
}
