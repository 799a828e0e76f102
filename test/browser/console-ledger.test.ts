import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseApiTokens } from '../../lambdas/api/auth';
import { DEMO_CLIENT_ID, seedDemo } from '../../lambdas/composition/demo-seed';
import { api, waitForRun } from '../support/local-runtime';
import { poll, screenshot, signIn, startConsole, type ConsoleHarness } from './support/console-harness';

/*
 * The operator's whole fix in the console (issue 12 item 5): the demo client's daily run fails on
 * NO_RATE (usage of a type neither rate plan prices); an operator follows a failed item to its
 * account and usage record, adds the missing rate to the account's plan, does so for the other
 * plan, goes back to the run and reprocesses it; the run completes and every account due that day
 * has exactly one invoice. The clock starts on Wednesday 18 November 2026, 10:00 in New York.
 */

const CLIENT = DEMO_CLIENT_ID;
const CLOCK_START = '2026-11-18T15:00:00Z';
const DATE = '2026-11-18';
const TOKENS = `ops-token:${CLIENT}:operator,viewer-token:${CLIENT}:viewer`;
/** Usage of this type has no rate in the seeded plans (ledger-generator's UNRATED_USAGE_TYPE). */
const UNRATED_TYPE = 'premium-sms';

describe('the ledger workbench: from a failed run to a completed one without leaving the console', () => {
  let harness: ConsoleHarness;
  let page: Page;
  let run: any;
  const call = (method: string, path: string, body?: unknown) => api(harness.runtime, method, `/v1/clients/${CLIENT}${path}`, body);

  beforeAll(async () => {
    harness = await startConsole({ clockStart: CLOCK_START, runtime: { apiTokens: parseApiTokens(TOKENS), coreBilling: { backoffMs: 5 } } });
    page = harness.page;
    await seedDemo(harness.runtime.schedules, harness.runtime.ledger, new Date(CLOCK_START));
    // Core billing triggers the client's daily schedule for its today, as it does every day.
    const triggered = await call('POST', '/schedules/daily/runs', { processingDate: DATE });
    expect(triggered.status).toBe(202);
    run = await waitForRun(harness.runtime, CLIENT, triggered.body.runId, ['COMPLETED', 'FAILED']);
  });

  afterAll(async () => {
    await harness?.stop();
  });

  /** The failed items of job 1 (USAGE_RATING), as the execution screen lists them. */
  async function openFailedRatingItems(): Promise<void> {
    await page.getByRole('button', { name: /^Failed items \(\d+\)/ }).first().click();
    await page.locator('#items-panel tbody tr').first().waitFor();
  }

  /** From a failed NO_RATE item of an account on `plan`, through the account, to its plan with the rate added. */
  async function addMissingRateVia(accountId: string, plan: string, price: string, shot?: string): Promise<void> {
    await page.getByRole('link', { name: new RegExp(`^Open ${accountId}/\\d{4}-\\d{2}-\\d{2}/u\\d+ in the ledger$`) }).click();
    await page.getByRole('heading', { name: new RegExp(`^Account ${accountId}`) }).waitFor();
    const note = page.locator('.target-note');
    expect(await note.textContent()).toContain('SUSPENDED');
    expect(await note.locator('code').first().textContent()).toBe('NO_RATE');
    expect(await page.locator('.account tr[aria-current="true"]').count()).toBe(1);
    if (shot) await screenshot(page, shot);
    await page.getByRole('link', { name: `Add a rate for ${UNRATED_TYPE} to rate plan ${plan}` }).click();

    await page.getByRole('heading', { name: new RegExp(`^Rate plan ${plan} \\(version \\d+\\)`) }).waitFor();
    await page.getByLabel(`Unit price (${UNRATED_TYPE})`).fill(price);
    await page.getByRole('button', { name: 'Save rate plan' }).click();
    await poll(() => page.locator('.toast').textContent()).toContain(`Rate plan ${plan} saved`);
  }

  it('shows the failed run’s jobs with their failed items counted by error code', async () => {
    expect(run.status).toBe('FAILED');
    expect(run.jobs.map((job: any) => [job.type, job.status])).toEqual([
      ['USAGE_RATING', 'FAILED'],
      ['SYNC_TRANSACTIONS', 'COMPLETED'],
      ['BILLING', 'FAILED'],
    ]);

    await signIn(page, harness.runtime.url, 'ops-token', CLIENT);
    await page.getByRole('link', { name: 'Ledger' }).waitFor();
    await page.goto(`${harness.runtime.url}/#/c/${CLIENT}/execution?schedule=${run.scheduleId}&date=${DATE}`);
    await page.locator('#run-title').waitFor();

    const rating = page.locator('.tile[data-seq="1"] .code-counts li');
    await poll(() => rating.allTextContents()).toEqual([`NO_RATE ${run.jobs[0].stats.failed}`]);
    await poll(() => page.locator('.tile[data-seq="3"] .code-counts li').allTextContents()).toEqual([`UNRATED_USAGE ${run.jobs[2].stats.failed}`]);
    await screenshot(page, 'console-ledger-failed-run');

    // A held account's BILLING item opens the account, whose unrated usage holds it.
    await page.getByRole('button', { name: /^Failed items \(\d+\)/ }).last().click();
    const held = page.getByRole('link', { name: /^Open acc-\d+ in the ledger$/ });
    await held.first().waitFor();
    expect(await held.first().getAttribute('href')).toMatch(new RegExp(`^#/c/${CLIENT}/ledger\\?part=accounts&schedule=${run.scheduleId}&date=${DATE}&job=3&account=acc-\\d+$`));
  });

  it('adds the missing rate to each plan from a failed item, reprocesses the run, and bills every due account once', async () => {
    await openFailedRatingItems();
    await addMissingRateVia('acc-0000010', 'basic', '0.045', 'console-ledger-account');
    await screenshot(page, 'console-ledger-rate-plan');

    await page.getByRole('link', { name: /^back to the run of/ }).click();
    await page.locator('#run-title').waitFor();
    await page.locator('#items-panel tbody tr').first().waitFor();
    await addMissingRateVia('acc-0000016', 'pro', '0.04');

    await page.getByRole('link', { name: /^back to the run of/ }).click();
    await page.getByRole('button', { name: 'Reprocess run…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Reprocess run' }).click();
    // Once the reprocess is accepted the run reads PENDING or RUNNING, never FAILED (API.md).
    await poll(() => page.locator('.toast').textContent()).toContain('Reprocessing started');

    const done = await waitForRun(harness.runtime, CLIENT, run.runId, ['COMPLETED', 'FAILED']);
    expect(done.status).toBe('COMPLETED');
    await poll(() => page.locator('.run-head .status-large').textContent()).toContain('Completed');
    expect(await page.locator('.tile .code-counts').count()).toBe(0);

    for (const plan of ['basic', 'pro']) {
      const { body } = await call('GET', `/ledger/rate-plans/${plan}`);
      expect(body.rates.filter((rate: any) => rate.usageType === UNRATED_TYPE).map((rate: any) => rate.unitPriceMicros)).toEqual([plan === 'basic' ? 45_000 : 40_000]);
    }
    const accounts = (await call('GET', '/ledger/accounts?limit=1000')).body.items;
    const due = accounts.filter((account: any) => account.status === 'ACTIVE' && account.anniversaryDay === 18).map((account: any) => account.accountId);
    const invoices = (await call('GET', '/ledger/invoices?periodId=2026-11&limit=1000')).body.items;
    expect(due.length).toBeGreaterThan(0);
    expect(invoices.map((invoice: any) => invoice.accountId).sort()).toEqual([...due].sort());
    expect((await call('GET', '/ledger/usage?state=SUSPENDED')).body.items).toEqual([]);
    expect(harness.pageErrors).toEqual([]);
  });

  it('discards a record from the suspense queue with a reason, after which the run’s reprocess completes', async () => {
    const key = { accountId: 'acc-0000017', usageDate: '2026-11-10', usageId: 'fax-1' };
    expect((await call('POST', '/ledger/usage', { records: [{ ...key, usageType: 'fax', quantity: 3 }] })).body).toEqual({ accepted: 1, duplicates: 0 });
    const triggered = await call('POST', '/schedules/daily/runs', { processingDate: '2026-11-17' });
    const failed = await waitForRun(harness.runtime, CLIENT, triggered.body.runId, ['COMPLETED', 'FAILED']);
    expect(failed.status).toBe('FAILED');

    await page.getByRole('link', { name: 'Ledger' }).click();
    const suspense = page.locator('[data-queue="SUSPENDED"]');
    await poll(() => suspense.locator('.code-list li').allTextContents()).toEqual(['All codes 1', 'NO_RATE 1']);
    expect(await suspense.locator('tbody tr').first().locator('.error-message').textContent()).toContain('fax');
    await screenshot(page, 'console-ledger-queues');
    await page.getByLabel(`Select ${key.accountId}/${key.usageDate}/${key.usageId}`).check();
    await suspense.getByRole('button', { name: 'Discard selected…' }).click();
    await page.getByLabel('Reason (kept with the records)').fill('fax usage is not billed under these contracts');
    await page.getByRole('dialog').getByRole('button', { name: 'Discard' }).click();
    await poll(() => page.locator('.toast').textContent()).toContain('1 record discarded');
    await poll(() => suspense.locator('.empty').textContent()).toBe('Nothing in suspense.');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Suspense (SUSPENDED)');

    const discarded = (await call('GET', `/ledger/usage?state=DISCARDED&accountId=${key.accountId}`)).body.items;
    expect(discarded).toMatchObject([{ ...key, discard: { reason: 'fax usage is not billed under these contracts' } }]);
    expect((await call('POST', `/runs/${failed.runId}/reprocess`, { scope: 'RUN' })).status).toBe(202);
    expect((await waitForRun(harness.runtime, CLIENT, failed.runId, ['COMPLETED', 'FAILED'])).status).toBe('COMPLETED');
  });

  it('narrows an open rerate request to a smaller range, then cancels it', async () => {
    const request = { accountId: 'acc-0000020', requestId: 'rr-1', fromDate: '2026-11-01', toDate: '2026-11-30', reason: 'price dispute' };
    expect((await call('POST', '/ledger/rerate-requests', request)).status).toBe(201);
    const requests = async () => Object.fromEntries((await call('GET', '/ledger/rerate-requests')).body.items.map((item: any) => [item.requestId, [item.status, item.fromDate, item.toDate]]));

    await page.getByRole('link', { name: 'Rerate requests' }).click();
    await page.getByRole('button', { name: 'Narrow acc-0000020/rr-1' }).click();
    await page.getByLabel('From').fill('2026-11-10');
    await page.getByRole('dialog').getByRole('button', { name: 'Narrow' }).click();
    await poll(() => page.locator('.toast').textContent()).toContain('Rerate request narrowed');

    expect(await requests()).toEqual({ 'rr-1': ['CANCELLED', '2026-11-01', '2026-11-30'], 'rr-1-narrowed': ['OPEN', '2026-11-10', '2026-11-30'] });
    await page.getByRole('button', { name: 'Cancel acc-0000020/rr-1-narrowed' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel the request' }).click();
    await poll(() => page.locator('.toast').textContent()).toContain('Rerate request rr-1-narrowed cancelled');
    expect((await requests())['rr-1-narrowed']).toEqual(['CANCELLED', '2026-11-10', '2026-11-30']);
    await poll(() => page.locator('.rerates').count()).toBe(0);
    expect(harness.pageErrors).toEqual([]);
  });

  it('does not overwrite a rate plan someone else saved meanwhile: the 412 is explained and the plan reloaded', async () => {
    await page.goto(`${harness.runtime.url}/#/c/${CLIENT}/ledger?part=plans&plan=pro`);
    await page.getByRole('heading', { name: /^Rate plan pro \(version \d+\)/ }).waitFor();
    const { body: stored } = await call('GET', '/ledger/rate-plans/pro');
    const { clientId: _client, ratePlanId: _plan, version, ...plan } = stored;
    const changed = await api(harness.runtime, 'PUT', `/v1/clients/${CLIENT}/ledger/rate-plans/pro`, { ...plan, name: 'Pro 2027' }, undefined, { 'if-match': String(version) });
    expect(changed.status).toBe(200);

    await page.getByLabel('Name', { exact: true }).fill('Pro (console)');
    await page.getByRole('button', { name: 'Save rate plan' }).click();
    await poll(() => page.locator('.rate-plan-form [role="alert"]').textContent()).toContain('Someone else saved this rate plan since you opened it');
    await page.getByRole('button', { name: 'Reload the plan' }).click();

    await page.getByRole('heading', { name: `Rate plan pro (version ${version + 1})` }).waitFor();
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe('Pro 2027');
    expect((await call('GET', '/ledger/rate-plans/pro')).body.name).toBe('Pro 2027');
  });

  it('labels every control of the Ledger screen, and offers it to no one below operator', async () => {
    const parts = ['part=queues', 'part=plans', 'part=plans&plan=basic&addRate=fax', 'part=accounts', 'part=accounts&account=acc-0000010', 'part=rerates'];
    for (const query of parts) {
      await page.goto(`${harness.runtime.url}/#/c/${CLIENT}/ledger?${query}`);
      await page.locator('.ledger-body > *').first().waitFor();
      await page.waitForLoadState('networkidle');
      const unlabelled = await page.evaluate(() =>
        Array.from(document.querySelectorAll('main input, main select, main textarea, main button'))
          .filter((element) => !((element as HTMLInputElement).labels?.[0]?.textContent || element.getAttribute('aria-label') || (element.tagName === 'BUTTON' ? element.textContent : ''))?.trim())
          .map((element) => element.outerHTML.slice(0, 120)),
      );
      expect(unlabelled, query).toEqual([]);
      expect(await page.locator('main').textContent(), query).not.toMatch(/\bnull\b|undefined/);
    }
    await page.goto(`${harness.runtime.url}/#/c/${CLIENT}/ledger?part=plans&plan=basic&addRate=fax`);
    expect(await page.getByLabel('Unit price (fax)').inputValue()).toBe('');

    await page.evaluate(() => window.sessionStorage.clear());
    await signIn(page, harness.runtime.url, 'viewer-token', CLIENT);
    expect(await page.locator('#nav').getByRole('link').allTextContents()).not.toContain('Ledger');
    await page.goto(`${harness.runtime.url}/#/c/${CLIENT}/ledger`);
    await poll(() => page.locator('main .role-note').textContent()).toBe('The ledger needs the operator role; you are a viewer here.');
    expect(harness.pageErrors).toEqual([]);
  });
});
