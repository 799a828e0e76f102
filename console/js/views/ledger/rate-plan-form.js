import { field, h, replace, uid } from '../../dom.js';
import { microsToPrice, priceToMicros } from '../../ledger.js';
import { errorText, notify } from '../../ui.js';

/**
 * One rate plan's editor: name, currency, recurring charge and its dated rates, saved whole with
 * If-Match (PUT /ledger/rate-plans/{id}); a plan someone else saved since is a 412, offered for
 * reload, never overwritten. Prices are typed in currency units and sent as exact micro-units.
 */

/** The earliest date a plan's rates start: a rate added for suspended usage should cover all of it. */
function earliestRateDate(plan) {
  return plan.rates.map((rate) => rate.effectiveFrom).sort()[0];
}

function rateRow(rate, { onRemove }) {
  const usageType = h('input', { name: 'usageType', value: rate.usageType ?? '', spellcheck: 'false', autocomplete: 'off', class: 'mono', required: true });
  const effectiveFrom = h('input', { type: 'date', name: 'effectiveFrom', value: rate.effectiveFrom ?? '', required: true });
  const price = h('input', { name: 'unitPrice', value: rate.unitPriceMicros === undefined ? '' : microsToPrice(rate.unitPriceMicros), inputmode: 'decimal', autocomplete: 'off', required: true });
  const remove = h('button', { type: 'button', class: 'button button-small button-quiet' }, 'Remove');
  const row = h('tr', { class: 'rate-row' }, h('td', {}, usageType), h('td', {}, effectiveFrom), h('td', {}, price), h('td', {}, remove));
  const label = () => usageType.value.trim() || 'new rate';
  const relabel = () => {
    usageType.setAttribute('aria-label', 'Usage type');
    effectiveFrom.setAttribute('aria-label', `Effective from (${label()})`);
    price.setAttribute('aria-label', `Unit price (${label()})`);
    remove.setAttribute('aria-label', `Remove the rate for ${label()}`);
  };
  usageType.addEventListener('input', relabel);
  relabel();
  remove.addEventListener('click', () => onRemove(row));
  return { row, usageType, read: () => ({ usageType: usageType.value.trim(), effectiveFrom: effectiveFrom.value, unitPrice: price.value, priceInput: price }) };
}

/**
 * @param {{ api, clientId: string, plan, addRate?: string, onSaved(): void, onReload(): void }} props
 *   addRate: a usage type to start a new rate row with (from a NO_RATE record)
 */
export function ratePlanForm({ api, clientId, plan, addRate, onSaved, onReload }) {
  const titleId = uid('plan-title');
  const name = h('input', { name: 'name', value: plan.name, required: true, maxlength: '200' });
  const currency = h('input', { name: 'currency', value: plan.currency, required: true, maxlength: '3', class: 'mono', autocomplete: 'off' });
  const recurring = h('input', { type: 'number', name: 'recurringChargeMinor', value: String(plan.recurringChargeMinor), min: '0', step: '1', required: true });
  const rows = [];
  const tbody = h('tbody');
  const problems = h('div', { role: 'alert' });

  function addRow(rate, { focus = false } = {}) {
    const entry = rateRow(rate, {
      onRemove: (row) => {
        rows.splice(rows.indexOf(entry), 1);
        row.remove();
        addButton.focus();
      },
    });
    rows.push(entry);
    tbody.append(entry.row);
    if (focus) entry.usageType.focus();
    return entry;
  }

  const addButton = h('button', { type: 'button', class: 'button button-small', onClick: () => addRow({ effectiveFrom: earliestRateDate(plan) }, { focus: true }) }, 'Add a rate');
  for (const rate of [...plan.rates].sort((a, b) => a.usageType.localeCompare(b.usageType) || a.effectiveFrom.localeCompare(b.effectiveFrom))) addRow(rate);
  if (addRate && !plan.rates.some((rate) => rate.usageType === addRate)) addRow({ usageType: addRate, effectiveFrom: earliestRateDate(plan) });

  function showProblems(title, lines, actions = []) {
    replace(problems, h('div', { class: 'banner banner-error', tabindex: '-1' }, h('strong', {}, title), lines.length ? h('ul', {}, lines.map((line) => h('li', {}, line))) : null, actions.length ? h('div', { class: 'banner-actions' }, actions) : null));
    problems.firstChild.focus();
  }

  async function save(event) {
    event.preventDefault();
    replace(problems);
    const rates = rows.map((entry) => entry.read());
    const unpriced = rates.filter((rate) => priceToMicros(rate.unitPrice) === undefined);
    if (unpriced.length) {
      unpriced[0].priceInput.focus();
      showProblems('Some prices are not amounts', unpriced.map((rate) => `${rate.usageType || 'A new rate'}: “${rate.unitPrice}” is not a price such as 0.045 (at most 6 decimals).`));
      return;
    }
    const body = {
      name: name.value.trim(),
      currency: currency.value.trim().toUpperCase(),
      recurringChargeMinor: Number(recurring.value),
      rates: rates.map((rate) => ({ usageType: rate.usageType, effectiveFrom: rate.effectiveFrom, unitPriceMicros: priceToMicros(rate.unitPrice) })),
    };
    submit.disabled = true;
    try {
      const saved = await api.replaceRatePlan(clientId, plan.ratePlanId, body, plan.version);
      notify(`Rate plan ${plan.ratePlanId} saved`, { tone: 'success', detail: `Version ${saved.version}. Usage in suspense is rated when the run is reprocessed.` });
      onSaved();
    } catch (error) {
      submit.disabled = false;
      if (error.status === 412) {
        showProblems('Someone else saved this rate plan since you opened it', [errorText(error)], [h('button', { type: 'button', class: 'button', onClick: onReload }, 'Reload the plan')]);
      } else {
        showProblems('The rate plan was not saved', [errorText(error), ...error.details.map((detail) => `${detail.path}: ${detail.message}`)]);
      }
    }
  }

  const submit = h('button', { type: 'submit', class: 'button button-primary' }, 'Save rate plan');
  return h(
    'form',
    { class: 'card rate-plan-form', 'aria-labelledby': titleId, onSubmit: save, dataset: { plan: plan.ratePlanId } },
    h('h2', { id: titleId, tabindex: '-1' }, `Rate plan ${plan.ratePlanId} (version ${plan.version})`),
    problems,
    h('div', { class: 'form-grid' }, field({ label: 'Name', control: name }), field({ label: 'Currency', control: currency, hint: 'ISO 4217, e.g. USD' }), field({ label: 'Recurring charge (minor units)', control: recurring, hint: 'Per billing period, e.g. 999 cents' })),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'table rates' },
        h('caption', {}, `Rates: the price of one unit, in ${plan.currency}, from a date on`),
        h('thead', {}, h('tr', {}, ['Usage type', 'Effective from', `Unit price (${plan.currency})`, ''].map((title) => h('th', { scope: 'col' }, title)))),
        tbody,
      ),
    ),
    h('div', { class: 'form-actions' }, addButton, submit),
  );
}
