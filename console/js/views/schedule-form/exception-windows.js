import { field, h, uid } from '../../dom.js';
import { normaliseLocalTime, shortTime } from '../../format.js';

/** The exception windows: local start/end rows, added and removed, numbered for their labels and error paths. */
export function exceptionWindows(schedule, { onChange }) {
  const list = h('ol', { class: 'rows', id: uid('windows'), tabindex: '-1' });
  list.dataset.path = 'exceptionWindows';
  const listError = h('p', { class: 'field-error', id: `${list.id}-error`, hidden: true });
  list.setAttribute('aria-describedby', listError.id);
  const empty = h('p', { class: 'muted' }, 'No exception windows: jobs may start at any time.');
  const add = h('button', { type: 'button', class: 'button button-small' }, 'Add exception window');

  function timeInput(name, value) {
    return h('input', { name, value: value ? shortTime(value) : '', placeholder: 'HH:MM', spellcheck: 'false', autocomplete: 'off', inputmode: 'numeric' });
  }

  function row(window) {
    const start = timeInput('windowStart', window.start);
    const end = timeInput('windowEnd', window.end);
    const element = h('li', { class: 'row window-row', tabindex: '-1' });
    const rowError = h('p', { class: 'field-error', hidden: true });
    const remove = h('button', { type: 'button', class: 'button button-small button-danger-quiet' }, 'Remove');
    remove.addEventListener('click', () => {
      const next = element.nextElementSibling ?? element.previousElementSibling;
      element.remove();
      renumber();
      (next?.querySelector('input') ?? add).focus();
      onChange();
    });
    element.append(h('div', { class: 'row-fields' }, field({ label: 'Start', control: start }), field({ label: 'End', control: end }), h('div', { class: 'row-buttons' }, remove)), rowError);
    element.parts = { start, end, remove, rowError };
    return element;
  }

  function renumber() {
    [...list.children].forEach((element, index) => {
      const path = `exceptionWindows.${index}`;
      const { start, end, remove, rowError } = element.parts;
      element.dataset.path = path;
      element.id = element.id || uid('window');
      rowError.id = `${element.id}-error`;
      element.setAttribute('aria-label', `Exception window ${index + 1}`);
      element.setAttribute('aria-describedby', rowError.id);
      start.dataset.path = `${path}.start`;
      end.dataset.path = `${path}.end`;
      start.previousElementSibling.textContent = `Window ${index + 1} start`;
      end.previousElementSibling.textContent = `Window ${index + 1} end`;
      remove.setAttribute('aria-label', `Remove exception window ${index + 1}`);
    });
    empty.hidden = list.children.length > 0;
  }

  add.addEventListener('click', () => {
    const element = row({ start: '', end: '' });
    list.append(element);
    renumber();
    element.parts.start.focus();
  });
  for (const window of schedule.exceptionWindows ?? []) list.append(row(window));
  renumber();

  return {
    element: h(
      'fieldset',
      { class: 'card' },
      h('legend', {}, 'Exception windows'),
      h('p', { class: 'hint' }, 'No job starts inside a window: the run waits until it ends. Local times; a window may wrap midnight (22:00 to 02:00).'),
      empty,
      list,
      listError,
      add,
    ),
    read: () => [...list.children].map((element) => ({ start: normaliseLocalTime(element.parts.start.value), end: normaliseLocalTime(element.parts.end.value) })),
  };
}
