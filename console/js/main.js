import { Api } from './api.js';
import { loadCatalogue } from './catalogue.js';
import { h, replace } from './dom.js';
import { parseRoute, routeHash } from './router.js';
import { Access, createSession, loadConfig } from './session.js';
import { dismissPersistentNotices, errorBanner, loading, notify } from './ui.js';
import { renderAttention } from './views/attention.js';
import { renderAudit } from './views/audit.js';
import { renderBackfill } from './views/backfill.js';
import { renderCalendars } from './views/calendars.js';
import { renderExecution } from './views/execution.js';
import { renderLedger } from './views/ledger.js';
import { renderRunGrid } from './views/run-grid.js';
import { renderRunsByDate } from './views/runs-by-date.js';
import { renderScheduleForm } from './views/schedule-form.js';
import { renderSchedules } from './views/schedules.js';
import { renderSubscriptions } from './views/subscriptions.js';
import { renderVersions } from './views/versions.js';
import { rememberClient, renderClientPicker, renderSignIn } from './views/sign-in.js';

/**
 * The operator console: a single page over the HTTP API v1 only. Each hash route renders one
 * screen into <main>; a screen registers what must stop when it is left (polling timers).
 */

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const sessionControls = document.getElementById('session-controls');

const SCREENS = {
  runs: { label: 'Runs by date', render: renderRunsByDate },
  attention: { label: 'Needs attention', render: renderAttention },
  grid: { label: 'Run grid', render: renderRunGrid },
  execution: { label: 'Execution', render: renderExecution },
  schedules: { label: 'Schedules', render: renderSchedules },
  calendars: { label: 'Calendars', render: renderCalendars },
  // Every ledger route needs the operator role: below it the entry is not offered.
  ledger: { label: 'Ledger', render: renderLedger, role: 'operator' },
  audit: { label: 'Audit', render: renderAudit },
  subscriptions: { label: 'Notifications', render: renderSubscriptions },
  // Reached from a schedule, not from the header.
  versions: { label: 'Versions', render: renderVersions, inNav: false },
  backfill: { label: 'Backfill', render: renderBackfill, inNav: false },
};

const clients = new Map();
let me;

/** GET /v1/me, once per sign-in: which controls a screen offers depends on the role. */
async function meOf(api) {
  me ??= await api.me();
  return me;
}

function forgetSignIn() {
  clients.clear();
  me = undefined;
}

let leaveHandlers = [];
let generation = 0;

function leaveScreen() {
  dismissPersistentNotices();
  for (const handler of leaveHandlers) handler();
  leaveHandlers = [];
  generation += 1;
}

async function clientOf(api, clientId) {
  if (!clients.has(clientId)) clients.set(clientId, await api.getClient(clientId));
  return clients.get(clientId);
}

function renderHeader(session, route, client, access) {
  const signedIn = session.signedIn;
  nav.hidden = !(signedIn && route.clientId);
  if (route.clientId) {
    replace(
      nav,
      h(
        'ul',
        {},
        Object.entries(SCREENS)
          .filter(([, screen]) => screen.inNav !== false && (!screen.role || access?.may(screen.role)))
          .map(([name, screen]) => {
            const current = route.name === name || (name === 'schedules' && route.name === 'schedules');
            return h('li', {}, h('a', { href: routeHash(route.clientId, name), 'aria-current': current ? 'page' : undefined }, screen.label));
          }),
      ),
    );
  }
  replace(
    sessionControls,
    signedIn && route.clientId
      ? h('a', { class: 'client-switch', href: '#/clients', title: 'Choose another client' }, h('span', { class: 'muted' }, 'Client '), h('strong', {}, client?.name ?? route.clientId), h('span', { class: 'muted' }, ` (${route.clientId})`), access?.role ? h('span', { class: 'role', title: 'Your role for this client: it decides which actions this console offers' }, ` · ${access.role}`) : null, ' · change')
      : null,
    signedIn ? h('span', { class: 'who' }, session.describe()) : null,
    signedIn
      ? h(
          'button',
          {
            type: 'button',
            class: 'button button-quiet',
            onClick: () => {
              session.signOut();
              forgetSignIn();
              window.location.hash = '#/sign-in';
            },
          },
          'Sign out',
        )
      : null,
  );
}

async function render(api, session) {
  leaveScreen();
  const mine = generation;
  const route = parseRoute(window.location.hash);
  if (!session.signedIn && route.name !== 'sign-in') {
    window.location.hash = '#/sign-in';
    return;
  }
  const context = {
    api,
    session,
    route,
    main,
    navigate: (hash) => {
      if (window.location.hash === hash) render(api, session);
      else window.location.hash = hash;
    },
    /** Replaces the current history entry: for a screen that only normalises its own URL. */
    replaceRoute: (hash) => window.history.replaceState(null, '', hash),
    onLeave: (handler) => leaveHandlers.push(handler),
    isCurrent: () => mine === generation,
    me: () => meOf(api),
  };
  if (route.name === 'sign-in') {
    // Signing in again may bring other credentials: their role is asked anew.
    me = undefined;
    renderHeader(session, route);
    return renderSignIn(context);
  }
  if (route.name === 'clients' || route.name === '') {
    renderHeader(session, route);
    return renderClientPicker(context);
  }
  const screen = route.name === 'schedules' && route.id ? { render: renderScheduleForm } : SCREENS[route.name];
  if (!route.clientId || !screen) {
    window.location.hash = '#/clients';
    return;
  }
  renderHeader(session, route);
  replace(main, loading());
  let client;
  let access;
  try {
    // Every screen of a client words its values with the catalogue: loaded once, with the first client.
    [client] = await Promise.all([clientOf(api, route.clientId), loadCatalogue(api)]);
    access = new Access(await meOf(api), route.clientId);
  } catch (error) {
    if (mine !== generation) return;
    replace(main, errorBanner(error, { title: `Client ${route.clientId} cannot be opened`, actions: [h('a', { class: 'button', href: '#/clients' }, 'Choose a client')] }));
    return;
  }
  if (mine !== generation) return;
  rememberClient(route.clientId);
  renderHeader(session, route, client, access);
  await screen.render({ ...context, clientId: route.clientId, client, access });
}

function focusMainHeading() {
  const heading = main.querySelector('h1');
  if (heading) heading.focus({ preventScroll: false });
}

async function start() {
  const skip = document.querySelector('.skip-link');
  skip.addEventListener('click', (event) => {
    event.preventDefault();
    main.focus();
  });
  const config = await loadConfig();
  const session = createSession(config);
  if (session.mode === 'cognito') {
    try {
      await session.completeSignIn();
    } catch (error) {
      notify('Sign-in failed', { tone: 'error', persist: false, detail: error.message });
    }
  }
  const api = new Api(session, {
    onUnauthorized: (error) => {
      // The sign-in screen explains a refused token at its field.
      if (parseRoute(window.location.hash).name === 'sign-in') return;
      if (session.mode === 'token') session.signOut();
      forgetSignIn();
      notify('Please sign in again', { tone: 'error', persist: false, detail: error.message });
      window.location.hash = '#/sign-in';
    },
  });
  let navigated = false;
  window.addEventListener('hashchange', () => {
    navigated = true;
    render(api, session).then(() => navigated && focusMainHeading());
  });
  await render(api, session);
}

start().catch((error) => {
  replace(main, errorBanner(error, { title: 'The console could not start' }));
});
