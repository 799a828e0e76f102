import { h } from '../dom.js';
import { addDays, addMonths, daysOfMonth, formatDate, formatMonth, statusTone, statusWord, weekdayIndex } from '../format.js';

/**
 * A month of processing dates with the dates that have runs marked (by the run's status), for
 * picking the date of the execution screen. Keyboard: arrows move a day or a week, Page Up/Down a
 * month, Home/End the week's ends; Enter or Space picks the date.
 */

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/**
 * @param {{ month: string, selected: string, today: string, marks: Map<string, string> | undefined,
 *   loadingMarks: boolean, onPick(date: string): void, onMonth(month: string, focusDate?: string): void,
 *   focusDate?: string }} props  marks: date → the status of its run
 */
export function runCalendar({ month, selected, today, marks, loadingMarks, onPick, onMonth, focusDate }) {
  const days = daysOfMonth(month);
  const focusable = days.includes(focusDate) ? focusDate : days.includes(selected) ? selected : days[0];
  const cells = [...Array(weekdayIndex(days[0])).fill(null), ...days];
  const weeks = [];
  for (let i = 0; i < cells.length; i += 7) weeks.push(cells.slice(i, i + 7));

  function move(date, delta) {
    const target = addDays(date, delta);
    if (target.startsWith(month)) {
      grid.querySelector(`[data-date="${target}"]`)?.focus();
    } else onMonth(target.slice(0, 7), target);
  }

  function dayButton(date) {
    const status = marks?.get(date);
    const label = `${formatDate(date)}: ${status ? `run ${statusWord(status)}` : 'no run'}${date === today ? ', today' : ''}`;
    const button = h(
      'button',
      {
        type: 'button',
        class: ['day', date === selected && 'day-selected', date === today && 'day-today'],
        dataset: { date },
        tabindex: date === focusable ? '0' : '-1',
        'aria-label': label,
        'aria-pressed': date === selected ? 'true' : 'false',
        'aria-current': date === today ? 'date' : undefined,
        onClick: () => onPick(date),
        onKeydown: (event) => {
          const deltas = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -7, ArrowDown: 7, Home: -weekdayIndex(date), End: 6 - weekdayIndex(date) };
          if (event.key in deltas) {
            event.preventDefault();
            move(date, deltas[event.key]);
          } else if (event.key === 'PageUp' || event.key === 'PageDown') {
            event.preventDefault();
            const target = `${addMonths(month, event.key === 'PageUp' ? -1 : 1)}-${date.slice(8)}`;
            onMonth(target.slice(0, 7), target);
          }
        },
      },
      h('span', { class: 'day-number' }, String(Number(date.slice(8)))),
      status ? h('span', { class: ['day-mark', markClass(status)], 'aria-hidden': 'true' }) : null,
    );
    return button;
  }

  const grid = h(
    'table',
    { class: 'calendar-grid', role: 'grid', 'aria-label': `${formatMonth(month)}: dates with runs are marked` },
    h('thead', {}, h('tr', {}, WEEKDAYS.map((day) => h('th', { scope: 'col', abbr: day }, day.slice(0, 2))))),
    h(
      'tbody',
      {},
      weeks.map((week) => h('tr', {}, [...week, ...Array(7 - week.length).fill(null)].map((date) => h('td', {}, date ? dayButton(date) : null)))),
    ),
  );

  const root = h(
    'div',
    { class: 'calendar' },
    h(
      'div',
      { class: 'calendar-head' },
      h('button', { type: 'button', class: 'button button-small', 'aria-label': 'Previous month', onClick: () => onMonth(addMonths(month, -1)) }, '‹'),
      h('h2', { class: 'calendar-title', 'aria-live': 'polite' }, formatMonth(month)),
      h('button', { type: 'button', class: 'button button-small', 'aria-label': 'Next month', onClick: () => onMonth(addMonths(month, 1)) }, '›'),
    ),
    grid,
    h(
      'p',
      { class: 'calendar-legend muted small' },
      loadingMarks ? 'Finding runs…' : null,
      !loadingMarks ? LEGEND.map((status) => h('span', { class: 'legend-item' }, h('span', { class: ['day-mark', markClass(status)], 'aria-hidden': 'true' }), statusWord(status).toLowerCase())) : null,
    ),
  );
  if (focusDate && days.includes(focusDate)) queueMicrotask(() => grid.querySelector(`[data-date="${focusDate}"]`)?.focus());
  return root;
}

/** Every status a date's run can have; skipped and reset share a colour but not a shape. */
const LEGEND = ['COMPLETED', 'FAILED', 'RUNNING', 'PENDING', 'SKIPPED', 'RESET'];

function markClass(status) {
  return status === 'SKIPPED' ? 'mark-skipped' : `mark-${statusTone(status)}`;
}

