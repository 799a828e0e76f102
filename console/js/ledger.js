import { isIsoDate } from './format.js';
import { routeHash } from './router.js';

/**
 * The ledger as the console reads it (API.md "The ledger"): what a failed work item points at,
 * failures counted by error code, prices typed as decimals, and the Ledger screen's links.
 */

/** The most a count reads from one page of items: beyond it, "1000+" (one request, never a crawl). */
export const COUNT_PAGE = 1000;

/**
 * What a work item of a billing job is about, from its id: usage items are
 * `account/date/usageId` (rating and sync jobs), BILLING items an `account`, RERATING items
 * `account/requestId`. Undefined for an item that names no ledger record (SYNTHETIC's).
 */
export function ledgerTargetOf(jobType, itemId) {
  const parts = String(itemId ?? '').split('/');
  if (parts.some((part) => part === '')) return undefined;
  if (parts.length === 3 && isIsoDate(parts[1])) return { kind: 'usage', accountId: parts[0], usageDate: parts[1], usageId: parts[2] };
  if (parts.length === 1 && jobType === 'BILLING') return { kind: 'account', accountId: parts[0] };
  if (parts.length === 2 && jobType === 'RERATING') return { kind: 'rerate', accountId: parts[0], requestId: parts[1] };
  return undefined;
}

/** A usage record's key as work items and error messages write it. */
export function usageKeyText(key) {
  return `${key.accountId}/${key.usageDate}/${key.usageId}`;
}

/** Why a record is in its queue: its suspense or sync-error reason, if any. */
export function reasonOf(record) {
  return record.suspense ?? record.syncError;
}

/**
 * Counts by error code, most frequent first: `[[code, count], ...]`. `codeOf` reads an entry's
 * code; entries without one are left out.
 */
export function countByCode(entries, codeOf) {
  const counts = new Map();
  for (const entry of entries) {
    const code = codeOf(entry);
    if (code) counts.set(code, (counts.get(code) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/**
 * The failed items' codes of one page (up to COUNT_PAGE): `{ counts, more }`; `more` when the
 * page did not hold every failed item, so each count is "at least".
 */
export function failureCodes(page) {
  return { counts: countByCode(page.items, (item) => item.error?.code), more: Boolean(page.nextToken) };
}

/** A count of one page: "1000+" when there is more than the page held. */
export function countText(count, more) {
  return more ? `${count}+` : String(count);
}

const PRICE = /^(\d{1,7})(?:\.(\d{1,6}))?$/;

/** A unit price typed as a decimal ("0.045") in micro-units (45000), exactly; undefined when it is not one. */
export function priceToMicros(text) {
  const match = PRICE.exec(String(text ?? '').trim());
  if (!match) return undefined;
  return Number(match[1]) * 1_000_000 + Number((match[2] ?? '').padEnd(6, '0'));
}

/** Micro-units as the decimal a person types: 45000 → "0.045", 2000000 → "2". */
export function microsToPrice(micros) {
  const whole = Math.floor(micros / 1_000_000);
  const fraction = String(micros % 1_000_000).padStart(6, '0').replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : String(whole);
}

/** Minor units in the currency's own digits: 999 USD → "$9.99". */
export function formatMoney(minor, currency) {
  const format = new Intl.NumberFormat('en-US', { style: 'currency', currency });
  return format.format(minor / 10 ** format.resolvedOptions().maximumFractionDigits);
}

/**
 * Why a narrowed rerate range cannot replace `request`'s, or undefined when it can: both dates
 * given, in order, inside the request's range, and smaller than it.
 */
export function narrowingProblem(request, fromDate, toDate) {
  if (!isIsoDate(fromDate) || !isIsoDate(toDate)) return 'Give both dates.';
  if (fromDate > toDate) return 'The range ends before it starts.';
  if (fromDate < request.fromDate || toDate > request.toDate) return `Narrowing keeps inside ${request.fromDate} to ${request.toDate}.`;
  if (fromDate === request.fromDate && toDate === request.toDate) return 'That is the same range: make it smaller.';
  return undefined;
}

/**
 * A link into the Ledger screen: `part` is queues, plans, accounts or rerates; `query` opens one
 * record (`plan`, `account` with `usage`) and may carry the run an operator came from
 * (`schedule`, `date`, `job`), so the screen links back to it for the reprocess.
 */
export function ledgerHash(clientId, part, query = {}) {
  return routeHash(clientId, 'ledger', { part, ...query });
}

/** The run an operator came from, as the query of a ledger link keeps it. */
export function runContextOf(query) {
  return query.schedule && isIsoDate(query.date) ? { schedule: query.schedule, date: query.date, job: query.job } : undefined;
}
