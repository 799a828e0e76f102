import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, api } from '../support/local-runtime';
import { lowContrastTexts, unlabelledControls } from './support/console-checks';
import { poll, screenshot, signIn, startConsole, type ConsoleHarness } from './support/console-harness';

/*
 * Re-run a range and approve a gate (issue 14): an operator backfills a week of a schedule from its
 * page and watches every date's run finish, a date that already had a run keeping it; and starts
 * the job a run waits at for a person, the run then completing. The clock starts on Friday
 * 20 November 2026, 10:00 in New York.
 */

const CLIENT = 'bf-co';
const CLOCK_START = '2026-11-20T15:00:00Z';

describe('the console’s backfill and manual job start', () => {
  let harness: ConsoleHarness;
  let page: Page;
  const call = (method: string, path: string, body?: unknown) => api(harness.runtime, method, `/v1/clients/${CLIENT}${path}`, body);

  async function createSchedule(config: Record<string, unknown>): Promise<string> {
    const created = await call('POST', '/schedules', { executionTime: '02:00:00', timezone: 'America/New_York', ...config });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.scheduleId;
  }

  beforeAll(async () => {
    harness = await startConsole({ clockStart: CLOCK_START });
    page = harness.page;
    expect((await call('PUT', '', { name: 'Backfill Water', timezone: 'America/New_York' })).status).toBe(201);
    await signIn(page, harness.runtime.url, ADMIN_TOKEN, CLIENT);
  });

  afterAll(async () => {
    await harness?.stop();
  });

  it('backfills a range from the schedule’s page, shows its dates, and follows it until every run has ended', { timeout: 120_000 }, async () => {
    const id = await createSchedule({ name: 'Weekday sync', frequency: { type: 'CRON', expression: '0 2 ? * MON-FRI *' }, jobs: [{ type: 'SYNTHETIC', settings: { items: 3 } }] });
    const existing = await call('POST', `/schedules/${id}/runs`, { processingDate: '2026-11-11' });
    expect(existing.status).toBe(202);

    await page.goto(`${harness.runtime.url}/#/c/${CLIENT}/schedules/${id}`);
    await page.getByRole('heading', { name: 'Edit “Weekday sync”' }).waitFor();
    await page.getByRole('button', { name: 'Backfill a date range…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Backfill “Weekday sync”' });
    await dialog.getByLabel('From processing date').fill('2026-11-09');
    await dialog.getByLabel('To processing date (included)').fill('2026-11-15');
    await dialog.getByLabel('Runs at a time').fill('2');
    await dialog.getByRole('button', { name: 'Start backfill' }).click();

    await page.getByRole('heading', { name: 'Backfill', level: 1 }).waitFor();
    // Monday to Friday: the weekend has no occurrence.
    await poll(() => page.locator('table.backfill tbody th').allTextContents()).toEqual(['Mon 9 Nov 2026', 'Tue 10 Nov 2026', 'Wed 11 Nov 2026', 'Thu 12 Nov 2026', 'Fri 13 Nov 2026']);
    await expect.poll(() => page.locator('.run-summary').textContent(), { timeout: 90_000 }).toContain('Done');
    expect(await page.locator('.run-summary').textContent()).toContain('5 of 5 dates ended (5 completed)');
    expect(await page.locator('table.backfill tbody tr[data-status="COMPLETED"]').count()).toBe(5);
    expect(await unlabelledControls(page)).toEqual([]);
    expect(await lowContrastTexts(page)).toEqual([]);
    await screenshot(page, 'backfill-done');

    const kept = (await call('GET', `/schedules/${id}/runs/2026-11-11`)).body;
    expect(kept.runId).toBe(existing.body.runId);
    await page.getByRole('link', { name: 'Open the run of Wed 11 Nov 2026' }).click();
    await page.locator('#run-title').filter({ hasText: 'Weekday sync · Wed 11 Nov 2026' }).waitFor();
  });

  it('shows why a run waits for a person, and starts the manual job so the run completes', { timeout: 90_000 }, async () => {
    const id = await createSchedule({
      name: 'Month-end approval',
      frequency: { type: 'MANUAL' },
      jobs: [
        { type: 'SYNTHETIC', settings: { items: 2 } },
        { type: 'SYNTHETIC', settings: { items: 2 }, start: 'MANUAL' },
      ],
    });
    const run = await call('POST', `/schedules/${id}/runs`, { processingDate: '2026-11-19' });
    expect(run.status).toBe(202);
    await expect.poll(async () => (await call('GET', `/runs/${run.body.runId}`)).body.waitingReason?.code, { timeout: 45_000 }).toBe('MANUAL_JOB');

    await page.goto(`${harness.runtime.url}/#/c/${CLIENT}/execution?schedule=${id}&date=2026-11-19`);
    await poll(() => page.locator('.waiting-note').textContent()).toContain('Waiting for an operator to start the next job');
    await screenshot(page, 'execution-manual-job');
    await page.getByRole('button', { name: 'Start job 2 (Synthetic (diagnostic))…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Start job 2' }).click();
    await page.locator('.toast').filter({ hasText: 'Job 2 started' }).waitFor();
    await expect.poll(() => page.locator('.run-head .status-large').textContent(), { timeout: 60_000 }).toBe('Completed');
    expect(await page.getByRole('button', { name: /Start job/ }).count()).toBe(0);
    expect(harness.pageErrors).toEqual([]);
  });
});
