import { ApiError } from '../../api.js';
import { h, replace } from '../../dom.js';
import { formatDate, formatInstant, formatTime, todayIn } from '../../format.js';
import { errorText } from '../../ui.js';

const PREVIEW_COUNT = 5;

/**
 * The next runs as the server computes them (POST /schedule-preview, the calendar that fires
 * schedules). A refused preview marks its fields, as a refused save would.
 */
export function livePreview({ api, clientId, errors }) {
  const body = h('div', { class: 'preview-body' });
  const element = h('aside', { class: 'card preview', 'aria-labelledby': 'preview-title' }, h('h2', { id: 'preview-title' }, 'Next runs'), h('div', { 'aria-live': 'polite', 'aria-atomic': 'true' }, body));
  let request = 0;

  function occurrenceItem(occurrence, timezone) {
    const sameDay = todayIn(timezone, new Date(occurrence.at)) === occurrence.processingDate;
    return h(
      'li',
      {},
      h('strong', {}, formatDate(occurrence.processingDate)),
      ' ',
      sameDay ? formatTime(occurrence.at, timezone) : formatInstant(occurrence.at, timezone),
      h('span', { class: 'muted small' }, ` · ${sameDay ? formatTime(occurrence.at, 'UTC') : formatInstant(occurrence.at, 'UTC')}`),
    );
  }

  async function refresh({ frequency, executionTime, timezone, enabled, calendarId, nonBusinessDay }) {
    const mine = ++request;
    if (frequency.type === 'MANUAL') {
      errors.clear('preview');
      replace(body, h('p', {}, 'A manual schedule never runs by itself: trigger it from the Execution screen or the API.'));
      return;
    }
    replace(body, h('p', { class: 'muted' }, 'Computing…'));
    try {
      const occurrences = await api.preview(clientId, { frequency, executionTime, timezone, calendarId, nonBusinessDay, count: PREVIEW_COUNT });
      if (mine !== request) return;
      errors.clear('preview');
      replace(
        body,
        enabled ? null : h('p', { class: 'banner banner-warn' }, 'Disabled: it will not run until enabled. These are the runs it would have.'),
        h('ol', { class: 'occurrences' }, occurrences.map((occurrence) => occurrenceItem(occurrence, timezone))),
        h('p', { class: 'muted small' }, 'Computed by the server with the same calendar that fires schedules.'),
      );
    } catch (error) {
      if (mine !== request) return;
      const details = error instanceof ApiError ? error.details : [];
      const problems = details.length ? errors.showPreviewErrors(details) : [errorText(error)];
      replace(body, h('div', { class: 'preview-error' }, h('p', {}, 'No preview until these are fixed:'), h('ul', {}, problems.map((problem) => h('li', {}, problem)))));
    }
  }

  return { element, refresh };
}
