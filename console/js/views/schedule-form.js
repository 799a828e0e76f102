import { ApiError } from '../api.js';
import { field, h, replace, select, uid } from '../dom.js';
import {
  DAYS_OF_WEEK,
  fieldForPath,
  formatDate,
  formatInstant,
  formatTime,
  FREQUENCY_TYPES,
  frequencyInWords,
  JOB_TYPES,
  jobTypeLabel,
  normalisePath,
  parseIndexList,
  RECOMMENDED_DAILY_JOBS,
  shortTime,
  todayIn,
} from '../format.js';
import { routeHash } from '../router.js';
import { confirmAction, errorBanner, errorText, loading, notify, pageHeading } from '../ui.js';
import { timezoneList } from './sign-in.js';
import { MANDATORY_REASON } from './schedules.js';

/**
 * Add or edit a schedule. Every field carries the API path it is sent as (`data-path`), so a
 * 400's `error.details[].path` finds its field; the next runs are previewed by the server
 * (POST /schedule-preview) as the calendar fields change; a 412 says the schedule changed
 * elsewhere and offers to reload it.
 */

const PREVIEW_DELAY_MS = 300;
const PREVIEW_COUNT = 5;

/** The frequency parameter each type takes, with its input. */
const FREQUENCY_PARAMETERS = {
  WEEKLY: 'dayOfWeek',
  MONTHLY: 'dayOfMonth',
  MONTH_END: 'offsetDays',
  QUARTER_END: 'offsetDays',
  YEAR_END: 'offsetDays',
  CRON: 'expression',
};

function numberOrRaw(value) {
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  return /^-?\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
}

function blankSchedule(client) {
  return {
    name: '',
    description: '',
    frequency: { type: 'DAILY' },
    executionTime: '02:00:00',
    timezone: client.timezone,
    exceptionWindows: [],
    jobs: RECOMMENDED_DAILY_JOBS.map((type) => ({ type })),
    enabled: true,
  };
}

/** A form-level error list with links to the fields (moves focus there on activation). */
function errorSummary(problems) {
  const list = h(
    'ul',
    {},
    problems.map(({ message, target }) =>
      h(
        'li',
        {},
        target
          ? h(
              'a',
              {
                href: `#${target.id}`,
                onClick: (event) => {
                  event.preventDefault();
                  target.focus();
                },
              },
              message,
            )
          : message,
      ),
    ),
  );
  return h('div', { class: 'banner banner-error error-summary', role: 'alert', tabindex: '-1' }, h('strong', {}, `The schedule was not saved: ${problems.length} problem${problems.length === 1 ? '' : 's'}`), list);
}

export async function renderScheduleForm(context) {
  const { main, api, clientId, client, route } = context;
  const isNew = route.id === 'new';
  pageHeading(main, isNew ? 'New schedule' : 'Edit schedule');
  const slot = h('div', {}, loading());
  main.append(slot);
  let schedule;
  try {
    schedule = isNew ? blankSchedule(client) : await api.getSchedule(clientId, route.id);
  } catch (error) {
    replace(slot, errorBanner(error, { title: 'The schedule could not be loaded', actions: [h('a', { class: 'button', href: routeHash(clientId, 'schedules') }, 'Back to schedules')] }));
    return;
  }
  if (!context.isCurrent()) return;
  if (!isNew) {
    main.querySelector('h1').textContent = `Edit “${schedule.name}”`;
    document.title = `Edit ${schedule.name} · Job Schedule Manager`;
  }
  replace(slot, buildForm(context, schedule, isNew));
}

function buildForm(context, schedule, isNew) {
  const { api, clientId } = context;
  const mandatory = Boolean(schedule.mandatory);
  let version = schedule.version;

  // ── Fields ────────────────────────────────────────────────────────────────────────────────
  const name = h('input', { name: 'name', value: schedule.name, autocomplete: 'off', maxlength: '100' });
  const description = h('textarea', { name: 'description', rows: '2', maxlength: '1000' });
  description.value = schedule.description ?? '';

  const frequencyType = select(FREQUENCY_TYPES, schedule.frequency.type, { name: 'frequencyType', disabled: mandatory });
  const dayOfWeek = select(DAYS_OF_WEEK, schedule.frequency.dayOfWeek ?? 'FRI', { name: 'dayOfWeek' });
  const dayOfMonth = h('input', { name: 'dayOfMonth', type: 'number', inputmode: 'numeric', min: '1', max: '31', value: String(schedule.frequency.dayOfMonth ?? 1) });
  const offsetDays = h('input', { name: 'offsetDays', type: 'number', inputmode: 'numeric', min: '0', max: '27', value: String(schedule.frequency.offsetDays ?? 0) });
  const expression = h('input', { name: 'expression', value: schedule.frequency.expression ?? '0 30 2 ? * MON-FRI *', spellcheck: 'false', autocomplete: 'off' });
  const parameterFields = {
    dayOfWeek: field({ label: 'Day of the week', control: dayOfWeek, path: 'frequency.dayOfWeek' }),
    dayOfMonth: field({ label: 'Day of the month', control: dayOfMonth, path: 'frequency.dayOfMonth', hint: '1–31; in shorter months the month’s last day.' }),
    offsetDays: field({ label: 'Days before the end', control: offsetDays, path: 'frequency.offsetDays', hint: '0 = the last day; 2 = two days before the last day.' }),
    expression: field({
      label: 'Cron expression',
      control: expression,
      path: 'frequency.expression',
      hint: 'EventBridge cron: minutes hours day-of-month month day-of-week year, e.g. 0 30 2 ? * MON-FRI *. Time and zone below still apply to the preview.',
    }),
  };
  const frequencyWords = h('p', { class: 'frequency-words', 'aria-live': 'polite' });

  const executionTime = h('input', { name: 'executionTime', value: schedule.executionTime, placeholder: 'HH:MM:SS', spellcheck: 'false', autocomplete: 'off', inputmode: 'numeric' });
  const timezone = h('input', { name: 'timezone', value: schedule.timezone, list: 'timezones', spellcheck: 'false', autocomplete: 'off' });
  const enabled = h('input', { type: 'checkbox', name: 'enabled', id: uid('enabled'), checked: schedule.enabled !== false });
  enabled.dataset.path = 'enabled';

  // ── Exception windows ─────────────────────────────────────────────────────────────────────
  const windowList = h('ol', { class: 'rows', id: uid('windows'), tabindex: '-1' });
  windowList.dataset.path = 'exceptionWindows';
  const windowsError = h('p', { class: 'field-error', id: `${windowList.id}-error`, hidden: true });
  windowList.setAttribute('aria-describedby', windowsError.id);

  function windowRow(window) {
    const start = h('input', { name: 'windowStart', value: window.start, placeholder: 'HH:MM:SS', spellcheck: 'false', autocomplete: 'off', inputmode: 'numeric' });
    const end = h('input', { name: 'windowEnd', value: window.end, placeholder: 'HH:MM:SS', spellcheck: 'false', autocomplete: 'off', inputmode: 'numeric' });
    const row = h('li', { class: 'row window-row', tabindex: '-1' });
    const rowError = h('p', { class: 'field-error', hidden: true });
    const remove = h('button', { type: 'button', class: 'button button-small button-danger-quiet' }, 'Remove');
    remove.addEventListener('click', () => {
      const next = row.nextElementSibling ?? row.previousElementSibling;
      row.remove();
      renumberWindows();
      (next?.querySelector('input') ?? addWindow).focus();
      changed();
    });
    row.append(h('div', { class: 'row-fields' }, field({ label: 'Start', control: start }), field({ label: 'End', control: end }), h('div', { class: 'row-buttons' }, remove)), rowError);
    row.parts = { start, end, remove, rowError };
    return row;
  }

  function renumberWindows() {
    [...windowList.children].forEach((row, index) => {
      const path = `exceptionWindows.${index}`;
      row.dataset.path = path;
      row.id = row.id || uid('window');
      row.parts.rowError.id = `${row.id}-error`;
      row.setAttribute('aria-label', `Exception window ${index + 1}`);
      row.setAttribute('aria-describedby', row.parts.rowError.id);
      row.parts.start.dataset.path = `${path}.start`;
      row.parts.end.dataset.path = `${path}.end`;
      row.parts.start.previousElementSibling.textContent = `Window ${index + 1} start`;
      row.parts.end.previousElementSibling.textContent = `Window ${index + 1} end`;
      row.parts.remove.setAttribute('aria-label', `Remove exception window ${index + 1}`);
    });
    windowsEmpty.hidden = windowList.children.length > 0;
  }

  const windowsEmpty = h('p', { class: 'muted' }, 'No exception windows: jobs may start at any time.');
  const addWindow = h('button', { type: 'button', class: 'button button-small' }, 'Add exception window');
  addWindow.addEventListener('click', () => {
    const row = windowRow({ start: '', end: '' });
    windowList.append(row);
    renumberWindows();
    row.parts.start.focus();
  });
  for (const window of schedule.exceptionWindows ?? []) windowList.append(windowRow(window));

  // ── Jobs ──────────────────────────────────────────────────────────────────────────────────
  const jobList = h('ol', { class: 'rows', id: uid('jobs'), tabindex: '-1' });
  jobList.dataset.path = 'jobs';
  const jobsError = h('p', { class: 'field-error', id: `${jobList.id}-error`, hidden: true });
  jobList.setAttribute('aria-describedby', jobsError.id);

  function syntheticFields(settings = {}) {
    const items = h('input', { name: 'syntheticItems', type: 'number', inputmode: 'numeric', min: '0', value: String(settings.items ?? 1000) });
    const failItems = h('input', { name: 'syntheticFailItems', value: (settings.failItems ?? []).join(', '), spellcheck: 'false', autocomplete: 'off', placeholder: 'e.g. 5, 17 (fail until healed)' });
    const delayMs = h('input', { name: 'syntheticDelayMs', type: 'number', inputmode: 'numeric', min: '0', value: String(settings.delayMs ?? 0) });
    const batchSize = h('input', { name: 'syntheticBatchSize', type: 'number', inputmode: 'numeric', min: '1', value: settings.batchSize === undefined ? '' : String(settings.batchSize), placeholder: 'default' });
    return { items, failItems, delayMs, batchSize };
  }

  function jobRow(job) {
    const row = h('li', { class: 'row job-row', tabindex: '-1' });
    const type = select(JOB_TYPES, job.type, { name: 'jobType' });
    const settingsSlot = h('div', { class: 'job-settings' });
    const rowError = h('p', { class: 'field-error', hidden: true });
    const up = h('button', { type: 'button', class: 'button button-small' }, '↑', h('span', { class: 'visually-hidden' }, ' Move up'));
    const down = h('button', { type: 'button', class: 'button button-small' }, '↓', h('span', { class: 'visually-hidden' }, ' Move down'));
    const remove = h('button', { type: 'button', class: 'button button-small button-danger-quiet' }, 'Remove');
    const seqLabel = h('span', { class: 'seq', 'aria-hidden': 'true' });
    row.parts = { type, settingsSlot, rowError, up, down, remove, seqLabel, settings: job.settings, synthetic: undefined, json: undefined };

    function showSettings() {
      if (type.value === 'SYNTHETIC') {
        const parts = syntheticFields(row.parts.settings ?? {});
        row.parts.synthetic = parts;
        row.parts.json = undefined;
        replace(
          settingsSlot,
          h(
            'div',
            { class: 'row-fields' },
            field({ label: 'Work items', control: parts.items }),
            field({ label: 'Failing item indexes', control: parts.failItems }),
            field({ label: 'Delay per chunk (ms)', control: parts.delayMs }),
            field({ label: 'Items per batch', control: parts.batchSize }),
          ),
        );
      } else {
        const json = h('input', { name: 'jobSettings', spellcheck: 'false', autocomplete: 'off', placeholder: '{ } (none)', class: 'mono' });
        json.value = row.parts.settings && Object.keys(row.parts.settings).length ? JSON.stringify(row.parts.settings) : '';
        row.parts.synthetic = undefined;
        row.parts.json = json;
        replace(settingsSlot, field({ label: 'Settings (JSON, optional)', control: json }));
      }
      renumberJobs();
    }
    type.addEventListener('change', () => {
      row.parts.settings = undefined;
      showSettings();
    });
    up.addEventListener('click', () => {
      if (row.previousElementSibling) jobList.insertBefore(row, row.previousElementSibling);
      renumberJobs();
      (up.disabled ? down : up).focus();
      changed();
    });
    down.addEventListener('click', () => {
      if (row.nextElementSibling) jobList.insertBefore(row.nextElementSibling, row);
      renumberJobs();
      (down.disabled ? up : down).focus();
      changed();
    });
    remove.addEventListener('click', () => {
      const next = row.nextElementSibling ?? row.previousElementSibling;
      row.remove();
      renumberJobs();
      (next?.querySelector('select') ?? addJob).focus();
      changed();
    });
    row.append(h('div', { class: 'row-fields' }, seqLabel, field({ label: 'Job', control: type, className: 'job-type' }), settingsSlot, h('div', { class: 'row-buttons' }, up, down, remove)), rowError);
    jobList.append(row);
    showSettings();
    return row;
  }

  const billingNote = h('p', { class: 'hint', hidden: true }, 'The BILLING job stays: the mandatory daily schedule bills the accounts due every day.');

  function renumberJobs() {
    const rows = [...jobList.children];
    const billingRows = rows.filter((row) => row.parts.type.value === 'BILLING');
    rows.forEach((row, index) => {
      const path = `jobs.${index}`;
      const n = index + 1;
      const { type, up, down, remove, seqLabel, synthetic, json, rowError } = row.parts;
      row.id = row.id || uid('job');
      rowError.id = `${row.id}-error`;
      row.setAttribute('aria-describedby', rowError.id);
      row.dataset.path = path;
      row.setAttribute('aria-label', `Job ${n}: ${jobTypeLabel(type.value)}`);
      seqLabel.textContent = String(n);
      type.dataset.path = `${path}.type`;
      type.previousElementSibling.textContent = `Job ${n}`;
      up.disabled = index === 0;
      down.disabled = index === rows.length - 1;
      up.lastChild.textContent = ` Move job ${n} up`;
      down.lastChild.textContent = ` Move job ${n} down`;
      const lockedBilling = mandatory && type.value === 'BILLING' && billingRows.length === 1;
      remove.disabled = rows.length === 1 || lockedBilling;
      remove.setAttribute('aria-label', `Remove job ${n}`);
      if (lockedBilling) remove.title = 'The mandatory daily schedule keeps its BILLING job.';
      else remove.removeAttribute('title');
      if (synthetic) {
        synthetic.items.dataset.path = `${path}.settings.items`;
        synthetic.failItems.dataset.path = `${path}.settings.failItems`;
        synthetic.delayMs.dataset.path = `${path}.settings.delayMs`;
        synthetic.batchSize.dataset.path = `${path}.settings.batchSize`;
      }
      if (json) json.dataset.path = `${path}.settings`;
    });
    billingNote.hidden = !mandatory;
  }

  const newJobType = select(JOB_TYPES, 'SYNTHETIC', { name: 'newJobType' });
  const addJob = h('button', { type: 'button', class: 'button button-small' }, 'Add job');
  addJob.addEventListener('click', () => {
    const row = jobRow({ type: newJobType.value });
    row.parts.type.focus();
    changed();
  });
  const recommended = h('button', { type: 'button', class: 'button button-small' }, `Use the recommended daily sequence (${RECOMMENDED_DAILY_JOBS.map(jobTypeLabel).join(' → ')})`);
  recommended.addEventListener('click', () => {
    jobList.replaceChildren();
    for (const type of RECOMMENDED_DAILY_JOBS) jobRow({ type });
    jobList.firstElementChild?.parts.type.focus();
    changed();
  });
  for (const job of schedule.jobs) jobRow(job);

  // ── Reading the form ──────────────────────────────────────────────────────────────────────
  /** Problems found before sending (unparseable input); everything else the server judges. */
  let localProblems = [];

  function readFrequency() {
    const type = mandatory ? 'DAILY' : frequencyType.value;
    const parameter = FREQUENCY_PARAMETERS[type];
    if (!parameter) return { type };
    const control = { dayOfWeek, dayOfMonth, offsetDays, expression }[parameter];
    const value = parameter === 'dayOfWeek' || parameter === 'expression' ? control.value.trim() : numberOrRaw(control.value);
    return { type, [parameter]: value === '' ? undefined : value };
  }

  function readJob(row, index) {
    const { type, synthetic, json } = row.parts;
    if (synthetic) {
      const failItems = parseIndexList(synthetic.failItems.value);
      if (failItems === undefined) localProblems.push({ path: `jobs.${index}.settings.failItems`, message: 'a list of item indexes such as 5, 17' });
      const settings = { items: numberOrRaw(synthetic.items.value), failItems: failItems ?? [], delayMs: numberOrRaw(synthetic.delayMs.value) ?? 0 };
      const batchSize = numberOrRaw(synthetic.batchSize.value);
      if (batchSize !== undefined) settings.batchSize = batchSize;
      return { type: type.value, settings };
    }
    const text = json?.value.trim() ?? '';
    if (!text) return { type: type.value };
    try {
      return { type: type.value, settings: JSON.parse(text) };
    } catch {
      localProblems.push({ path: `jobs.${index}.settings`, message: 'not valid JSON' });
      return { type: type.value };
    }
  }

  function readConfig() {
    localProblems = [];
    const config = {
      name: name.value,
      frequency: readFrequency(),
      executionTime: executionTime.value.trim(),
      timezone: timezone.value.trim(),
      exceptionWindows: [...windowList.children].map((row) => ({ start: row.parts.start.value.trim(), end: row.parts.end.value.trim() })),
      jobs: [...jobList.children].map(readJob),
      enabled: enabled.checked,
    };
    if (description.value.trim()) config.description = description.value;
    return config;
  }

  // ── Errors at their fields ────────────────────────────────────────────────────────────────
  const summarySlot = h('div');

  function errorSlotOf(element) {
    return document.getElementById(`${element.id}-error`);
  }

  function clearErrors() {
    replace(summarySlot);
    for (const element of form.querySelectorAll('[data-path]')) {
      element.removeAttribute('aria-invalid');
      const slot = errorSlotOf(element);
      if (slot) {
        slot.textContent = '';
        slot.hidden = true;
      }
    }
  }

  function clearFieldError(element) {
    if (element.getAttribute('aria-invalid') !== 'true') return;
    element.removeAttribute('aria-invalid');
    const slot = errorSlotOf(element);
    if (slot) {
      slot.textContent = '';
      slot.hidden = true;
    }
  }

  /** Drops the summary's entries whose field is no longer in error (fixed, removed or hidden). */
  function pruneSummary() {
    const summary = summarySlot.querySelector('.error-summary');
    if (!summary) return;
    for (const link of summary.querySelectorAll('a[href^="#"]')) {
      const target = document.getElementById(link.getAttribute('href').slice(1));
      if (!target || target.getAttribute('aria-invalid') !== 'true' || target.closest('[hidden]')) link.closest('li')?.remove();
    }
    if (!summary.querySelector('li')) replace(summarySlot);
  }

  function fieldLabel(element) {
    return element.labels?.[0]?.textContent ?? element.getAttribute('aria-label') ?? element.dataset.path;
  }

  /** Shows each problem at the field its path names, and all of them in a summary with links. */
  function showErrors(details, fallbackMessage) {
    clearErrors();
    const elements = new Map([...form.querySelectorAll('[data-path]')].map((element) => [element.dataset.path, element]));
    const problems = [];
    for (const detail of details) {
      const path = normalisePath(detail.path);
      const match = fieldForPath(path, elements.keys());
      const element = match === undefined ? undefined : elements.get(match);
      const slot = element && errorSlotOf(element);
      const extra = match !== undefined && match !== path ? `${path.slice(match.length + 1)}: ` : '';
      const message = `${extra}${detail.message}`;
      if (slot) {
        slot.textContent = slot.textContent ? `${slot.textContent}; ${message}` : message;
        slot.hidden = false;
        element.setAttribute('aria-invalid', 'true');
      }
      problems.push({ message: element ? `${fieldLabel(element)}: ${message}` : `${path || 'Schedule'}: ${detail.message}`, target: element });
    }
    if (problems.length === 0) problems.push({ message: fallbackMessage });
    const summary = errorSummary(problems);
    replace(summarySlot, summary);
    summary.focus();
  }

  // ── Live preview ──────────────────────────────────────────────────────────────────────────
  const previewBody = h('div', { class: 'preview-body' });
  const preview = h('aside', { class: 'card preview', 'aria-labelledby': 'preview-title' }, h('h2', { id: 'preview-title' }, 'Next runs'), h('div', { 'aria-live': 'polite', 'aria-atomic': 'true' }, previewBody));
  let previewTimer;
  let previewRequest = 0;

  async function refreshPreview() {
    const config = readConfig();
    const mine = ++previewRequest;
    frequencyWords.textContent = `${frequencyInWords(config.frequency)} at ${shortTime(config.executionTime)} ${config.timezone}`;
    if (config.frequency.type === 'MANUAL') {
      replace(previewBody, h('p', {}, 'A manual schedule never runs by itself: trigger it from the Execution screen or the API.'));
      return;
    }
    replace(previewBody, h('p', { class: 'muted' }, 'Computing…'));
    try {
      const occurrences = await api.preview(clientId, { frequency: config.frequency, executionTime: config.executionTime, timezone: config.timezone, count: PREVIEW_COUNT });
      if (mine !== previewRequest) return;
      replace(
        previewBody,
        config.enabled ? null : h('p', { class: 'banner banner-warn' }, 'Disabled: it will not run until enabled. These are the runs it would have.'),
        h(
          'ol',
          { class: 'occurrences' },
          occurrences.map((occurrence) => {
            const sameDay = todayIn(config.timezone, new Date(occurrence.at)) === occurrence.processingDate;
            return h(
              'li',
              {},
              h('strong', {}, formatDate(occurrence.processingDate)),
              ' ',
              sameDay ? formatTime(occurrence.at, config.timezone) : formatInstant(occurrence.at, config.timezone),
              h('span', { class: 'muted small' }, ` · ${sameDay ? formatTime(occurrence.at, 'UTC') : formatInstant(occurrence.at, 'UTC')}`),
            );
          }),
        ),
        h('p', { class: 'muted small' }, 'Computed by the server with the same calendar that fires schedules.'),
      );
    } catch (error) {
      if (mine !== previewRequest) return;
      const details = error instanceof ApiError ? error.details : [];
      replace(
        previewBody,
        h('p', { class: 'preview-error' }, 'No preview: ', details.length ? details.map((detail) => `${detail.path}: ${detail.message}`).join('; ') : errorText(error)),
      );
    }
  }

  function changed() {
    pruneSummary();
    clearTimeout(previewTimer);
    previewTimer = setTimeout(refreshPreview, PREVIEW_DELAY_MS);
  }

  function showParameter() {
    const parameter = FREQUENCY_PARAMETERS[mandatory ? 'DAILY' : frequencyType.value];
    for (const [key, wrapper] of Object.entries(parameterFields)) {
      wrapper.hidden = key !== parameter;
      if (wrapper.hidden) clearFieldError(wrapper.querySelector('[data-path]'));
    }
  }
  frequencyType.addEventListener('change', showParameter);
  showParameter();
  renumberWindows();
  renumberJobs();

  // ── Saving ────────────────────────────────────────────────────────────────────────────────
  const staleSlot = h('div');
  const save = h('button', { type: 'submit', class: 'button button-primary' }, isNew ? 'Create schedule' : 'Save changes');
  const versionNote = h('span', { class: 'muted small' }, isNew ? '' : `Editing version ${version}`);

  function showStale(error) {
    replace(
      staleSlot,
      h(
        'div',
        { class: 'banner banner-warn', role: 'alert', tabindex: '-1' },
        h('strong', {}, 'Someone else changed this schedule after you opened it'),
        h('p', {}, `You were editing version ${version}; your changes were not saved. Reload to see the latest version, then make your change again. (${error.message})`),
        h('div', { class: 'banner-actions' }, h('button', { type: 'button', class: 'button button-primary', onClick: () => context.navigate(window.location.hash) }, 'Reload the latest version')),
      ),
    );
    staleSlot.firstElementChild.focus();
  }

  const form = h(
    'form',
    { class: 'schedule-form', novalidate: true, 'aria-label': isNew ? 'New schedule' : `Edit schedule ${schedule.name}` },
    h(
      'div',
      { class: 'form-columns' },
      h(
        'div',
        { class: 'form-main' },
        staleSlot,
        summarySlot,
        mandatory ? h('p', { class: 'banner banner-info', id: 'mandatory-note' }, MANDATORY_REASON) : null,
        h(
          'fieldset',
          { class: 'card' },
          h('legend', {}, 'Schedule'),
          field({ label: 'Name', control: name, path: 'name', hint: 'Unique for the client (case does not matter).' }),
          field({ label: 'Description', control: description, path: 'description', className: 'field-wide' }),
          h('div', { class: 'field field-check' }, enabled, h('label', { for: enabled.id }, 'Enabled: runs by itself at its times')),
        ),
        h(
          'fieldset',
          { class: 'card' },
          h('legend', {}, 'When it runs'),
          h(
            'div',
            { class: 'grid-2' },
            field({ label: 'Frequency', control: frequencyType, path: 'frequency.type', hint: mandatory ? 'The mandatory daily schedule runs every day.' : undefined }),
            Object.values(parameterFields),
          ),
          h('div', { class: 'grid-2' }, field({ label: 'Execution time', control: executionTime, path: 'executionTime', hint: 'HH:MM:SS, local to the time zone.' }), field({ label: 'Time zone', control: timezone, path: 'timezone', hint: 'IANA zone, e.g. America/New_York.' })),
          timezoneList(),
          frequencyWords,
        ),
        h(
          'fieldset',
          { class: 'card' },
          h('legend', {}, 'Exception windows'),
          h('p', { class: 'hint' }, 'No job starts inside a window: the run waits until it ends. Local times; a window may wrap midnight (22:00:00 to 02:00:00).'),
          windowsEmpty,
          windowList,
          windowsError,
          addWindow,
        ),
        h(
          'fieldset',
          { class: 'card' },
          h('legend', {}, 'Jobs in sequence'),
          h('p', { class: 'hint' }, 'Jobs run one after another; a failed job stops the sequence.'),
          billingNote,
          jobList,
          jobsError,
          h('div', { class: 'add-job' }, field({ label: 'New job type', control: newJobType }), addJob),
          h('div', {}, recommended),
        ),
        h('div', { class: 'form-actions' }, save, h('a', { class: 'button', href: routeHash(clientId, 'schedules') }, 'Cancel'), versionNote, !isNew && !mandatory ? deleteButton() : null),
      ),
      preview,
    ),
  );

  function deleteButton() {
    const button = h('button', { type: 'button', class: 'button button-danger-quiet' }, 'Delete schedule');
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
    if (event.target instanceof HTMLElement) clearFieldError(event.target);
    changed();
  });
  form.addEventListener('change', changed);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const config = readConfig();
    if (localProblems.length) return showErrors(localProblems, '');
    save.disabled = true;
    try {
      const saved = isNew ? await api.createSchedule(clientId, config) : await api.replaceSchedule(clientId, schedule.scheduleId, config, version);
      version = saved.version;
      notify(isNew ? `Schedule “${saved.name}” created` : `Schedule “${saved.name}” saved (version ${saved.version})`, { tone: 'success' });
      context.navigate(routeHash(clientId, 'schedules'));
    } catch (error) {
      if (error instanceof ApiError && error.status === 412) return showStale(error);
      if (error instanceof ApiError && error.code === 'NAME_TAKEN') return showErrors([{ path: 'name', message: error.message }], error.message);
      if (error instanceof ApiError && error.details.length) return showErrors(error.details, error.message);
      showErrors([], errorText(error));
    } finally {
      save.disabled = false;
    }
  });
  context.onLeave(() => clearTimeout(previewTimer));
  refreshPreview();
  return form;
}
