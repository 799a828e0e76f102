import { field, h, select, uid } from '../../dom.js';
import { numberOrRaw } from './frequency.js';

const OVERLAP_POLICIES = [
  ['QUEUE', 'Queue: wait for it'],
  ['SKIP', 'Skip this occurrence'],
  ['ALLOW', 'Allow: run both'],
];
/** API.md's defaults, shown for a schedule saved before these settings existed. */
const DEFAULT_OVERLAP_POLICY = 'QUEUE';
const DEFAULT_CATCH_UP_WINDOW_HOURS = 24;

/** Name, description and enabled; what happens to overlapping runs and to occurrences missed while no scheduler ran. */
export function scheduleFields(schedule) {
  const name = h('input', { name: 'name', value: schedule.name, autocomplete: 'off', maxlength: '100' });
  const description = h('textarea', { name: 'description', rows: '2', maxlength: '1000' });
  description.value = schedule.description ?? '';
  const enabled = h('input', { type: 'checkbox', name: 'enabled', id: uid('enabled'), checked: schedule.enabled !== false });
  enabled.dataset.path = 'enabled';
  const overlapPolicy = select(OVERLAP_POLICIES, schedule.overlapPolicy ?? DEFAULT_OVERLAP_POLICY, { name: 'overlapPolicy' });
  const catchUpWindowHours = h('input', { name: 'catchUpWindowHours', type: 'number', inputmode: 'numeric', min: '0', max: '744', value: String(schedule.catchUpWindowHours ?? DEFAULT_CATCH_UP_WINDOW_HOURS) });

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
        field({
          label: 'When the previous run is still active',
          control: overlapPolicy,
          path: 'overlapPolicy',
          hint: 'Queue waits until it has finished; Skip records this occurrence as skipped; Allow runs both at once.',
        }),
        field({
          label: 'Catch-up window (hours)',
          control: catchUpWindowHours,
          path: 'catchUpWindowHours',
          hint: 'Occurrences missed while no scheduler ran still run when at most this old (0–744); older ones are recorded as skipped.',
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
