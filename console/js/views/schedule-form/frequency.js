import { entryOf, optionsOf } from '../../catalogue.js';
import { field, h, select } from '../../dom.js';
import { frequencyInWords, normaliseLocalTime, shortTime } from '../../format.js';
import { timezoneList } from '../sign-in.js';

/** The one field a frequency type takes besides its type, as the catalogue names it. */
const parameterOf = (type) => entryOf('frequencyTypes', type)?.parameter;

export function numberOrRaw(value) {
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  return /^-?\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
}

/**
 * When a schedule runs: frequency with its one parameter, execution time and zone. A frequency
 * field the form does not show (e.g. a calendar's offset unit) is kept while the type stays.
 */
export function frequencyFields(schedule, { mandatory, onErrorHidden }) {
  const original = schedule.frequency;
  const frequencyType = select(optionsOf('frequencyTypes'), original.type, { name: 'frequencyType', disabled: mandatory });
  const dayOfWeek = select(optionsOf('weekdays'), original.dayOfWeek ?? 'FRI', { name: 'dayOfWeek' });
  const dayOfMonth = h('input', { name: 'dayOfMonth', type: 'number', inputmode: 'numeric', min: '1', max: '31', value: String(original.dayOfMonth ?? 1) });
  const offsetDays = h('input', { name: 'offsetDays', type: 'number', inputmode: 'numeric', min: '0', max: '27', value: String(original.offsetDays ?? 0) });
  const expression = h('input', { name: 'expression', value: original.expression ?? '0 30 2 ? * MON-FRI *', spellcheck: 'false', autocomplete: 'off' });
  // The catalogue's first unit is the API's default (calendar days): a schedule without one is sent without it.
  const defaultUnit = optionsOf('offsetUnits')[0][0];
  const offsetUnit = select(optionsOf('offsetUnits'), original.offsetUnit ?? defaultUnit, { name: 'offsetUnit' });
  const controls = { dayOfWeek, dayOfMonth, offsetDays, expression };
  const parameterFields = {
    dayOfWeek: field({ label: 'Day of the week', control: dayOfWeek, path: 'frequency.dayOfWeek' }),
    dayOfMonth: field({ label: 'Day of the month', control: dayOfMonth, path: 'frequency.dayOfMonth', hint: '1–31; in shorter months the month’s last day.' }),
    offsetDays: h(
      'div',
      { class: 'grid-2 offset' },
      field({ label: 'Days before the end', control: offsetDays, path: 'frequency.offsetDays', hint: '0 = the last day; 2 = two days before the last day.' }),
      field({ label: 'Counted in', control: offsetUnit, path: 'frequency.offsetUnit', hint: 'Business days need a calendar (below).' }),
    ),
    expression: field({
      label: 'Cron expression',
      control: expression,
      path: 'frequency.expression',
      hint: 'EventBridge cron: minutes hours day-of-month month day-of-week year, e.g. 0 30 2 ? * MON-FRI *. Time and zone below still apply to the preview.',
    }),
  };
  const executionTime = h('input', { name: 'executionTime', value: shortTime(schedule.executionTime), placeholder: 'HH:MM', spellcheck: 'false', autocomplete: 'off', inputmode: 'numeric' });
  const timezone = h('input', { name: 'timezone', value: schedule.timezone, list: 'timezones', spellcheck: 'false', autocomplete: 'off' });
  const words = h('p', { class: 'frequency-words', 'aria-live': 'polite' });

  const typeOf = () => (mandatory ? 'DAILY' : frequencyType.value);

  function showParameter() {
    const parameter = parameterOf(typeOf());
    for (const [key, wrapper] of Object.entries(parameterFields)) {
      wrapper.hidden = key !== parameter;
      if (wrapper.hidden) for (const control of wrapper.querySelectorAll('[data-path]')) onErrorHidden(control);
    }
  }
  frequencyType.addEventListener('change', showParameter);
  showParameter();

  function readFrequency() {
    const type = typeOf();
    const frequency = type === original.type ? { ...original } : { type };
    const parameter = parameterOf(type);
    const control = controls[parameter];
    // A parameter this form has no input for stays as the schedule had it.
    if (!control) return frequency;
    const value = parameter === 'dayOfWeek' || parameter === 'expression' ? control.value.trim() : numberOrRaw(control.value);
    if (value === '' || value === undefined) delete frequency[parameter];
    else frequency[parameter] = value;
    if (parameter === 'offsetDays') {
      if (offsetUnit.value === defaultUnit && frequency.offsetUnit === undefined) delete frequency.offsetUnit;
      else frequency.offsetUnit = offsetUnit.value;
    }
    return frequency;
  }

  return {
    element: h(
      'fieldset',
      { class: 'card' },
      h('legend', {}, 'When it runs'),
      h('div', { class: 'grid-2' }, field({ label: 'Frequency', control: frequencyType, path: 'frequency.type', hint: mandatory ? 'The mandatory daily schedule runs every day.' : undefined }), Object.values(parameterFields)),
      h(
        'div',
        { class: 'grid-2' },
        field({ label: 'Execution time', control: executionTime, path: 'executionTime', hint: 'HH:MM (or HH:MM:SS), local to the time zone.' }),
        field({ label: 'Time zone', control: timezone, path: 'timezone', hint: 'IANA zone, e.g. America/New_York.' }),
      ),
      timezoneList(),
      words,
    ),
    /** The calendar part of the configuration, as the API and the preview take it. */
    read() {
      const calendar = { frequency: readFrequency(), executionTime: normaliseLocalTime(executionTime.value), timezone: timezone.value.trim() };
      words.textContent = `${frequencyInWords(calendar.frequency)} at ${shortTime(calendar.executionTime)} ${calendar.timezone}`;
      return calendar;
    },
  };
}
