import { append, h } from '../dom.js';
import { formatDate } from '../format.js';
import { ledgerHash, runContextOf } from '../ledger.js';
import { routeHash } from '../router.js';
import { pageHeading } from '../ui.js';
import { renderAccounts } from './ledger/accounts.js';
import { renderQueues } from './ledger/queues.js';
import { renderRatePlans } from './ledger/rate-plans.js';
import { renderRerates } from './ledger/rerates.js';

/**
 * The Ledger screen: where an operator fixes the cause of a failed run (a missing rate, a record
 * to discard, a rerate request to cancel or narrow) before reprocessing it. One part at a time,
 * chosen by `part=` in the route; a link from a failed item keeps the run it came from.
 */

const PARTS = [
  ['queues', 'Suspense and sync errors', renderQueues],
  ['plans', 'Rate plans', renderRatePlans],
  ['accounts', 'Accounts', renderAccounts],
  ['rerates', 'Rerate requests', renderRerates],
];

export async function renderLedger(context) {
  const { main, clientId, route, access } = context;
  const [part, label, render] = PARTS.find(([name]) => name === route.query.part) ?? PARTS[0];
  pageHeading(main, `Ledger: ${label}`);
  if (!access.may('operator')) {
    main.append(h('p', { class: 'muted role-note' }, access.why('operator', 'The ledger')));
    return;
  }
  const from = runContextOf(route.query);
  const keep = from ? { schedule: from.schedule, date: from.date, job: from.job } : {};
  append(main, [
    h(
      'nav',
      { class: 'ledger-parts', 'aria-label': 'Parts of the ledger' },
      h('ul', {}, PARTS.map(([name, text]) => h('li', {}, h('a', { href: ledgerHash(clientId, name, keep), 'aria-current': name === part ? 'page' : undefined }, text)))),
    ),
    from
      ? h(
          'p',
          { class: 'banner banner-info back-to-run' },
          'Fixing the cause of a failed run. Once it is fixed: ',
          h('a', { href: routeHash(clientId, 'execution', { schedule: from.schedule, date: from.date, job: from.job, status: from.job ? 'FAILED' : undefined }) }, `back to the run of ${formatDate(from.date)} to reprocess it`),
          '.',
        )
      : null,
  ]);
  const body = h('div', { class: 'ledger-body' });
  main.append(body);
  await render({ ...context, body, keep });
}
