import { h, replace } from '../../dom.js';

/** A 412: someone saved the schedule after it was opened. Says so and offers the latest version. */
export function staleEdit({ onReload }) {
  const slot = h('div');
  return {
    slot,
    show(error, version) {
      replace(
        slot,
        h(
          'div',
          { class: 'banner banner-warn', role: 'alert', tabindex: '-1' },
          h('strong', {}, 'Someone else changed this schedule after you opened it'),
          h('p', {}, `You were editing version ${version}; your changes were not saved. Reload to see the latest version, then make your change again. (${error.message})`),
          h('div', { class: 'banner-actions' }, h('button', { type: 'button', class: 'button button-primary', onClick: onReload }, 'Reload the latest version')),
        ),
      );
      slot.firstElementChild.focus();
    },
  };
}
