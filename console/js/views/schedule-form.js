import { ApiError, readPages } from '../api.js';
import { catalogue } from '../catalogue.js';
import { h, replace } from '../dom.js';
import { routeHash } from '../router.js';
import { confirmAction, errorBanner, errorText, loading, notify, pageHeading } from '../ui.js';
import { MANDATORY_REASON } from './schedules.js';
import { fieldErrors } from './schedule-form/errors.js';
import { exceptionWindows } from './schedule-form/exception-windows.js';
import { scheduleFields } from './schedule-form/fields.js';
import { frequencyFields } from './schedule-form/frequency.js';
import { jobRows } from './schedule-form/job-rows.js';
import { planningFields } from './schedule-form/planning.js';
import { livePreview } from './schedule-form/preview.js';
import { openBackfill } from './backfill.js';
import { staleEdit } from './schedule-form/stale-edit.js';

/**
 * Add or edit a schedule: its parts (fields, frequency, exception windows, jobs) read into the
 * loaded schedule, so a field this form does not know is saved back unchanged (PUT replaces the
 * whole schedule). The server previews the next runs as the calendar changes; errors land at fields.
 */

const PREVIEW_DELAY_MS = 300;
/** What the API sets on a schedule; the rest is configuration and goes back as it came. */
const SERVER_FIELDS = ['scheduleId', 'clientId', 'mandatory', 'version', 'createdAt', 'updatedAt', 'nextRuns'];
/** Optional fields the form sets or leaves out: an emptied one must not come back from the loaded schedule. */
const OPTIONAL_FIELDS = ['description', 'calendarId', 'nonBusinessDay', 'dependsOn', 'deadlineMinutes'];

function blankSchedule(client) {
  return {
    name: '',
    frequency: { type: 'DAILY' },
    executionTime: '02:00:00',
    timezone: client.timezone,
    exceptionWindows: [],
    jobs: catalogue().recommendedDailySequence.map((job) => ({ ...job })),
    enabled: true,
  };
}

function configurationOf(schedule) {
  const config = { ...schedule };
  for (const name of [...SERVER_FIELDS, ...OPTIONAL_FIELDS]) delete config[name];
  return config;
}

export async function renderScheduleForm(context) {
  const { main, api, clientId, client, route } = context;
  const isNew = route.id === 'new';
  pageHeading(main, isNew ? 'New schedule' : 'Edit schedule');
  const slot = h('div', {}, loading());
  main.append(slot);
  let schedule;
  let calendars;
  let schedules;
  let calendarsError;
  try {
    [schedule, { items: calendars, error: calendarsError }, schedules] = await Promise.all([
      isNew ? blankSchedule(client) : api.getSchedule(clientId, route.id),
      // Without its calendars the form still edits the rest; the calendar field says why it is empty.
      readPages((page) => api.listCalendars(clientId, page)).catch((error) => ({ items: [], error })),
      api.listSchedules(clientId),
    ]);
  } catch (error) {
    replace(slot, errorBanner(error, { title: 'The schedule could not be loaded', actions: [h('a', { class: 'button', href: routeHash(clientId, 'schedules') }, 'Back to schedules')] }));
    return;
  }
  if (!context.isCurrent()) return;
  if (!isNew) {
    main.querySelector('h1').textContent = `Edit “${schedule.name}”`;
    document.title = `Edit ${schedule.name} · Job Schedule Manager`;
  }
  replace(slot, buildForm(context, schedule, isNew, { calendars, calendarsError, schedules }));
}

function buildForm(context, schedule, isNew, { calendars, calendarsError, schedules }) {
  const { api, clientId } = context;
  const mandatory = Boolean(schedule.mandatory);
  let version = schedule.version;
  let form;
  let previewTimer;

  const errors = fieldErrors(() => form);
  const changed = () => {
    errors.prune();
    clearTimeout(previewTimer);
    previewTimer = setTimeout(() => preview.refresh(readConfig().config), PREVIEW_DELAY_MS);
  };
  const fields = scheduleFields(schedule);
  const calendar = frequencyFields(schedule, { mandatory, onErrorHidden: (element) => errors.clearField(element) });
  const windows = exceptionWindows(schedule, { onChange: changed });
  const jobs = jobRows(schedule, { mandatory, onChange: changed });
  const planning = planningFields(schedule, { calendars, calendarsError, schedules, calendarsHref: routeHash(clientId, 'calendars') });
  const preview = livePreview({ api, clientId, errors });
  const stale = staleEdit({ onReload: () => context.navigate(window.location.hash) });

  /** The loaded schedule with the form's values over it; `problems` are inputs that cannot be sent. */
  function readConfig() {
    const problems = [];
    const config = { ...configurationOf(schedule), ...fields.read(), ...calendar.read(), ...planning.read(), exceptionWindows: windows.read(), jobs: jobs.read(problems) };
    return { config, problems };
  }

  const save = h('button', { type: 'submit', class: 'button button-primary', ...context.access.guard('admin', 'Saving a schedule') }, isNew ? 'Create schedule' : 'Save changes');
  const versionNote = h('span', { class: 'muted small' }, isNew ? '' : `Editing version ${version}`);

  form = h(
    'form',
    { class: 'schedule-form', novalidate: true, 'aria-label': isNew ? 'New schedule' : `Edit schedule ${schedule.name}` },
    h(
      'div',
      { class: 'form-columns' },
      h(
        'div',
        { class: 'form-main' },
        stale.slot,
        errors.summarySlot,
        mandatory ? h('p', { class: 'banner banner-info', id: 'mandatory-note' }, MANDATORY_REASON) : null,
        fields.identity,
        calendar.element,
        planning.element,
        fields.overlaps,
        windows.element,
        jobs.element,
        h('div', { class: 'form-actions' }, save, h('a', { class: 'button', href: routeHash(clientId, 'schedules') }, 'Cancel'), versionNote, !isNew && !mandatory ? deleteButton() : null),
        isNew ? null : h('div', { class: 'schedule-links' }, h('a', { class: 'button', href: routeHash(clientId, 'versions', {}, schedule.scheduleId) }, 'Versions and changes'), backfillButton()),
      ),
      preview.element,
    ),
  );

  function backfillButton() {
    const label = 'Backfill a date range…';
    if (!context.access.may('operator')) return h('button', { type: 'button', class: 'button', ...context.access.guard('operator', 'A backfill') }, label);
    return h('button', { type: 'button', class: 'button', onClick: () => openBackfill(context, schedule) }, label);
  }

  function deleteButton() {
    const button = h('button', { type: 'button', class: 'button button-danger-quiet', ...context.access.guard('admin', 'Deleting a schedule') }, 'Delete schedule');
    button.addEventListener('click', async () => {
      const confirmed = await confirmAction({ title: `Delete “${schedule.name}”?`, body: h('p', {}, 'It stops running. Its past runs keep the configuration they ran with.'), confirmLabel: 'Delete schedule', danger: true });
      if (!confirmed) return;
      try {
        await api.deleteSchedule(clientId, schedule.scheduleId);
        notify(`Schedule “${schedule.name}” deleted`, { tone: 'success' });
        context.navigate(routeHash(clientId, 'schedules'));
      } catch (error) {
        notify('The schedule was not deleted', { tone: 'error', detail: errorText(error) });
      }
    });
    return button;
  }

  // A field the user corrects (or removes, or hides) loses its error at once, in the summary too.
  form.addEventListener('input', (event) => {
    if (event.target instanceof HTMLElement) errors.clearField(event.target);
    changed();
  });
  form.addEventListener('change', changed);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const { config, problems } = readConfig();
    if (problems.length) return errors.showSaveErrors(problems, '');
    save.disabled = true;
    try {
      const saved = isNew ? await api.createSchedule(clientId, config) : await api.replaceSchedule(clientId, schedule.scheduleId, config, version);
      version = saved.version;
      notify(isNew ? `Schedule “${saved.name}” created` : `Schedule “${saved.name}” saved (version ${saved.version})`, { tone: 'success' });
      context.navigate(routeHash(clientId, 'schedules'));
    } catch (error) {
      if (error instanceof ApiError && error.status === 412) return stale.show(error, version);
      if (error instanceof ApiError && error.code === 'NAME_TAKEN') return errors.showSaveErrors([{ path: 'name', message: error.message }], error.message);
      if (error instanceof ApiError && error.details.length) return errors.showSaveErrors(error.details, error.message);
      errors.showSaveErrors([], errorText(error));
    } finally {
      save.disabled = false;
    }
  });
  context.onLeave(() => clearTimeout(previewTimer));
  preview.refresh(readConfig().config);
  return form;
}
