import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseApiTokens } from '../../lambdas/api/auth';
import { api, waitForRun } from '../support/local-runtime';
import { lowContrastTexts, unlabelledControls } from './support/console-checks';
import { poll, screenshot, signIn, startConsole, type ConsoleHarness } from './support/console-harness';

/*
 * Nothing goes unnoticed (issue 13): an operator finds the failed runs of every client they may
 * act for on one page, oldest first, opens one, and spots a failure as a square of the schedule ×
 * date grid; an operator of one client never sees the other's. The clock starts on Friday
 * 20 November 2026, 10:00 in New York.
 */

const ACME = 'inbox-acme';
const BETA = 'inbox-beta';
const CLOCK_START = '2026-11-20T15:00:00Z';
const TOKENS = `acme-operator:${ACME}:operator`;

describe('the console’s failure inbox and run grid', () => {
  let harness: ConsoleHarness;
  let page: Page;
  let acmeSchedule: string;
  const call = (clientId: string, method: string, path: string, body?: unknown) => api(harness.runtime, method, `/v1/clients/${clientId}${path}`, body);

  async function onboardWithDiagnostics(clientId: string, name: string): Promise<string> {
    expect((await call(clientId, 'PUT', '', { name, timezone: 'America/New_York' })).status).toBe(201);
    const schedule = await call(clientId, 'POST', '/schedules', {
      name: 'Diagnostics',
      frequency: { type: 'MANUAL' },
      executionTime: '02:00:00',
      timezone: 'America/New_York',
      jobs: [{ type: 'SYNTHETIC', settings: { items: 4, failItems: [2] } }],
    });
    expect(schedule.status, JSON.stringify(schedule.body)).toBe(201);
    return schedule.body.scheduleId;
  }

  async function runToEnd(clientId: string, scheduleId: string, processingDate: string, settle: 'FAILED' | 'COMPLETED'): Promise<void> {
    const triggered = await call(clientId, 'POST', `/schedules/${scheduleId}/runs`, { processingDate, ...(settle === 'COMPLETED' ? { jobs: [{ type: 'SYNTHETIC', settings: { items: 2 } }] } : {}) });
    expect(triggered.status, JSON.stringify(triggered.body)).toBe(202);
    await waitForRun(harness.runtime, clientId, triggered.body.runId, [settle]);
  }

  beforeAll(async () => {
    harness = await startConsole({ clockStart: CLOCK_START, runtime: { apiTokens: parseApiTokens(TOKENS) } });
    page = harness.page;
    acmeSchedule = await onboardWithDiagnostics(ACME, 'Acme Utilities');
    const betaSchedule = await onboardWithDiagnostics(BETA, 'Beta Power');
    await Promise.all([
      runToEnd(ACME, acmeSchedule, '2026-11-10', 'FAILED'),
      runToEnd(ACME, acmeSchedule, '2026-11-18', 'FAILED'),
      runToEnd(ACME, acmeSchedule, '2026-11-19', 'COMPLETED'),
      runToEnd(BETA, betaSchedule, '2026-11-12', 'FAILED'),
    ]);
    await signIn(page, harness.runtime.url, 'test-admin-token', ACME);
  }, 120_000);

  afterAll(async () => {
    await harness?.stop();
  });

  it('lists the failed runs of both clients oldest first with their error, and opens one at its failed items', async () => {
    await page.getByRole('link', { name: 'Needs attention' }).click();
    await page.getByRole('heading', { name: 'Needs attention', level: 1 }).waitFor();
    const rows = page.locator('table.attention tbody tr');
    await poll(() => rows.count()).toBe(3);
    expect(await rows.locator('th').allTextContents()).toEqual(['Tue 10 Nov 2026', 'Thu 12 Nov 2026', 'Wed 18 Nov 2026']);
    expect(await rows.locator('td:nth-child(2)').allTextContents()).toEqual([ACME, BETA, ACME]);
    expect(await rows.first().textContent()).toContain('ITEMS_FAILED');
    expect(await page.locator('.run-summary').textContent()).toContain('3 runs need a person');
    await screenshot(page, 'needs-attention');

    await page.getByRole('link', { name: `Open the run of Diagnostics (${ACME}) for Tue 10 Nov 2026` }).click();
    await page.locator('#run-title').filter({ hasText: 'Diagnostics · Tue 10 Nov 2026' }).waitFor();
    expect(await page.locator('.run-head .status-large').textContent()).toBe('Failed');
    // The failed job's failed items are open: what to look at first.
    await poll(() => page.locator('.items-panel tbody tr').count()).toBe(1);
  });

  it('shows each run as a square of the 30-day grid, named by its status, and opens the failed one', async () => {
    await page.goto(`${harness.runtime.url}/#/c/${ACME}/grid`);
    await page.getByRole('heading', { name: 'Run grid', level: 1 }).waitFor();
    const failed = page.getByRole('link', { name: 'Diagnostics, Wed 18 Nov 2026: Failed' });
    await failed.waitFor();
    expect(await page.getByRole('link', { name: 'Diagnostics, Thu 19 Nov 2026: Completed' }).count()).toBe(1);
    expect(await page.locator(`tr[data-schedule-id="${acmeSchedule}"] td`).count()).toBe(30);
    expect(await page.locator(`tr[data-schedule-id="${acmeSchedule}"] td`).last().locator('.square').getAttribute('title')).toBe('Diagnostics, Fri 20 Nov 2026: no run');
    expect(await page.getByLabel('Legend').textContent()).toMatch(/completed.*failed.*late \(past its deadline\).*no run/);
    expect(await unlabelledControls(page)).toEqual([]);
    expect(await lowContrastTexts(page)).toEqual([]);
    await screenshot(page, 'run-grid');

    await failed.click();
    await page.locator('#run-title').filter({ hasText: 'Diagnostics · Wed 18 Nov 2026' }).waitFor();
    expect(await page.locator('.run-head .status-large').textContent()).toBe('Failed');
  });

  it('shows an operator of one client only that client’s failures', async () => {
    await page.evaluate(() => window.sessionStorage.clear());
    await signIn(page, harness.runtime.url, 'acme-operator', ACME);
    await page.goto(`${harness.runtime.url}/#/c/${ACME}/attention`);
    const rows = page.locator('table.attention tbody tr');
    await poll(() => rows.count()).toBe(2);
    expect(await page.locator('table.attention').textContent()).not.toContain(BETA);
    expect(await page.locator('.run-summary').textContent()).toContain('1 client');
  });

  it('marks a run past its deadline Late in the inbox, on the grid and on the run page', { timeout: 90_000 }, async () => {
    // The run waits at a manual job, so it is still RUNNING when its one-minute deadline passes.
    const gated = await call(ACME, 'POST', '/schedules', {
      name: 'Gated close',
      frequency: { type: 'MANUAL' },
      executionTime: '02:00:00',
      timezone: 'America/New_York',
      deadlineMinutes: 1,
      jobs: [{ type: 'SYNTHETIC', settings: { items: 1 } }, { type: 'SYNTHETIC', settings: { items: 1 }, start: 'MANUAL' }],
    });
    expect(gated.status, JSON.stringify(gated.body)).toBe(201);
    const run = await call(ACME, 'POST', `/schedules/${gated.body.scheduleId}/runs`, { processingDate: '2026-11-17' });
    await expect.poll(async () => (await call(ACME, 'GET', `/runs/${run.body.runId}`)).body.waitingReason?.code, { timeout: 45_000 }).toBe('MANUAL_JOB');
    harness.advanceRuntimeClock(2 * 60_000);
    await expect.poll(async () => (await call(ACME, 'GET', `/runs/${run.body.runId}`)).body.late, { timeout: 30_000 }).toBe(true);

    await page.goto(`${harness.runtime.url}/#/c/${ACME}/attention?scope=client`);
    const row = page.locator(`table.attention tbody tr[data-run-id="${run.body.runId}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-reasons')).toBe('LATE');
    expect(await row.locator('.tag-late').textContent()).toContain('Late');
    expect(await row.textContent()).toContain('Not completed by its deadline');

    await page.goto(`${harness.runtime.url}/#/c/${ACME}/grid`);
    await page.getByRole('link', { name: 'Gated close, Tue 17 Nov 2026: Running, late' }).click();
    await page.locator('#run-title').filter({ hasText: 'Gated close · Tue 17 Nov 2026' }).waitFor();
    expect(await page.locator('.run-head .tag-late').count()).toBe(1);
    expect(await page.locator('.facts').textContent()).toMatch(/Deadline.*\(missed\)/);
    expect(harness.pageErrors).toEqual([]);
  });
});
