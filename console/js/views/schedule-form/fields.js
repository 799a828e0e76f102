import { catalogue, entryOf, optionsOf } from '../../catalogue.js';
import { field, h, select, uid } from '../../dom.js';
import { numberOrRaw } from './frequency.js';

/** Name, description and enabled; what happens to overlapping runs and to occurrences missed while no scheduler ran. */
export function scheduleFields(schedule) {
  const name = h('input', { name: 'name', value: schedule.name, autocomplete: 'off', maxlength: '100' });
  const description = h('textarea', { name: 'description', rows: '2', maxlength: '1000' });
  description.value = schedule.description ?? '';
  const enabled = h('input', { type: 'checkbox', name: 'enabled', id: uid('enabled'), checked: schedule.enabled !== false });
  enabled.dataset.path = 'enabled';
  // A schedule saved before these settings existed reads as the API's defaults.
  const { defaults, maxCatchUpWindowHours } = catalogue();
  const overlapPolicy = select(optionsOf('overlapPolicies'), schedule.overlapPolicy ?? defaults.overlapPolicy, { name: 'overlapPolicy' });
  const overlapField = field({ label: 'When the previous run is still active', control: overlapPolicy, path: 'overlapPolicy', hint: ' ' });
  const overlapHint = overlapField.querySelector('.hint');
  const describePolicy = () => {
    overlapHint.textContent = entryOf('overlapPolicies', overlapPolicy.value)?.description ?? '';
  };
  overlapPolicy.addEventListener('change', describePolicy);
  describePolicy();
  const catchUpWindowHours = h('input', {
    name: 'catchUpWindowHours',
    type: 'number',
    inputmode: 'numeric',
    min: '0',
    max: String(maxCatchUpWindowHours),
    value: String(schedule.catchUpWindowHours ?? defaults.catchUpWindowHours),
  });

  return {
    identity: h(
      'fieldset',
      { class: 'card' },
      h('legend', {}, 'Schedule'),
      field({ label: 'Name', control: name, path: 'name', hint: 'Unique for the client (case does not matter).' }),
      field({ label: 'Description', control: description, path: 'description', className: 'field-wide' }),
      h('div', { class: 'field field-check' }, enabled, h('label', { for: enabled.id }, 'Enabled: runs by itself at its times')),
    ),
    overlaps: h(
      'fieldset',
      { class: 'card' },
      h('legend', {}, 'Overlaps and missed runs'),
      h(
        'div',
        { class: 'grid-2' },
        overlapField,
        field({
          label: 'Catch-up window (hours)',
          control: catchUpWindowHours,
          path: 'catchUpWindowHours',
          hint: `Occurrences missed while no scheduler ran still run when at most this old (0–${maxCatchUpWindowHours}); older ones are recorded as skipped.`,
        }),
      ),
    ),
    read() {
      const values = { name: name.value, enabled: enabled.checked, overlapPolicy: overlapPolicy.value };
      const hours = numberOrRaw(catchUpWindowHours.value);
      if (hours !== undefined) values.catchUpWindowHours = hours;
      if (description.value.trim()) values.description = description.value;
      return values;
    },
  };
}
