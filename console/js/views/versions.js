import { readPages } from '../api.js';
import { field, h, replace, select } from '../dom.js';
import { formatInstant } from '../format.js';
import { routeHash } from '../router.js';
import { diffSchedules, diffValue } from '../schedule-diff.js';
import { errorBanner, loading, pageHeading } from '../ui.js';

/**
 * A schedule's saved versions (issue 13) and what changed between two of them, field by field:
 * before → after. By default the newest version against the one before it.
 */

const CHANGE_WORDS = { changed: 'Changed', added: 'Added', removed: 'Removed' };

export async function renderVersions(context) {
  const { main, api, clientId, client, route } = context;
  const scheduleId = route.id;
  pageHeading(main, 'Schedule versions', h('a', { class: 'button', href: routeHash(clientId, 'schedules', {}, scheduleId) }, 'Back to the schedule'));
  const body = h('div', {}, loading());
  main.append(body);
  let schedule;
  let versions;
  try {
    [schedule, versions] = await Promise.all([api.getSchedule(clientId, scheduleId), readPages((page) => api.listScheduleVersions(clientId, scheduleId, page))]);
  } catch (error) {
    if (context.isCurrent()) replace(body, errorBanner(error, { title: 'The versions could not be loaded' }));
    return;
  }
  if (!context.isCurrent()) return;
  main.querySelector('h1').textContent = `Versions of “${schedule.name}”`;
  document.title = `Versions of ${schedule.name} · Job Schedule Manager`;
  const list = versions.items.sort((a, b) => b.version - a.version);
  if (list.length === 0) {
    replace(body, h('p', { class: 'card empty' }, 'No saved versions are recorded for this schedule yet: the next save records one.'));
    return;
  }
  const numbers = list.map((entry) => entry.version);
  const pick = (wanted, fallback) => (numbers.includes(Number(wanted)) ? Number(wanted) : fallback);
  const newest = numbers[0];
  const options = list.map((entry) => [entry.version, `Version ${entry.version} · ${formatInstant(entry.savedAt, client.timezone)} · ${entry.savedBy}`]);
  const older = select(options, pick(route.query.from, numbers[1] ?? newest), { name: 'fromVersion' });
  const newer = select(options, pick(route.query.to, newest), { name: 'toVersion' });
  const diffSlot = h('section', { class: 'card', 'aria-labelledby': 'diff-title', 'aria-live': 'polite' });

  replace(
    body,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'versions-title' },
      h('h2', { id: 'versions-title' }, `${list.length} saved version${list.length === 1 ? '' : 's'}`),
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'table versions' },
          h('caption', { class: 'visually-hidden' }, 'Saved versions, newest first'),
          h('thead', {}, h('tr', {}, ['Version', 'Saved', 'Saved by'].map((title) => h('th', { scope: 'col' }, title)))),
          h('tbody', {}, list.map((entry) => h('tr', { dataset: { version: String(entry.version) } }, h('th', { scope: 'row' }, `Version ${entry.version}`, entry.version === schedule.version ? h('span', { class: 'tag' }, 'Current') : null), h('td', {}, formatInstant(entry.savedAt, client.timezone)), h('td', {}, h('code', {}, entry.savedBy))))),
        ),
      ),
      h('div', { class: 'filters' }, field({ label: 'Compare version', control: older }), field({ label: 'with version', control: newer })),
    ),
    diffSlot,
  );

  let request = 0;
  async function compare() {
    const mine = ++request;
    const [a, b] = [Number(older.value), Number(newer.value)];
    context.replaceRoute(routeHash(clientId, 'versions', { from: a, to: b }, scheduleId));
    replace(diffSlot, loading('Comparing…'));
    try {
      const [before, after] = await Promise.all([api.getScheduleVersion(clientId, scheduleId, a), api.getScheduleVersion(clientId, scheduleId, b)]);
      if (mine !== request || !context.isCurrent()) return;
      drawDiff(a, b, diffSchedules(before, after));
    } catch (error) {
      if (mine !== request || !context.isCurrent()) return;
      replace(diffSlot, errorBanner(error, { title: 'The versions could not be compared' }));
    }
  }

  function drawDiff(a, b, changes) {
    replace(
      diffSlot,
      h('h2', { id: 'diff-title' }, `What changed from version ${a} to version ${b}`),
      a === b
        ? h('p', { class: 'empty' }, 'The same version twice: choose two different versions.')
        : changes.length === 0
          ? h('p', { class: 'empty' }, 'No field changed.')
          : h(
              'div',
              { class: 'table-wrap' },
              h(
                'table',
                { class: 'table diff' },
                h('caption', { class: 'visually-hidden' }, `Fields that differ between version ${a} and version ${b}`),
                h('thead', {}, h('tr', {}, ['Field', 'Change', `Version ${a}`, `Version ${b}`].map((title) => h('th', { scope: 'col' }, title)))),
                h(
                  'tbody',
                  {},
                  changes.map((change) =>
                    h(
                      'tr',
                      { class: `diff-${change.change}`, dataset: { path: change.path } },
                      h('th', { scope: 'row' }, h('code', {}, change.path)),
                      h('td', {}, CHANGE_WORDS[change.change]),
                      h('td', {}, h('del', { class: 'diff-before' }, diffValue(change.before))),
                      h('td', {}, h('ins', { class: 'diff-after' }, diffValue(change.after))),
                    ),
                  ),
                ),
              ),
            ),
    );
  }

  older.addEventListener('change', compare);
  newer.addEventListener('change', compare);
  await compare();
}
