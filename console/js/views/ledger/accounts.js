import { h, replace } from '../../dom.js';
import { formatCount, formatDate, ordinal } from '../../format.js';
import { COUNT_PAGE, formatMoney, ledgerHash, reasonOf, usageKeyText } from '../../ledger.js';
import { errorBanner, loading } from '../../ui.js';

/**
 * Accounts: the list, and one account (`account=` in the route) with its usage that is not yet
 * billable (unrated, in suspense, in sync error) and its invoices. A failed work item links here:
 * `usage=date/usageId` marks its record and its reason, BILLING's held accounts show what holds them.
 */

const PAGE = 100;
/** The states that hold an account's billing (UNRATED_USAGE, UNSYNCED_USAGE), in the order usage moves. */
const HOLDING_STATES = ['UNRATED', 'SUSPENDED', 'SYNC_ERROR'];

async function accountList({ api, clientId, body, keep }) {
  const list = h('div', {}, loading('Loading accounts…'));
  const pager = h('div', { class: 'pager' });
  body.append(h('section', { class: 'card', 'aria-labelledby': 'accounts-title' }, h('h2', { id: 'accounts-title' }, 'Accounts'), list, pager));
  const tokens = [undefined];
  let page = 0;

  async function load() {
    try {
      const result = await api.listAccounts(clientId, { limit: PAGE, nextToken: tokens[page] });
      tokens[page + 1] = result.nextToken;
      replace(
        list,
        result.items.length === 0
          ? h('p', { class: 'empty' }, 'This client has no accounts.')
          : h(
              'div',
              { class: 'table-wrap' },
              h(
                'table',
                { class: 'table' },
                h('caption', { class: 'visually-hidden' }, `Accounts, page ${page + 1}`),
                h('thead', {}, h('tr', {}, ['Account', 'Name', 'Status', 'Billed on', 'Rate plan'].map((title) => h('th', { scope: 'col' }, title)))),
                h(
                  'tbody',
                  {},
                  result.items.map((account) =>
                    h(
                      'tr',
                      {},
                      h('th', { scope: 'row' }, h('a', { href: ledgerHash(clientId, 'accounts', { ...keep, account: account.accountId }) }, account.accountId)),
                      h('td', {}, account.name),
                      h('td', {}, account.status),
                      h('td', {}, `the ${ordinal(account.anniversaryDay)}`),
                      h('td', {}, h('a', { href: ledgerHash(clientId, 'plans', { ...keep, plan: account.ratePlanId }) }, account.ratePlanId)),
                    ),
                  ),
                ),
              ),
            ),
      );
      const hasNext = Boolean(result.nextToken);
      replace(
        pager,
        h('button', { type: 'button', class: 'button button-small', disabled: page === 0, onClick: () => ((page -= 1), load()) }, '‹ Previous page'),
        h('span', { class: 'muted small' }, `Page ${page + 1}`),
        h('button', { type: 'button', class: 'button button-small', disabled: !hasNext, onClick: () => ((page += 1), load()) }, 'Next page ›'),
      );
    } catch (error) {
      replace(list, errorBanner(error, { title: 'The accounts could not be loaded' }));
    }
  }

  await load();
}

/** The record a failed item names, or why it is not in a queue any more. */
function targetNote(target, records, account, clientId, keep) {
  const record = records.find((candidate) => `${candidate.usageDate}/${candidate.usageId}` === target);
  if (!record) {
    return h('p', { class: 'banner banner-info target-note' }, `Usage record ${account.accountId}/${target} is not unrated, in suspense or in sync error any more: it was rated, synced or discarded since.`);
  }
  const reason = reasonOf(record);
  const noRate = record.state === 'SUSPENDED';
  return h(
    'div',
    { class: 'banner banner-error target-note', dataset: { usage: usageKeyText(record) } },
    h('strong', {}, `Usage record ${usageKeyText(record)}: ${record.state}`),
    h('p', {}, reason ? [h('code', {}, reason.code), ` ${reason.message}`] : `${record.usageType}, not rated yet.`),
    noRate
      ? h('p', {}, h('a', { class: 'button', href: ledgerHash(clientId, 'plans', { ...keep, plan: account.ratePlanId, addRate: record.usageType }) }, `Add a rate for ${record.usageType} to rate plan ${account.ratePlanId}`))
      : null,
  );
}

function usageTable(records, target) {
  if (records.length === 0) return h('p', { class: 'empty' }, 'None: nothing holds this account’s billing.');
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'table' },
      h('caption', { class: 'visually-hidden' }, 'Usage of the account not yet billable'),
      h('thead', {}, h('tr', {}, ['Usage record', 'State', 'Type', 'Quantity', 'Code', 'Reason'].map((title) => h('th', { scope: 'col' }, title)))),
      h(
        'tbody',
        {},
        records.map((record) => {
          const reason = reasonOf(record);
          const marked = `${record.usageDate}/${record.usageId}` === target;
          return h(
            'tr',
            { class: marked ? 'row-marked' : undefined, 'aria-current': marked ? 'true' : undefined, dataset: { usage: usageKeyText(record) } },
            h('th', { scope: 'row' }, h('code', {}, `${formatDate(record.usageDate)} · ${record.usageId}`)),
            h('td', {}, record.state),
            h('td', {}, h('code', {}, record.usageType)),
            h('td', { class: 'num' }, formatCount(record.quantity)),
            h('td', {}, reason ? h('code', {}, reason.code) : ''),
            h('td', { class: 'error-message' }, reason?.message ?? ''),
          );
        }),
      ),
    ),
  );
}

function invoiceTable(invoices) {
  if (invoices.length === 0) return h('p', { class: 'empty' }, 'No invoices yet.');
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'table invoices' },
      h('caption', { class: 'visually-hidden' }, 'Invoices of the account'),
      h('thead', {}, h('tr', {}, ['Period', 'Billed on', 'Transactions', 'Recurring', 'Usage', 'Total', 'Run'].map((title) => h('th', { scope: 'col' }, title)))),
      h(
        'tbody',
        {},
        invoices.map((invoice) =>
          h(
            'tr',
            { dataset: { period: invoice.periodId } },
            h('th', { scope: 'row' }, invoice.periodId),
            h('td', {}, formatDate(invoice.billedOn)),
            h('td', { class: 'num' }, formatCount(invoice.transactionCount)),
            h('td', { class: 'num' }, formatMoney(invoice.recurringChargeMinor, invoice.currency)),
            h('td', { class: 'num' }, formatMoney(invoice.usageChargeMinor, invoice.currency)),
            h('td', { class: 'num' }, formatMoney(invoice.totalMinor, invoice.currency)),
            h('td', {}, h('code', { class: 'small' }, invoice.runId)),
          ),
        ),
      ),
    ),
  );
}

async function accountDetail({ api, clientId, body, keep, route, isCurrent }) {
  const accountId = route.query.account;
  const target = route.query.usage;
  body.append(h('p', {}, h('a', { href: ledgerHash(clientId, 'accounts', keep) }, '‹ All accounts')));
  const slot = h('div', {}, loading(`Loading account ${accountId}…`));
  body.append(slot);
  let account;
  let pages;
  let invoices;
  try {
    [account, pages, invoices] = await Promise.all([
      api.getAccount(clientId, accountId),
      Promise.all(HOLDING_STATES.map((state) => api.listUsage(clientId, { state, accountId, limit: COUNT_PAGE }))),
      api.listInvoices(clientId, { accountId }),
    ]);
  } catch (error) {
    replace(slot, errorBanner(error, { title: `Account ${accountId} could not be loaded` }));
    return;
  }
  if (!isCurrent()) return;
  const records = pages.flatMap((page) => page.items);
  const more = pages.some((page) => page.nextToken);
  replace(
    slot,
    h(
      'section',
      { class: 'card account', 'aria-labelledby': 'account-title' },
      h('h2', { id: 'account-title', tabindex: '-1' }, `Account ${account.accountId}: ${account.name}`),
      target ? targetNote(target, records, account, clientId, keep) : null,
      h(
        'dl',
        { class: 'facts' },
        [
          ['Status', account.status],
          ['Billed on', `the ${ordinal(account.anniversaryDay)} (or the month’s last day)`],
          ['Opened on', formatDate(account.openedOn)],
          ['Rate plan', h('a', { href: ledgerHash(clientId, 'plans', { ...keep, plan: account.ratePlanId }) }, account.ratePlanId)],
        ].map(([term, value]) => h('div', {}, h('dt', {}, term), h('dd', {}, value))),
      ),
      h('h3', {}, 'Usage not yet billable'),
      h('p', { class: 'muted small' }, `Unrated, in suspense or in sync error: while any of it is dated in a billing period, billing holds the account for that period${more ? ` (the first ${formatCount(COUNT_PAGE)} of each state shown)` : ''}.`),
      usageTable(records, target),
      h('h3', {}, 'Invoices'),
      invoiceTable(invoices.items),
    ),
  );
}

export async function renderAccounts(context) {
  return context.route.query.account ? accountDetail(context) : accountList(context);
}
