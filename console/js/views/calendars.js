import { ApiError, readPages } from '../api.js';
import { parseHolidays, yearView } from '../business-days.js';
import { labelOf, optionsOf } from '../catalogue.js';
import { field, h, replace, select, uid } from '../dom.js';
import { formatDate, formatMonth, todayIn, weekdayIndex } from '../format.js';
import { routeHash } from '../router.js';
import { confirmAction, errorBanner, errorText, loading, notify, pageHeading } from '../ui.js';

/**
 * Business-day calendars (issue 14): weekend days and holidays per client, which schedules use to
 * skip or move occurrences and to count business days to a period's end. The list, and an editor
 * that shows the whole year as it is typed. Saving re-arms every schedule that uses the calendar.
 */

const KIND_WORDS = { holiday: 'holiday', weekend: 'weekend', business: 'business day' };

export async function renderCalendars(context) {
  if (context.route.id) return renderCalendarEditor(context);
  const { main, api, clientId, client, access } = context;
  const add = access.may('admin')
    ? h('a', { class: 'button button-primary', href: routeHash(clientId, 'calendars', {}, 'new') }, 'New calendar')
    : h('button', { type: 'button', class: 'button button-primary', ...access.guard('admin', 'Creating a calendar') }, 'New calendar');
  pageHeading(main, 'Business-day calendars', add);
  const body = h('div', {}, loading());
  main.append(body);

  async function load() {
    try {
      const { items } = await readPages((page) => api.listCalendars(clientId, page));
      if (!context.isCurrent()) return;
      items.sort((a, b) => a.name.localeCompare(b.name));
      replace(
        body,
        items.length === 0
          ? h('p', { class: 'card empty' }, 'No calendars yet. A calendar names the weekend days and holidays; a schedule that uses one can skip them or move to the business day before or after.')
          : h(
              'div',
              { class: 'table-wrap' },
              h(
                'table',
                { class: 'table calendars' },
                h('caption', {}, `${items.length} calendar${items.length === 1 ? '' : 's'} of ${client.name}`),
                h('thead', {}, h('tr', {}, ['Name', 'Id', 'Weekend', 'Holidays', 'Actions'].map((title) => h('th', { scope: 'col' }, title)))),
                h('tbody', {}, items.map((calendar) => row(calendar))),
              ),
            ),
      );
    } catch (error) {
      if (context.isCurrent()) replace(body, errorBanner(error, { title: 'The calendars could not be loaded', actions: [h('button', { type: 'button', class: 'button', onClick: load }, 'Try again')] }));
    }
  }

  function row(calendar) {
    const editHref = routeHash(clientId, 'calendars', {}, calendar.calendarId);
    const upcoming = calendar.holidays.filter((date) => date >= todayIn(client.timezone));
    return h(
      'tr',
      { dataset: { calendarId: calendar.calendarId } },
      h('th', { scope: 'row' }, h('a', { href: editHref }, calendar.name)),
      h('td', {}, h('code', {}, calendar.calendarId)),
      h('td', {}, calendar.weekend.length ? calendar.weekend.map((day) => labelOf('weekdays', day)).join(', ') : 'none'),
      h('td', { class: 'small' }, `${calendar.holidays.length} in all`, upcoming.length ? h('div', { class: 'muted' }, `next: ${formatDate(upcoming[0])}`) : null),
      h(
        'td',
        {},
        h(
          'div',
          { class: 'row-actions' },
          h('a', { class: 'button button-small', href: editHref, 'aria-label': `${access.may('admin') ? 'Edit' : 'View'} ${calendar.name}` }, access.may('admin') ? 'Edit' : 'View'),
          access.may('admin') ? h('button', { type: 'button', class: 'button button-small button-danger-quiet', 'aria-label': `Delete ${calendar.name}`, onClick: () => remove(calendar) }, 'Delete') : null,
        ),
      ),
    );
  }

  async function remove(calendar) {
    const confirmed = await confirmAction({ title: `Delete “${calendar.name}”?`, body: h('p', {}, 'A calendar that a schedule uses cannot be deleted: change those schedules first.'), confirmLabel: 'Delete calendar', danger: true });
    if (!confirmed) return;
    try {
      await api.deleteCalendar(clientId, calendar.calendarId);
      notify(`Calendar “${calendar.name}” deleted`, { tone: 'success' });
      await load();
    } catch (error) {
      const inUse = error instanceof ApiError && error.status === 409;
      notify(inUse ? 'The calendar is in use' : 'The calendar was not deleted', { tone: 'error', detail: errorText(error) });
    }
  }

  await load();
}

async function renderCalendarEditor(context) {
  const { main, api, clientId, client, route, access } = context;
  const isNew = route.id === 'new';
  pageHeading(main, isNew ? 'New calendar' : 'Edit calendar');
  const slot = h('div', {}, loading());
  main.append(slot);
  // A new calendar starts with the usual weekend: the catalogue's last two weekdays (Saturday, Sunday).
  let calendar = { calendarId: '', name: '', weekend: optionsOf('weekdays').slice(-2).map(([value]) => value), holidays: [] };
  if (!isNew) {
    try {
      calendar = await api.getCalendar(clientId, route.id);
    } catch (error) {
      if (context.isCurrent()) replace(slot, errorBanner(error, { title: 'The calendar could not be loaded', actions: [h('a', { class: 'button', href: routeHash(clientId, 'calendars') }, 'Back to calendars')] }));
      return;
    }
    if (!context.isCurrent()) return;
    main.querySelector('h1').textContent = `Edit “${calendar.name}”`;
  }

  const calendarId = h('input', { name: 'calendarId', value: calendar.calendarId, autocomplete: 'off', spellcheck: 'false', disabled: !isNew, placeholder: 'e.g. us-banking' });
  const name = h('input', { name: 'name', value: calendar.name, autocomplete: 'off', maxlength: '100' });
  const weekdayBoxes = optionsOf('weekdays').map(([value, label]) => {
    const box = h('input', { type: 'checkbox', name: 'weekend', value, id: uid('weekend'), checked: calendar.weekend.includes(value) });
    return { box, element: h('div', { class: 'field-check' }, box, h('label', { for: box.id }, label)) };
  });
  const weekendError = h('p', { class: 'field-error', id: uid('weekend-error'), hidden: true });
  const weekend = h('fieldset', { class: 'choice weekend-days', dataset: { path: 'weekend' }, 'aria-describedby': weekendError.id }, h('legend', {}, 'Weekend days'), weekdayBoxes.map((entry) => entry.element), weekendError);
  const holidays = h('textarea', { name: 'holidays', rows: '6', spellcheck: 'false', placeholder: '2026-12-25\n2027-01-01' });
  holidays.value = calendar.holidays.join('\n');
  const currentYear = Number(todayIn(client.timezone).slice(0, 4));
  const years = Array.from({ length: 5 }, (_, index) => currentYear - 1 + index);
  const year = select(years, currentYear, { name: 'year' });
  const yearSlot = h('div', { class: 'year-view', 'aria-live': 'polite' });
  const save = h('button', { type: 'submit', class: 'button button-primary', ...access.guard('admin', 'Saving a calendar') }, isNew ? 'Create calendar' : 'Save calendar');
  const summary = h('div');

  const fields = {
    calendarId: field({ label: 'Calendar id', control: calendarId, path: 'calendarId', hint: 'Lower-case letters, digits and dashes; schedules name the calendar by it. It cannot change later.' }),
    name: field({ label: 'Name', control: name, path: 'name' }),
    holidays: field({ label: 'Holidays', control: holidays, path: 'holidays', hint: 'One date per line (YYYY-MM-DD), or separated by commas.' }),
  };
  const form = h(
    'form',
    { class: 'calendar-form', novalidate: true, 'aria-label': isNew ? 'New calendar' : `Edit calendar ${calendar.name}` },
    h(
      'div',
      { class: 'form-columns calendar-columns' },
      h(
        'div',
        { class: 'form-main' },
        summary,
        h('fieldset', { class: 'card' }, h('legend', {}, 'Calendar'), fields.calendarId, fields.name, weekend, fields.holidays),
        h('div', { class: 'form-actions' }, save, h('a', { class: 'button', href: routeHash(clientId, 'calendars') }, 'Cancel')),
      ),
      h('section', { class: 'card', 'aria-labelledby': 'year-title' }, h('div', { class: 'page-head' }, h('h2', { id: 'year-title' }, 'The year'), field({ label: 'Year', control: year })), yearSlot),
    ),
  );

  function read() {
    const parsed = parseHolidays(holidays.value);
    return { config: { name: name.value.trim(), weekend: weekdayBoxes.filter(({ box }) => box.checked).map(({ box }) => box.value), holidays: parsed.dates }, invalid: parsed.invalid };
  }

  function drawYear() {
    const { config } = read();
    const months = yearView(config, Number(year.value));
    replace(
      yearSlot,
      h(
        'div',
        { class: 'year-months' },
        months.map(({ month, days, businessDays }) =>
          h(
            'table',
            { class: 'month', dataset: { month } },
            h('caption', {}, formatMonth(month), h('span', { class: 'muted small' }, ` · ${businessDays} business days`)),
            h('thead', {}, h('tr', {}, optionsOf('weekdays').map(([, label]) => h('th', { scope: 'col', abbr: label }, label.charAt(0))))),
            h('tbody', {}, weeksOf(days).map((week) => h('tr', {}, week.map((day) => (day ? h('td', { class: `day-${day.kind}`, title: `${formatDate(day.date)}: ${KIND_WORDS[day.kind]}`, dataset: { date: day.date, kind: day.kind } }, String(Number(day.date.slice(8))), day.kind === 'business' ? null : h('span', { class: 'visually-hidden' }, ` ${KIND_WORDS[day.kind]}`)) : h('td', {})))))),
          ),
        ),
      ),
      h(
        'p',
        { class: 'calendar-legend muted small', 'aria-label': 'Legend' },
        h('span', { class: 'legend-item' }, h('span', { class: 'legend-swatch day-weekend', 'aria-hidden': 'true' }), 'weekend day'),
        h('span', { class: 'legend-item' }, h('span', { class: 'legend-swatch day-holiday', 'aria-hidden': 'true' }), 'holiday (underlined)'),
        h('span', { class: 'legend-item' }, h('span', { class: 'legend-swatch day-business', 'aria-hidden': 'true' }), 'business day'),
      ),
    );
  }

  function showErrors(details, message) {
    replace(summary);
    for (const slot of form.querySelectorAll('.field-error')) slot.hidden = true;
    for (const control of form.querySelectorAll('[aria-invalid]')) control.removeAttribute('aria-invalid');
    const unplaced = [];
    for (const detail of details) {
      const path = String(detail.path ?? '').split(/[.[]/)[0];
      const control = path === 'weekend' ? weekend : form.querySelector(`[data-path="${path}"]`);
      const errorSlot = path === 'weekend' ? weekendError : control && document.getElementById(`${control.id}-error`);
      if (!errorSlot) {
        unplaced.push(detail.message);
        continue;
      }
      errorSlot.textContent = errorSlot.hidden ? detail.message : `${errorSlot.textContent}; ${detail.message}`;
      errorSlot.hidden = false;
      control.setAttribute('aria-invalid', 'true');
    }
    if (unplaced.length || details.length === 0) replace(summary, h('div', { class: 'banner banner-error', role: 'alert' }, h('strong', {}, 'The calendar was not saved'), h('p', {}, [...unplaced, details.length ? '' : message].filter(Boolean).join('; '))));
    form.querySelector('[aria-invalid="true"]')?.focus();
  }

  form.addEventListener('input', drawYear);
  form.addEventListener('change', drawYear);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const { config, invalid } = read();
    const id = isNew ? calendarId.value.trim() : calendar.calendarId;
    const problems = [...(isNew && !id ? [{ path: 'calendarId', message: 'a calendar needs an id' }] : []), ...(invalid.length ? [{ path: 'holidays', message: `not a date (YYYY-MM-DD): ${invalid.join(', ')}` }] : [])];
    if (problems.length) return showErrors(problems, '');
    save.disabled = true;
    try {
      const { created } = await api.putCalendar(clientId, id, config);
      notify(created ? `Calendar “${config.name}” created` : `Calendar “${config.name}” saved`, { tone: 'success', detail: created ? undefined : 'Every schedule that uses it now follows the change.' });
      context.navigate(routeHash(clientId, 'calendars'));
    } catch (error) {
      if (error instanceof ApiError && error.details.length) showErrors(error.details, error.message);
      else showErrors([], errorText(error));
    } finally {
      save.disabled = false;
    }
  });
  drawYear();
  replace(slot, form);
}

/** Days of a month in weeks from Monday, with blanks before the first and after the last. */
function weeksOf(days) {
  const cells = [...Array(weekdayIndex(days[0].date)).fill(null), ...days];
  const weeks = [];
  for (let index = 0; index < cells.length; index += 7) weeks.push([...cells.slice(index, index + 7), ...Array(Math.max(0, index + 7 - cells.length)).fill(null)]);
  return weeks;
}
