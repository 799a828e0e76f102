import { h, replace } from '../../dom.js';
import { ledgerHash, formatMoney } from '../../ledger.js';
import { errorBanner, loading } from '../../ui.js';
import { ratePlanForm } from './rate-plan-form.js';

/**
 * Rate plans: the list, and one plan to edit (`plan=` in the route). A plan without a rate for a
 * usage type leaves that usage in suspense (NO_RATE): adding the rate here and reprocessing the
 * run rates it.
 */

const PAGE = 100;

async function planList({ api, clientId, body, keep }) {
  const list = h('div', {}, loading('Loading rate plans…'));
  const pager = h('div', { class: 'pager' });
  body.append(h('section', { class: 'card', 'aria-labelledby': 'plans-title' }, h('h2', { id: 'plans-title' }, 'Rate plans'), list, pager));
  const tokens = [undefined];
  let page = 0;

  async function load() {
    try {
      const result = await api.listRatePlans(clientId, { limit: PAGE, nextToken: tokens[page] });
      tokens[page + 1] = result.nextToken;
      draw(result.items, Boolean(result.nextToken));
    } catch (error) {
      replace(list, errorBanner(error, { title: 'The rate plans could not be loaded' }));
    }
  }

  function draw(plans, hasNext) {
    replace(
      list,
      plans.length === 0
        ? h('p', { class: 'empty' }, 'This client has no rate plans.')
        : h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              { class: 'table' },
              h('caption', { class: 'visually-hidden' }, `Rate plans, page ${page + 1}`),
              h('thead', {}, h('tr', {}, ['Plan', 'Name', 'Recurring charge', 'Rated usage types', 'Version'].map((title) => h('th', { scope: 'col' }, title)))),
              h(
                'tbody',
                {},
                plans.map((plan) =>
                  h(
                    'tr',
                    { dataset: { plan: plan.ratePlanId } },
                    h('th', { scope: 'row' }, h('a', { href: ledgerHash(clientId, 'plans', { ...keep, plan: plan.ratePlanId }), 'aria-label': `Edit rate plan ${plan.ratePlanId}` }, plan.ratePlanId)),
                    h('td', {}, plan.name),
                    h('td', {}, formatMoney(plan.recurringChargeMinor, plan.currency)),
                    h('td', {}, [...new Set(plan.rates.map((rate) => rate.usageType))].sort().join(', ') || '—'),
                    h('td', { class: 'num' }, String(plan.version)),
                  ),
                ),
              ),
            ),
          ),
    );
    replace(
      pager,
      page > 0 || hasNext ? h('button', { type: 'button', class: 'button button-small', disabled: page === 0, onClick: () => ((page -= 1), load()) }, '‹ Previous page') : null,
      page > 0 || hasNext ? h('button', { type: 'button', class: 'button button-small', disabled: !hasNext, onClick: () => ((page += 1), load()) }, 'Next page ›') : null,
    );
  }

  await load();
}

export async function renderRatePlans(context) {
  const { api, clientId, body, route, keep } = context;
  const ratePlanId = route.query.plan;
  if (!ratePlanId) return planList(context);
  body.append(h('p', {}, h('a', { href: ledgerHash(clientId, 'plans', keep) }, '‹ All rate plans')));
  const slot = h('div', {}, loading(`Loading rate plan ${ratePlanId}…`));
  body.append(slot);

  /** `again`: after a save or for a reload, the plan as stored now, without the route's new rate row. */
  async function open(again) {
    try {
      const plan = await api.getRatePlan(clientId, ratePlanId);
      if (!context.isCurrent()) return;
      replace(slot, ratePlanForm({ ...context, plan, addRate: again ? undefined : route.query.addRate, onSaved: () => open(true), onReload: () => open(true) }));
      if (again) slot.querySelector('h2')?.focus();
    } catch (error) {
      replace(slot, errorBanner(error, { title: `Rate plan ${ratePlanId} could not be loaded` }));
    }
  }

  await open(false);
}
