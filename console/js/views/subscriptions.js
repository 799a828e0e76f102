import { ApiError, readPages } from '../api.js';
import { catalogue, labelOf } from '../catalogue.js';
import { field, h, replace, uid } from '../dom.js';
import { formatInstant, statusWord } from '../format.js';
import { routeHash } from '../router.js';
import { confirmAction, errorBanner, errorText, loading, notify, pageHeading } from '../ui.js';

/**
 * Notifications (issue 13): the client's webhook subscriptions, each event signed with its secret,
 * and each subscription's delivery log. Admins add and delete them; the secret is sent once and
 * never shown again (the API does not return it).
 */

/** `*` subscribes to every run event, present and future; the event types come from the catalogue. */
const ALL_EVENTS = '*';
const MIN_SECRET = 16;
const DELIVERY_TONES = { DELIVERED: 'ok', RETRYING: 'pending', GAVE_UP: 'failed' };

function eventsText(events) {
  return events.includes(ALL_EVENTS) ? 'Every event' : events.map((type) => labelOf('eventTypes', type)).join(', ');
}

export async function renderSubscriptions(context) {
  const { main, api, clientId, client, route, access } = context;
  pageHeading(main, 'Notifications');
  const listSlot = h('div', {}, loading());
  const deliveriesSlot = h('div');
  main.append(
    h('p', { class: 'muted' }, `Webhooks for ${client.name}: each run event is POSTed to the URL as JSON, signed with the subscription’s secret (X-Signature: sha256=…), and retried for at least an hour until the receiver answers 2xx.`),
    access.may('admin') ? createForm() : h('p', { class: 'muted small role-note' }, access.why('admin', 'Adding or deleting a subscription')),
    listSlot,
    deliveriesSlot,
  );
  let open = route.query.open;

  function createForm() {
    const url = h('input', { name: 'url', type: 'url', autocomplete: 'off', spellcheck: 'false', placeholder: 'https://billing.example.com/hooks/runs' });
    const secret = h('input', { name: 'secret', type: 'password', autocomplete: 'new-password', spellcheck: 'false', minlength: String(MIN_SECRET) });
    const all = h('input', { type: 'checkbox', name: 'events', value: ALL_EVENTS, id: uid('event') });
    // Checked at first: the events a person must act on.
    const boxes = catalogue().eventTypes.map(({ value, label, words, needsAttention }) => {
      const box = h('input', { type: 'checkbox', name: 'events', value, id: uid('event'), checked: needsAttention });
      return { box, element: h('div', { class: 'field-check' }, box, h('label', { for: box.id, title: words }, label)) };
    });
    const eventsError = h('p', { class: 'field-error', id: uid('events-error'), hidden: true });
    const events = h(
      'fieldset',
      { class: 'choice', dataset: { path: 'events' }, 'aria-describedby': eventsError.id },
      h('legend', {}, 'Events'),
      h('div', { class: 'field-check' }, all, h('label', { for: all.id }, 'Every event (also ones added later)')),
      boxes.map((entry) => entry.element),
      eventsError,
    );
    const sync = () => {
      for (const { box } of boxes) box.disabled = all.checked;
    };
    all.addEventListener('change', sync);
    const submit = h('button', { type: 'submit', class: 'button button-primary' }, 'Add subscription');
    const fields = { url: field({ label: 'Receiver URL', control: url, path: 'url', hint: 'https, reachable from the API; locally http://127.0.0.1:… is allowed.' }), secret: field({ label: 'Signing secret', control: secret, path: 'secret', hint: `At least ${MIN_SECRET} characters. Keep a copy: it is never shown again.` }) };
    const form = h('form', { class: 'card narrow subscription-form', novalidate: true, 'aria-labelledby': 'new-subscription' }, h('h2', { id: 'new-subscription' }, 'New subscription'), fields.url, fields.secret, events, h('div', { class: 'form-actions' }, submit));

    function showErrors(details, message) {
      for (const slot of form.querySelectorAll('.field-error')) slot.hidden = true;
      for (const control of form.querySelectorAll('[aria-invalid]')) control.removeAttribute('aria-invalid');
      let placed = false;
      for (const detail of details) {
        const path = String(detail.path ?? '').split(/[.[]/)[0];
        const control = path === 'events' ? events : form.querySelector(`[data-path="${path}"]`);
        const slot = path === 'events' ? eventsError : control && document.getElementById(`${control.id}-error`);
        if (!slot) continue;
        slot.textContent = detail.message;
        slot.hidden = false;
        control.setAttribute('aria-invalid', 'true');
        placed = true;
      }
      if (!placed) notify('The subscription was not added', { tone: 'error', detail: message });
      form.querySelector('[aria-invalid="true"]')?.focus();
    }

    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const chosen = all.checked ? [ALL_EVENTS] : boxes.filter(({ box }) => box.checked).map(({ box }) => box.value);
      submit.disabled = true;
      try {
        const created = await api.createSubscription(clientId, { url: url.value.trim(), secret: secret.value, events: chosen });
        secret.value = '';
        url.value = '';
        showErrors([], '');
        notify('Subscription added', { tone: 'success', detail: `${created.subscriptionId}: the secret is stored and will not be shown again.` });
        open = created.subscriptionId;
        await load();
      } catch (error) {
        if (error instanceof ApiError && error.details.length) showErrors(error.details, errorText(error));
        else notify('The subscription was not added', { tone: 'error', detail: errorText(error) });
      } finally {
        submit.disabled = false;
      }
    });
    return form;
  }

  async function load() {
    try {
      const { items } = await readPages((page) => api.listSubscriptions(clientId, page));
      if (!context.isCurrent()) return;
      drawList(items);
      const shown = items.find((subscription) => subscription.subscriptionId === open);
      if (shown) await loadDeliveries(shown);
      else replace(deliveriesSlot);
    } catch (error) {
      if (!context.isCurrent()) return;
      replace(listSlot, errorBanner(error, { title: 'The subscriptions could not be loaded', actions: [h('button', { type: 'button', class: 'button', onClick: load }, 'Try again')] }));
    }
  }

  function drawList(subscriptions) {
    replace(
      listSlot,
      subscriptions.length === 0
        ? h('p', { class: 'card empty' }, 'No subscriptions: nothing is sent when a run starts, fails or is late.')
        : h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              { class: 'table subscriptions' },
              h('caption', {}, `${subscriptions.length} subscription${subscriptions.length === 1 ? '' : 's'} of ${client.name}`),
              h('thead', {}, h('tr', {}, ['Receiver URL', 'Events', 'Created', 'Id', 'Actions'].map((title) => h('th', { scope: 'col' }, title)))),
              h(
                'tbody',
                {},
                subscriptions.map((subscription) =>
                  h(
                    'tr',
                    { dataset: { subscriptionId: subscription.subscriptionId } },
                    h('th', { scope: 'row' }, h('code', {}, subscription.url)),
                    h('td', { class: 'small' }, eventsText(subscription.events ?? [])),
                    h('td', { class: 'small nowrap' }, subscription.createdAt ? formatInstant(subscription.createdAt, client.timezone) : '—'),
                    h('td', { class: 'small' }, h('code', {}, subscription.subscriptionId)),
                    h(
                      'td',
                      {},
                      h(
                        'div',
                        { class: 'row-actions' },
                        h('button', { type: 'button', class: 'button button-small', 'aria-pressed': String(open === subscription.subscriptionId), 'aria-label': `Deliveries to ${subscription.url}`, onClick: () => showDeliveries(subscription) }, 'Deliveries'),
                        access.may('admin') ? h('button', { type: 'button', class: 'button button-small button-danger-quiet', 'aria-label': `Delete the subscription to ${subscription.url}`, onClick: () => remove(subscription) }, 'Delete') : null,
                      ),
                    ),
                  ),
                ),
              ),
            ),
          ),
    );
  }

  async function showDeliveries(subscription) {
    open = subscription.subscriptionId;
    context.replaceRoute(routeHash(clientId, 'subscriptions', { open }));
    for (const button of listSlot.querySelectorAll('[aria-pressed]')) button.setAttribute('aria-pressed', String(button.closest('tr').dataset.subscriptionId === open));
    await loadDeliveries(subscription);
    deliveriesSlot.querySelector('h2')?.focus();
  }

  async function loadDeliveries(subscription) {
    replace(deliveriesSlot, loading('Loading deliveries…'));
    try {
      const { items } = await readPages((page) => api.listDeliveries(clientId, subscription.subscriptionId, page), { max: 200 });
      if (!context.isCurrent() || open !== subscription.subscriptionId) return;
      replace(
        deliveriesSlot,
        h(
          'section',
          { class: 'card deliveries', 'aria-labelledby': 'deliveries-title' },
          h('div', { class: 'page-head' }, h('h2', { id: 'deliveries-title', tabindex: '-1' }, `Deliveries to ${subscription.url}`), h('button', { type: 'button', class: 'button button-small', onClick: () => loadDeliveries(subscription) }, 'Refresh deliveries')),
          items.length === 0
            ? h('p', { class: 'empty' }, 'Nothing sent yet: an event is sent when a run of this client starts, ends, is skipped or is late.')
            : h(
                'div',
                { class: 'table-wrap' },
                h(
                  'table',
                  { class: 'table' },
                  h('caption', { class: 'visually-hidden' }, 'Recent delivery attempts, newest first'),
                  h('thead', {}, h('tr', {}, ['Event', 'Type', 'When', 'Status', 'Receiver answered', 'Attempts'].map((title) => h('th', { scope: 'col' }, title)))),
                  h(
                    'tbody',
                    {},
                    items.map((delivery) =>
                      h(
                        'tr',
                        { dataset: { eventId: delivery.eventId, status: delivery.status } },
                        h('th', { scope: 'row', class: 'small' }, h('code', {}, delivery.eventId)),
                        h('td', {}, delivery.type),
                        h('td', { class: 'small nowrap' }, formatInstant(delivery.at, client.timezone)),
                        h('td', {}, h('span', { class: ['status', `status-${DELIVERY_TONES[delivery.status] ?? 'muted'}`] }, h('span', { class: 'status-dot', 'aria-hidden': 'true' }), statusWord(delivery.status).replace('_', ' '))),
                        h('td', {}, delivery.responseStatus ? String(delivery.responseStatus) : 'no answer'),
                        h('td', { class: 'num' }, String(delivery.attempts)),
                      ),
                    ),
                  ),
                ),
              ),
        ),
      );
    } catch (error) {
      if (context.isCurrent()) replace(deliveriesSlot, errorBanner(error, { title: 'The deliveries could not be loaded' }));
    }
  }

  async function remove(subscription) {
    const confirmed = await confirmAction({ title: 'Delete the subscription?', body: h('p', {}, `Nothing more is sent to ${subscription.url}. Its delivery log goes with it.`), confirmLabel: 'Delete subscription', danger: true });
    if (!confirmed) return;
    try {
      await api.deleteSubscription(clientId, subscription.subscriptionId);
      notify('Subscription deleted', { tone: 'success' });
      if (open === subscription.subscriptionId) open = undefined;
      await load();
    } catch (error) {
      notify('The subscription was not deleted', { tone: 'error', detail: errorText(error) });
    }
  }

  await load();
}
