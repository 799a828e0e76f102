import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseApiTokens } from '../../lambdas/api/auth';
import { api, waitForRun } from '../support/local-runtime';
import { poll, screenshot, signIn, startConsole, type ConsoleHarness } from './support/console-harness';

/*
 * The console offers what the signed-in role may do (issue 12 item 1): a viewer reads runs but
 * gets no Reprocess, Reset or Run buttons; an operator reprocesses but cannot save a schedule.
 * The clock starts on Friday 20 November 2026, 10:00 in New York.
 */

const CLIENT = 'roles';
const CLOCK_START = '2026-11-20T15:00:00Z';
const FAILED_DATE = '2026-11-19';
const EMPTY_DATE = '2026-11-18';
const TOKENS = `viewer-token:${CLIENT}:viewer,operator-token:${CLIENT}:operator`;

describe('the console by role', () => {
  let harness: ConsoleHarness;
  let page: Page;
  let scheduleId: string;
  let runId: string;
  const call = (method: string, path: string, body?: unknown) => api(harness.runtime, method, `/v1/clients/${CLIENT}${path}`, body);
  const openRun = async (date: string) => {
    await page.goto(`${harness.runtime.url}/#/c/${CLIENT}/execution?schedule=${scheduleId}&date=${date}`);
    await page.locator('#run-title').waitFor();
  };
  const button = (name: string | RegExp) => page.getByRole('button', { name });

  async function signInAs(token: string): Promise<void> {
    await page.goto(harness.runtime.url);
    await page.evaluate(() => window.sessionStorage.clear());
    await signIn(page, harness.runtime.url, token, CLIENT);
  }

  beforeAll(async () => {
    harness = await startConsole({ clockStart: CLOCK_START, runtime: { apiTokens: parseApiTokens(TOKENS) } });
    page = harness.page;
    expect((await call('PUT', '', { name: 'Roles Utilities', timezone: 'America/New_York' })).status).toBe(201);
    const schedule = await call('POST', '/schedules', {
      name: 'Diagnostics',
      frequency: { type: 'MANUAL' },
      executionTime: '02:00:00',
      timezone: 'America/New_York',
      jobs: [{ type: 'SYNTHETIC', settings: { items: 3, failItems: [1] } }],
    });
    scheduleId = schedule.body.scheduleId;
    runId = (await call('POST', `/schedules/${scheduleId}/runs`, { processingDate: FAILED_DATE })).body.runId;
    await waitForRun(harness.runtime, CLIENT, runId, ['FAILED']);
  });

  afterAll(async () => {
    await harness?.stop();
  });

  it('shows a viewer the failed run, its failed items and its role, but no Reprocess, Reset or Run button', async () => {
    await signInAs('viewer-token');
    await openRun(FAILED_DATE);

    await expect.poll(() => page.locator('.run-head .status-large').textContent()).toContain('Failed');
    expect(await page.locator('.client-switch .role').textContent()).toContain('viewer');
    expect(await button(/Failed items \(1\)/).isVisible()).toBe(true);
    expect(await button(/Reprocess/).count()).toBe(0);
    expect(await button(/Reset/).count()).toBe(0);
    expect(await page.locator('.run-actions .role-note').textContent()).toBe('Reprocessing or resetting a run needs the operator role; you are a viewer here.');
    await screenshot(page, 'console-viewer-run');

    await openRun(EMPTY_DATE);
    expect(await button('Create and run').count()).toBe(0);
    expect(await page.locator('.no-run .role-note').textContent()).toContain('Creating a run needs the caller role');
  });

  it('does not offer a viewer new, edited or deleted schedules', async () => {
    await page.goto(`${harness.runtime.url}/#/c/${CLIENT}/schedules`);
    await page.getByRole('heading', { name: 'Schedules', level: 1 }).waitFor();

    const create = button('New schedule');
    expect(await create.isDisabled()).toBe(true);
    expect(await create.getAttribute('title')).toBe('Creating a schedule needs the admin role; you are a viewer here.');
    // The list arrives after the heading: wait for its row before asking what it offers.
    const view = page.getByRole('link', { name: 'View Diagnostics' });
    await view.waitFor();
    expect(await view.isVisible()).toBe(true);
    expect(await button('Delete Diagnostics').isDisabled()).toBe(true);
  });

  it('lets an operator reprocess the run to COMPLETED', async () => {
    await signInAs('operator-token');
    await openRun(FAILED_DATE);

    expect(await page.locator('.client-switch .role').textContent()).toContain('operator');
    expect(await page.locator('.run-actions .role-note').count()).toBe(0);
    await button('Reprocess run…').click();
    await page.getByLabel(/^Heal/).check();
    await page.getByRole('dialog').getByRole('button', { name: 'Reprocess run' }).click();

    expect((await waitForRun(harness.runtime, CLIENT, runId, ['COMPLETED'])).status).toBe('COMPLETED');
    await poll(() => page.locator('.run-head .status-large').textContent()).toContain('Completed');
  });

  it('shows an operator a schedule but does not let it save one', async () => {
    await page.goto(`${harness.runtime.url}/#/c/${CLIENT}/schedules/${scheduleId}`);
    await page.getByRole('heading', { name: 'Edit “Diagnostics”' }).waitFor();

    const save = button('Save changes');
    await page.getByLabel('Name', { exact: true }).fill('Renamed by an operator');
    await page.getByLabel('Name', { exact: true }).press('Enter');

    expect(await save.isDisabled()).toBe(true);
    expect(await save.getAttribute('title')).toBe('Saving a schedule needs the admin role; you are an operator here.');
    await screenshot(page, 'console-operator-schedule');
    expect((await call('GET', `/schedules/${scheduleId}`)).body).toMatchObject({ name: 'Diagnostics', version: 1 });
    expect(harness.pageErrors).toEqual([]);
  });
});
