import { catalogue, jobTypeOptions } from '../../catalogue.js';
import { field, h, replace, select, uid } from '../../dom.js';
import { jobTypeLabel, parseIndexList } from '../../format.js';
import { numberOrRaw } from './frequency.js';

function syntheticFields(settings = {}) {
  const items = h('input', { name: 'syntheticItems', type: 'number', inputmode: 'numeric', min: '0', value: String(settings.items ?? 1000) });
  const failItems = h('input', { name: 'syntheticFailItems', value: (settings.failItems ?? []).join(', '), spellcheck: 'false', autocomplete: 'off', placeholder: 'e.g. 5, 17 (fail until healed)' });
  const delayMs = h('input', { name: 'syntheticDelayMs', type: 'number', inputmode: 'numeric', min: '0', value: String(settings.delayMs ?? 0) });
  const batchSize = h('input', { name: 'syntheticBatchSize', type: 'number', inputmode: 'numeric', min: '1', value: settings.batchSize === undefined ? '' : String(settings.batchSize), placeholder: 'default' });
  return { items, failItems, delayMs, batchSize };
}

/**
 * The job sequence: add, remove, reorder, the recommended daily sequence; SYNTHETIC settings as
 * fields, other settings as JSON. A job's fields the form does not show (e.g. onItemFailure) are kept.
 */
export function jobRows(schedule, { mandatory, onChange }) {
  const list = h('ol', { class: 'rows', id: uid('jobs'), tabindex: '-1' });
  list.dataset.path = 'jobs';
  const listError = h('p', { class: 'field-error', id: `${list.id}-error`, hidden: true });
  list.setAttribute('aria-describedby', listError.id);
  const billingNote = h('p', { class: 'hint', hidden: !mandatory }, 'The BILLING job stays: the mandatory daily schedule bills the accounts due every day.');

  function row(job) {
    const { type: initialType, settings, start, ...kept } = job;
    const element = h('li', { class: 'row job-row', tabindex: '-1' });
    const manual = h('input', { type: 'checkbox', name: 'jobStartManual', id: uid('manual'), checked: start === 'MANUAL' });
    const manualLabel = h('label', { for: manual.id });
    const type = select(jobTypeOptions(initialType), initialType, { name: 'jobType' });
    const settingsSlot = h('div', { class: 'job-settings' });
    const rowError = h('p', { class: 'field-error', hidden: true });
    const up = h('button', { type: 'button', class: 'button button-small' }, '↑', h('span', { class: 'visually-hidden' }, ' Move up'));
    const down = h('button', { type: 'button', class: 'button button-small' }, '↓', h('span', { class: 'visually-hidden' }, ' Move down'));
    const remove = h('button', { type: 'button', class: 'button button-small button-danger-quiet' }, 'Remove');
    const seqLabel = h('span', { class: 'seq', 'aria-hidden': 'true' });
    element.parts = { type, rowError, up, down, remove, seqLabel, kept, settings, manual, manualLabel, synthetic: undefined, json: undefined };

    function showSettings() {
      if (type.value === 'SYNTHETIC') {
        const parts = syntheticFields(element.parts.settings ?? {});
        Object.assign(element.parts, { synthetic: parts, json: undefined });
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
        json.value = element.parts.settings && Object.keys(element.parts.settings).length ? JSON.stringify(element.parts.settings) : '';
        Object.assign(element.parts, { synthetic: undefined, json });
        replace(settingsSlot, field({ label: 'Settings (JSON, optional)', control: json }));
      }
      renumber();
    }
    type.addEventListener('change', () => {
      element.parts.settings = undefined;
      showSettings();
    });
    up.addEventListener('click', () => {
      if (element.previousElementSibling) list.insertBefore(element, element.previousElementSibling);
      renumber();
      (up.disabled ? down : up).focus();
      onChange();
    });
    down.addEventListener('click', () => {
      if (element.nextElementSibling) list.insertBefore(element.nextElementSibling, element);
      renumber();
      (down.disabled ? up : down).focus();
      onChange();
    });
    remove.addEventListener('click', () => {
      const next = element.nextElementSibling ?? element.previousElementSibling;
      element.remove();
      renumber();
      (next?.querySelector('select') ?? addJob).focus();
      onChange();
    });
    element.append(
      h('div', { class: 'row-fields' }, seqLabel, field({ label: 'Job', control: type, className: 'job-type' }), settingsSlot, h('div', { class: 'row-buttons' }, up, down, remove)),
      h('div', { class: 'field-check job-start' }, manual, manualLabel),
      rowError,
    );
    list.append(element);
    showSettings();
    return element;
  }

  function renumber() {
    const rows = [...list.children];
    const billingRows = rows.filter((element) => element.parts.type.value === 'BILLING');
    rows.forEach((element, index) => {
      const path = `jobs.${index}`;
      const n = index + 1;
      const { type, up, down, remove, seqLabel, synthetic, json, rowError, manual, manualLabel } = element.parts;
      element.id = element.id || uid('job');
      rowError.id = `${element.id}-error`;
      element.setAttribute('aria-describedby', rowError.id);
      element.dataset.path = path;
      element.setAttribute('aria-label', `Job ${n}: ${jobTypeLabel(type.value)}`);
      seqLabel.textContent = String(n);
      type.dataset.path = `${path}.type`;
      type.previousElementSibling.textContent = `Job ${n}`;
      manual.dataset.path = `${path}.start`;
      manualLabel.textContent = `Job ${n} waits for an operator to start it (an approval gate)`;
      up.disabled = index === 0;
      down.disabled = index === rows.length - 1;
      up.lastChild.textContent = ` Move job ${n} up`;
      down.lastChild.textContent = ` Move job ${n} down`;
      const lockedBilling = mandatory && type.value === 'BILLING' && billingRows.length === 1;
      remove.disabled = rows.length === 1 || lockedBilling;
      remove.setAttribute('aria-label', `Remove job ${n}`);
      if (lockedBilling) remove.title = 'The mandatory daily schedule keeps its BILLING job.';
      else remove.removeAttribute('title');
      if (synthetic) for (const name of ['items', 'failItems', 'delayMs', 'batchSize']) synthetic[name].dataset.path = `${path}.settings.${name}`;
      if (json) json.dataset.path = `${path}.settings`;
    });
  }

  const newJobType = select(jobTypeOptions(), 'SYNTHETIC', { name: 'newJobType' });
  const addJob = h('button', { type: 'button', class: 'button button-small' }, 'Add job');
  addJob.addEventListener('click', () => {
    row({ type: newJobType.value }).parts.type.focus();
    onChange();
  });
  const { recommendedDailyJobs, recommendedDailySequence } = catalogue();
  const recommended = h('button', { type: 'button', class: 'button button-small' }, `Use the recommended daily sequence (${recommendedDailyJobs.map(jobTypeLabel).join(' → ')})`);
  recommended.addEventListener('click', () => {
    list.replaceChildren();
    for (const job of recommendedDailySequence) row({ ...job });
    list.firstElementChild?.parts.type.focus();
    onChange();
  });
  for (const job of schedule.jobs) row(job);

  /** A job as the API takes it; unparseable input goes to `problems` (the server judges the rest). */
  function readJob(element, index, problems) {
    const { type, synthetic, json, kept, manual } = element.parts;
    const job = { ...kept, type: type.value, ...(manual.checked ? { start: 'MANUAL' } : {}) };
    if (synthetic) {
      const failItems = parseIndexList(synthetic.failItems.value);
      if (failItems === undefined) problems.push({ path: `jobs.${index}.settings.failItems`, message: 'a list of item indexes such as 5, 17' });
      job.settings = { items: numberOrRaw(synthetic.items.value), failItems: failItems ?? [], delayMs: numberOrRaw(synthetic.delayMs.value) ?? 0 };
      const batchSize = numberOrRaw(synthetic.batchSize.value);
      if (batchSize !== undefined) job.settings.batchSize = batchSize;
      return job;
    }
    const text = json?.value.trim() ?? '';
    if (!text) return job;
    try {
      job.settings = JSON.parse(text);
    } catch {
      problems.push({ path: `jobs.${index}.settings`, message: 'not valid JSON' });
    }
    return job;
  }

  return {
    element: h(
      'fieldset',
      { class: 'card' },
      h('legend', {}, 'Jobs in sequence'),
      h('p', { class: 'hint' }, 'Jobs run one after another; a failed job stops the sequence.'),
      billingNote,
      list,
      listError,
      h('div', { class: 'add-job' }, field({ label: 'New job type', control: newJobType }), addJob),
      h('div', {}, recommended),
    ),
    read: (problems) => [...list.children].map((element, index) => readJob(element, index, problems)),
  };
}
