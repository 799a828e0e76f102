import { h, replace, uid } from './dom.js';
import { formatInstant, percent, statusTone, statusWord } from './format.js';

/** Shared pieces of the console's screens: status badges, progress, notices and confirmation. */

/** A status as colour, shape and word, so it never relies on colour alone. */
export function statusBadge(status, { large = false, word = statusWord(status) } = {}) {
  const tone = statusTone(status);
  return h('span', { class: ['status', `status-${tone}`, large && 'status-large'], dataset: { status } }, h('span', { class: 'status-dot', 'aria-hidden': 'true' }), word);
}

/** "Late" beside a run's status when it was not COMPLETED by its deadline (API.md RUN_LATE); nothing otherwise. */
export function lateTag(run) {
  if (!run.late) return null;
  const when = run.deadlineAt ? `: the deadline was ${formatInstant(run.deadlineAt, run.config?.timezone ?? 'UTC')}` : '';
  return h('span', { class: 'tag tag-late', title: `Not completed by its deadline${when}` }, 'Late', h('span', { class: 'visually-hidden' }, when));
}

/** A labelled bar: succeeded and failed shares of a total. */
export function progressBar({ total, succeeded, failed }, label) {
  const done = succeeded + failed;
  const bar = h(
    'div',
    {
      class: 'progress',
      role: 'progressbar',
      'aria-label': label,
      'aria-valuemin': '0',
      'aria-valuemax': String(total),
      'aria-valuenow': String(done),
      'aria-valuetext': `${done} of ${total} items done (${percent(done, total)} %)`,
    },
    h('span', { class: 'progress-ok' }),
    h('span', { class: 'progress-failed' }),
  );
  bar.children[0].style.width = `${total ? (succeeded / total) * 100 : 0}%`;
  bar.children[1].style.width = `${total ? (failed / total) * 100 : 0}%`;
  return bar;
}

let toastRegion;
/** Long enough to read a line, short enough not to linger. */
const NOTICE_MS = 5000;

/** Errors of the screen being left are no longer about what is shown: they go with it. */
export function dismissPersistentNotices() {
  for (const toast of document.querySelectorAll('.toast-persistent')) toast.remove();
}

/**
 * Tells the outcome of an action: a message in a polite live region, so screen readers read it
 * too. It sits beside the page's heading, where no control is, one at a time: a newer message
 * replaces it. Errors stay until dismissed (or replaced); other messages go after a few seconds.
 */
export function notify(message, { tone = 'info', detail, persist = tone === 'error' } = {}) {
  toastRegion ??= document.getElementById('toasts');
  const close = h('button', { type: 'button', class: 'toast-close', 'aria-label': 'Dismiss' }, '×');
  const toast = h('div', { class: ['toast', `toast-${tone}`, persist && 'toast-persistent'], role: tone === 'error' ? 'alert' : undefined }, h('div', {}, h('strong', {}, message), detail ? h('div', { class: 'toast-detail', title: detail }, detail) : null), close);
  close.addEventListener('click', () => toast.remove());
  toastRegion.replaceChildren(toast);
  if (!persist) setTimeout(() => toast.remove(), NOTICE_MS);
  return toast;
}

/** The message of an API error as a person should read it, with its code. */
export function errorText(error) {
  if (!error) return '';
  const code = error.code && error.code !== 'NETWORK' ? ` (${error.code}${error.status ? `, ${error.status}` : ''})` : '';
  return `${error.message ?? String(error)}${code}`;
}

export function errorBanner(error, { title = 'Something went wrong', actions = [] } = {}) {
  return h('div', { class: 'banner banner-error', role: 'alert' }, h('strong', {}, title), h('p', {}, errorText(error)), actions.length ? h('div', { class: 'banner-actions' }, actions) : null);
}

export function loading(text = 'Loading…') {
  return h('p', { class: 'loading', role: 'status' }, text);
}

/**
 * A modal confirmation (native <dialog>: focus moves into it, Escape cancels, focus returns).
 * `body` may hold form controls; `collect` reads them when confirmed. Resolves to false when
 * cancelled, otherwise to `collect()`'s value (or true).
 */
export function confirmAction({ title, body, confirmLabel, danger = false, collect }) {
  const titleId = uid('dialog-title');
  const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': titleId });
  const cancel = h('button', { type: 'button', class: 'button' }, 'Cancel');
  const confirm = h('button', { type: 'submit', class: ['button', danger ? 'button-danger' : 'button-primary'] }, confirmLabel);
  const form = h('form', { method: 'dialog' }, h('h2', { id: titleId }, title), h('div', { class: 'dialog-body' }, body), h('div', { class: 'dialog-actions' }, cancel, confirm));
  dialog.append(form);
  document.body.append(dialog);
  const opener = document.activeElement;
  return new Promise((resolve) => {
    let result = false;
    cancel.addEventListener('click', () => dialog.close());
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      result = collect ? collect() : true;
      dialog.close();
    });
    dialog.addEventListener('close', () => {
      dialog.remove();
      // A screen that refreshed meanwhile has replaced the opener: its successor has the same focus key.
      const key = opener instanceof HTMLElement ? opener.dataset.focusKey : undefined;
      const target = opener?.isConnected ? opener : key ? document.querySelector(`[data-focus-key="${CSS.escape(key)}"]`) : null;
      if (target instanceof HTMLElement) target.focus();
      resolve(result);
    });
    dialog.showModal();
    // A stray Enter must not reset or reprocess a run: the safe choice has the focus.
    cancel.focus();
  });
}

/** Sets the page's heading and title together (the title says where you are in a tab list). */
export function pageHeading(container, text, ...extra) {
  document.title = `${text} · Job Schedule Manager`;
  return replace(container, h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, text), extra.length ? h('div', { class: 'page-actions' }, extra) : null));
}
