import { ApiError } from '../api.js';
import { field, h, replace } from '../dom.js';
import { routeHash } from '../router.js';
import { Access } from '../session.js';
import { errorText, notify, pageHeading } from '../ui.js';

/**
 * Sign-in and the client picker. Locally the operator pastes a token (the admin token `npm start`
 * prints, or a client-scoped one from API_TOKENS) and names a client; deployed, Cognito managed
 * login signs in and the picker only asks for the client. The API has no list of clients, so the
 * picker offers the clients used recently in this browser and can onboard a new one.
 */

const RECENT_KEY = 'jsm.recentClients';
const CLIENT_ID = /^[a-z0-9][a-z0-9-]{0,39}$/;

function recentClients() {
  try {
    const list = JSON.parse(window.localStorage.getItem(RECENT_KEY) ?? '[]');
    return Array.isArray(list) ? list.filter((id) => typeof id === 'string' && CLIENT_ID.test(id)) : [];
  } catch {
    return [];
  }
}

export function rememberClient(clientId) {
  const list = [clientId, ...recentClients().filter((id) => id !== clientId)].slice(0, 8);
  window.localStorage.setItem(RECENT_KEY, JSON.stringify(list));
}

function showError(wrapper, message) {
  const control = wrapper.querySelector('input, select, textarea');
  const error = wrapper.querySelector('.field-error');
  error.textContent = message;
  error.hidden = !message;
  control.setAttribute('aria-invalid', message ? 'true' : 'false');
  if (message) control.focus();
}

function clientIdInput() {
  const datalist = h('datalist', { id: 'recent-clients' }, recentClients().map((id) => h('option', { value: id })));
  const input = h('input', { name: 'clientId', autocomplete: 'off', spellcheck: 'false', list: 'recent-clients', required: true, value: recentClients()[0] ?? '' });
  return { input, datalist };
}

/** The form to onboard a client the API does not know yet (PUT /v1/clients/{clientId}). */
function onboardForm(context, clientId) {
  const name = h('input', { name: 'clientName', required: true, autocomplete: 'organization' });
  const zone = h('input', { name: 'clientTimezone', required: true, value: Intl.DateTimeFormat().resolvedOptions().timeZone, list: 'timezones', spellcheck: 'false' });
  const nameField = field({ label: 'Client name', control: name });
  const zoneField = field({ label: 'Time zone', control: zone, hint: 'IANA zone; the mandatory daily schedule runs at 01:00 in it.' });
  const form = h(
    'form',
    { class: 'card stack', novalidate: true, 'aria-labelledby': 'onboard-title' },
    h('h2', { id: 'onboard-title' }, `Client “${clientId}” does not exist yet`),
    h('p', {}, 'Onboarding creates the client with its mandatory daily schedule (usage rating → transaction sync → billing).'),
    nameField,
    zoneField,
    timezoneList(),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'button button-primary' }, `Onboard ${clientId}`)),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    showError(nameField, '');
    showError(zoneField, '');
    try {
      await context.api.putClient(clientId, { name: name.value, timezone: zone.value });
      notify(`Client ${clientId} onboarded`, { tone: 'success', detail: 'Its mandatory daily schedule was created.' });
      rememberClient(clientId);
      context.navigate(routeHash(clientId, 'schedules'));
    } catch (error) {
      const details = error instanceof ApiError ? error.details : [];
      const at = (path) => details.find((detail) => detail.path === path)?.message;
      if (at('name') || at('timezone')) {
        showError(zoneField, at('timezone') ?? '');
        showError(nameField, at('name') ?? '');
      } else notify('The client was not onboarded', { tone: 'error', detail: errorText(error) });
    }
  });
  return form;
}

let zones;
export function timezoneList() {
  zones ??= typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : ['UTC'];
  return h('datalist', { id: 'timezones' }, zones.map((zone) => h('option', { value: zone })));
}

/**
 * Checks the client with GET /v1/clients/{id}: opens it, or says exactly what is wrong (the
 * token, the token's scope, the id), or offers onboarding.
 */
async function openClient(context, clientId, { clientField, tokenField, onboardSlot }) {
  replace(onboardSlot);
  if (!CLIENT_ID.test(clientId)) {
    showError(clientField, 'A client id is lower-case letters, digits and dashes (e.g. acme).');
    return;
  }
  try {
    await context.api.getClient(clientId);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.status === 401 && tokenField) return showError(tokenField, 'This token is not accepted. Check it and try again.');
    if (error.status === 403) return showError(clientField, `These credentials may not act for client ${clientId}.`);
    if (error.status === 404) {
      const withheld = new Access(await context.me(), clientId).why('admin', 'Onboarding it');
      return withheld ? showError(clientField, `Client ${clientId} does not exist. ${withheld}`) : replace(onboardSlot, onboardForm(context, clientId));
    }
    return showError(clientField, errorText(error));
  }
  rememberClient(clientId);
  context.navigate(routeHash(clientId, 'runs'));
}

export async function renderSignIn(context) {
  const { main, session } = context;
  if (session.mode === 'cognito') {
    pageHeading(main, 'Sign in');
    main.append(
      h(
        'div',
        { class: 'card narrow stack' },
        h('p', {}, 'Sign in with your operator account. Your group decides which clients you may see and what you may do there.'),
        h('button', { type: 'button', class: 'button button-primary', onClick: () => session.beginSignIn() }, 'Sign in'),
      ),
    );
    if (session.signedIn) context.navigate('#/clients');
    return;
  }
  pageHeading(main, 'Sign in to the operator console');
  const token = h('input', { type: 'password', name: 'token', autocomplete: 'off', required: true, spellcheck: 'false' });
  const tokenField = field({ label: 'API token', control: token, hint: 'npm start prints the admin token; client-scoped tokens come from API_TOKENS. The token is kept in this tab only (sessionStorage).' });
  const { input: clientId, datalist } = clientIdInput();
  const clientField = field({ label: 'Client id', control: clientId, hint: 'e.g. demo' });
  const onboardSlot = h('div');
  const form = h(
    'form',
    { class: 'card narrow stack', novalidate: true, 'aria-label': 'Sign in' },
    tokenField,
    clientField,
    datalist,
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'button button-primary' }, 'Sign in')),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    showError(tokenField, '');
    showError(clientField, '');
    if (!token.value.trim()) return showError(tokenField, 'Enter a token.');
    session.signIn(token.value);
    await openClient(context, clientId.value.trim(), { clientField, tokenField, onboardSlot });
    if (!window.location.hash.startsWith('#/c/') && tokenField.querySelector('[aria-invalid="true"]')) session.signOut();
  });
  main.append(form, onboardSlot);
}

export async function renderClientPicker(context) {
  const { main } = context;
  pageHeading(main, 'Choose a client');
  const { input: clientId, datalist } = clientIdInput();
  const clientField = field({ label: 'Client id', control: clientId });
  const onboardSlot = h('div');
  const form = h('form', { class: 'card narrow stack', novalidate: true, 'aria-label': 'Choose a client' }, clientField, datalist, h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'button button-primary' }, 'Open')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    showError(clientField, '');
    await openClient(context, clientId.value.trim(), { clientField, onboardSlot });
  });
  const recent = recentClients();
  main.append(
    form,
    recent.length
      ? h('nav', { class: 'card narrow', 'aria-label': 'Recent clients' }, h('h2', {}, 'Recent clients'), h('ul', { class: 'link-list' }, recent.map((id) => h('li', {}, h('a', { href: routeHash(id, 'runs') }, id)))))
      : null,
    onboardSlot,
  );
  clientId.focus();
}
