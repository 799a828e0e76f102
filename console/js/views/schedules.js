import { h, replace } from '../dom.js';
import { formatDate, formatInstant, frequencyInWords, jobTypeLabel, relativeTime, timeAndZone, todayIn } from '../format.js';
import { routeHash } from '../router.js';
import { confirmAction, errorBanner, errorText, loading, notify, pageHeading } from '../ui.js';

/** The configuration screen: every schedule of the client, with what it does and when it next runs. */

export const MANDATORY_REASON =
  'This is the client’s mandatory daily schedule: core billing triggers it every day and it bills the accounts due, so it cannot be deleted and keeps its BILLING job. Edit or disable it instead.';

function nextRunCell(schedule) {
  if (!schedule.enabled) return h('span', { class: 'muted' }, 'Disabled: does not run');
  if (schedule.frequency.type === 'MANUAL') return h('span', { class: 'muted' }, 'Only when triggered');
  const next = schedule.nextRuns?.[0];
  if (!next) return h('span', { class: 'muted' }, 'No upcoming run');
  return h('div', {}, h('div', {}, formatInstant(next.at, schedule.timezone)), h('div', { class: 'muted small' }, `for ${formatDate(next.processingDate)} · ${relativeTime(next.at)}`));
}

function scheduleRow(context, schedule, reload) {
  const { clientId, access } = context;
  const editHref = routeHash(clientId, 'schedules', {}, schedule.scheduleId);
  // Below admin the form opens to read: it says there why it cannot save.
  const editWord = access.may('admin') ? 'Edit' : 'View';
  const actions = [
    h('a', { class: 'button button-small', href: editHref, 'aria-label': `${editWord} ${schedule.name}` }, editWord),
    h('a', { class: 'button button-small', href: routeHash(clientId, 'execution', { schedule: schedule.scheduleId, date: todayIn(schedule.timezone) }), 'aria-label': `Runs of ${schedule.name}` }, 'Runs'),
  ];
  if (schedule.mandatory) {
    actions.push(h('span', { class: 'lock-note', title: MANDATORY_REASON }, 'Cannot be deleted', h('span', { class: 'visually-hidden' }, `: ${MANDATORY_REASON}`)));
  } else {
    actions.push(
      h(
        'button',
        {
          type: 'button',
          class: 'button button-small button-danger-quiet',
          'aria-label': `Delete ${schedule.name}`,
          ...access.guard('admin', 'Deleting a schedule'),
          onClick: async () => {
            const confirmed = await confirmAction({
              title: `Delete “${schedule.name}”?`,
              body: h('p', {}, 'It stops running. Its past runs keep the configuration they ran with.'),
              confirmLabel: 'Delete schedule',
              danger: true,
            });
            if (!confirmed) return;
            try {
              await context.api.deleteSchedule(clientId, schedule.scheduleId);
              notify(`Schedule “${schedule.name}” deleted`, { tone: 'success' });
              reload();
            } catch (error) {
              notify('The schedule was not deleted', { tone: 'error', detail: errorText(error) });
            }
          },
        },
        'Delete',
      ),
    );
  }
  return h(
    'tr',
    { dataset: { scheduleId: schedule.scheduleId } },
    h('th', { scope: 'row' }, h('a', { href: editHref }, schedule.name), schedule.mandatory ? h('span', { class: 'tag' }, 'Mandatory daily') : null, schedule.description ? h('div', { class: 'muted small' }, schedule.description) : null),
    h('td', {}, frequencyInWords(schedule.frequency)),
    h('td', {}, timeAndZone(schedule.executionTime, schedule.timezone), schedule.exceptionWindows?.length ? h('div', { class: 'muted small' }, `${schedule.exceptionWindows.length} exception window${schedule.exceptionWindows.length === 1 ? '' : 's'}`) : null),
    h('td', {}, nextRunCell(schedule)),
    h('td', {}, h('ol', { class: 'job-chain' }, schedule.jobs.map((job) => h('li', {}, jobTypeLabel(job.type))))),
    h('td', {}, schedule.enabled ? h('span', { class: 'pill pill-on' }, 'Enabled') : h('span', { class: 'pill pill-off' }, 'Disabled')),
    h('td', {}, h('div', { class: 'row-actions' }, actions)),
  );
}

export async function renderSchedules(context) {
  const { main, api, clientId, client, access } = context;
  const newSchedule = access.may('admin')
    ? h('a', { class: 'button button-primary', href: routeHash(clientId, 'schedules', {}, 'new') }, 'New schedule')
    : h('button', { type: 'button', class: 'button button-primary', ...access.guard('admin', 'Creating a schedule') }, 'New schedule');
  pageHeading(main, 'Schedules', newSchedule);
  const body = h('div', {}, loading());
  main.append(body);
  const reload = async () => {
    try {
      const schedules = await api.listSchedules(clientId);
      if (!context.isCurrent()) return;
      schedules.sort((a, b) => Number(b.mandatory) - Number(a.mandatory) || a.name.localeCompare(b.name));
      replace(
        body,
        h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'table schedules' },
            h('caption', {}, `${schedules.length} schedule${schedules.length === 1 ? '' : 's'} of ${client.name}. Times are local to each schedule’s time zone.`),
            h('thead', {}, h('tr', {}, ['Name', 'Frequency', 'Time and zone', 'Next run', 'Jobs in sequence', 'Status', 'Actions'].map((title) => h('th', { scope: 'col' }, title)))),
            h('tbody', {}, schedules.map((schedule) => scheduleRow(context, schedule, reload))),
          ),
        ),
      );
    } catch (error) {
      replace(body, errorBanner(error, { title: 'The schedules could not be loaded', actions: [h('button', { type: 'button', class: 'button', onClick: reload }, 'Try again')] }));
    }
  };
  await reload();
}
