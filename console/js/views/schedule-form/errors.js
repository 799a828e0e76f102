import { h, replace } from '../../dom.js';
import { fieldForPath, normalisePath } from '../../format.js';

/**
 * Errors at their fields. Every field carries the API path it is sent as (`data-path`), so an
 * `error.details[].path` of a 400 (or of a failed preview) finds its field; the summary links to them.
 */

/** A form-level error list with links to the fields (moves focus there on activation). */
function errorSummary(problems) {
  const list = h(
    'ul',
    {},
    problems.map(({ message, target }) =>
      h(
        'li',
        {},
        target
          ? h(
              'a',
              {
                href: `#${target.id}`,
                onClick: (event) => {
                  event.preventDefault();
                  target.focus();
                },
              },
              message,
            )
          : message,
      ),
    ),
  );
  return h('div', { class: 'banner banner-error error-summary', role: 'alert', tabindex: '-1' }, h('strong', {}, `The schedule was not saved: ${problems.length} problem${problems.length === 1 ? '' : 's'}`), list);
}

function errorSlotOf(element) {
  return document.getElementById(`${element.id}-error`);
}

function fieldLabel(element) {
  return element.labels?.[0]?.textContent ?? element.getAttribute('aria-label') ?? element.dataset.path;
}

function clearElement(element) {
  element.removeAttribute('aria-invalid');
  delete element.dataset.errorSource;
  const slot = errorSlotOf(element);
  if (slot) {
    slot.textContent = '';
    slot.hidden = true;
  }
}

/** @param {() => HTMLElement} root  the form whose `[data-path]` fields take the errors */
export function fieldErrors(root) {
  const summarySlot = h('div');

  /** Marks each problem's field; returns the problems with their field (if any) and wording. */
  function mark(details, source) {
    const elements = new Map([...root().querySelectorAll('[data-path]')].map((element) => [element.dataset.path, element]));
    return details.map((detail) => {
      const path = normalisePath(detail.path);
      const match = fieldForPath(path, elements.keys());
      const element = match === undefined ? undefined : elements.get(match);
      const slot = element && errorSlotOf(element);
      const extra = match !== undefined && match !== path ? `${path.slice(match.length + 1)}: ` : '';
      const message = `${extra}${detail.message}`;
      // A preview does not talk over what a refused save said at the same field.
      if (slot && !(source === 'preview' && element.dataset.errorSource === 'save')) {
        slot.textContent = slot.textContent ? `${slot.textContent}; ${message}` : message;
        slot.hidden = false;
        element.setAttribute('aria-invalid', 'true');
        element.dataset.errorSource = source;
      }
      return { message: element ? `${fieldLabel(element)}: ${message}` : `${path || 'Schedule'}: ${detail.message}`, target: element };
    });
  }

  /** Clears the errors of one source ('save' or 'preview'), or all of them. */
  function clear(source) {
    if (!source || source === 'save') replace(summarySlot);
    for (const element of root().querySelectorAll('[data-path]')) {
      if (!source || element.dataset.errorSource === source) clearElement(element);
    }
  }

  return {
    summarySlot,
    clear,
    clearField(element) {
      if (element.getAttribute('aria-invalid') === 'true') clearElement(element);
    },
    /** Drops the summary's entries whose field is no longer in error (fixed, removed or hidden). */
    prune() {
      const summary = summarySlot.querySelector('.error-summary');
      if (!summary) return;
      for (const link of summary.querySelectorAll('a[href^="#"]')) {
        const target = document.getElementById(link.getAttribute('href').slice(1));
        if (!target || target.getAttribute('aria-invalid') !== 'true' || target.closest('[hidden]')) link.closest('li')?.remove();
      }
      if (!summary.querySelector('li')) replace(summarySlot);
    },
    /** A refused save: each problem at its field, all of them in a summary with links. */
    showSaveErrors(details, fallbackMessage) {
      clear();
      const problems = mark(details, 'save');
      if (problems.length === 0) problems.push({ message: fallbackMessage });
      const summary = errorSummary(problems);
      replace(summarySlot, summary);
      summary.focus();
    },
    /** A refused preview: at the fields only (nothing was saved); returns the wording of each. */
    showPreviewErrors(details) {
      clear('preview');
      return mark(details, 'preview').map((problem) => problem.message);
    },
  };
}
