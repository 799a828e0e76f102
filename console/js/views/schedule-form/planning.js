import { entryOf, optionsOf } from '../../catalogue.js';
import { field, h, select, uid } from '../../dom.js';
import { errorText } from '../../ui.js';
import { numberOrRaw } from './frequency.js';

/**
 * Business days, dependencies and the deadline (issue 13 and 14): the client's calendar and what a
 * weekend day or holiday does to an occurrence, the schedules whose run for the same date must
 * complete first, and the minutes by which a run should have completed. Fields left empty are not sent.
 */
export function planningFields(schedule, { calendars, calendarsError, schedules, calendarsHref }) {
  // A calendar the list does not hold (it could not be loaded) stays selected under its id.
  const known = schedule.calendarId && !calendars.some((calendar) => calendar.calendarId === schedule.calendarId) ? [[schedule.calendarId, schedule.calendarId]] : [];
  const calendarId = select([['', 'None: every day is a business day'], ...calendars.map((calendar) => [calendar.calendarId, `${calendar.name} (${calendar.calendarId})`]), ...known], schedule.calendarId ?? '', { name: 'calendarId' });
  // A schedule that never chose a rule follows the API's default, the catalogue's first (RUN).
  const nonBusinessDay = select(optionsOf('nonBusinessDayRules'), schedule.nonBusinessDay ?? optionsOf('nonBusinessDayRules')[0][0], { name: 'nonBusinessDay' });
  const ruleField = field({ label: 'On a weekend day or holiday', control: nonBusinessDay, path: 'nonBusinessDay', hint: ' ' });
  const ruleHint = ruleField.querySelector('.hint');
  const showRule = () => {
    ruleField.hidden = calendarId.value === '';
    ruleHint.textContent = `${entryOf('nonBusinessDayRules', nonBusinessDay.value)?.description ?? ''} Two occurrences moved onto one day run once.`;
  };
  calendarId.addEventListener('change', showRule);
  nonBusinessDay.addEventListener('change', showRule);
  showRule();

  const others = schedules.filter((other) => other.scheduleId !== schedule.scheduleId).sort((a, b) => Number(b.mandatory) - Number(a.mandatory) || a.name.localeCompare(b.name));
  const wanted = new Set((schedule.dependsOn ?? []).map((dependency) => dependency.scheduleId));
  // The daily alias names the mandatory schedule: it is ticked as that schedule.
  const isWanted = (other) => wanted.has(other.scheduleId) || (other.mandatory && wanted.has('daily'));
  const dependencyBoxes = others.map((other) => {
    const box = h('input', { type: 'checkbox', name: 'dependsOn', value: other.scheduleId, id: uid('depends'), checked: isWanted(other) });
    return { box, alias: other.mandatory && wanted.has('daily') ? 'daily' : other.scheduleId, element: h('div', { class: 'field-check' }, box, h('label', { for: box.id }, other.name, other.mandatory ? h('span', { class: 'tag' }, 'Mandatory daily') : null)) };
  });
  const dependsError = h('p', { class: 'field-error', id: uid('depends-error'), hidden: true });
  const dependsOn = h(
    'fieldset',
    { class: 'choice depends-on', id: uid('depends'), tabindex: '-1', dataset: { path: 'dependsOn' }, 'aria-describedby': dependsError.id },
    h('legend', {}, 'Waits for these schedules'),
    h('p', { class: 'hint' }, 'Its run for a processing date starts once each ticked schedule’s run for the same date has completed.'),
    dependencyBoxes.length ? dependencyBoxes.map((entry) => entry.element) : h('p', { class: 'muted small' }, 'The client has no other schedule.'),
    dependsError,
  );

  const deadlineMinutes = h('input', { name: 'deadlineMinutes', type: 'number', inputmode: 'numeric', min: '1', max: '10080', value: schedule.deadlineMinutes === undefined ? '' : String(schedule.deadlineMinutes), placeholder: 'no deadline' });

  return {
    element: h(
      'fieldset',
      { class: 'card planning' },
      h('legend', {}, 'Business days, dependencies and deadline'),
      h(
        'div',
        { class: 'grid-2' },
        field({ label: 'Business-day calendar', control: calendarId, path: 'calendarId', hint: h('span', {}, calendarsError ? `The calendars could not be loaded (${errorText(calendarsError)}). ` : 'Weekend days and holidays: ', h('a', { href: calendarsHref }, 'manage calendars'), '.') }),
        ruleField,
      ),
      dependsOn,
      field({ label: 'Deadline (minutes after its time)', control: deadlineMinutes, path: 'deadlineMinutes', hint: 'A run not completed by then reads Late and sends RUN_LATE once (1–10080). Empty: no deadline.' }),
    ),
    /** The planning part of the configuration: fields the schedule does not use are left out. */
    read() {
      const values = {};
      if (calendarId.value) {
        values.calendarId = calendarId.value;
        values.nonBusinessDay = nonBusinessDay.value;
      }
      const chosen = dependencyBoxes.filter(({ box }) => box.checked).map(({ alias }) => ({ scheduleId: alias }));
      if (chosen.length) values.dependsOn = chosen;
      const minutes = numberOrRaw(deadlineMinutes.value);
      if (minutes !== undefined) values.deadlineMinutes = minutes;
      return values;
    },
  };
}
