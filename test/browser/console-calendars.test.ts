import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, api } from '../support/local-runtime';
import { lowContrastTexts, unlabelledControls } from './support/console-checks';
import { poll, screenshot, signIn, startConsole, type ConsoleHarness } from './support/console-harness';

/*
 * Plan in business days (issue 14): an admin makes a calendar in the console, sees the year with
 * its weekends and holidays, points a month-end schedule at it, and watches the preview move a
 * holiday's occurrence to the business day before; the schedule's dependencies are picked from
 * the client's schedules, and a calendar in use cannot be deleted. The clock starts on Friday
 * 20 November 2026, 10:00 in New York.
 */

const CLIENT = 'cal-co';
const CLOCK_START = '2026-11-20T15:00:00Z';

describe('the console’s business-day calendars', () => {
  let harness: ConsoleHarness;
  let page: Page;
  let scheduleId: string;
  const call = (method: string, path: string, body?: unknown) => api(harness.runtime, method, `/v1/clients/${CLIENT}${path}`, body);
  const previewDates = () => page.locator('.preview .occurrences li strong').allTextContents();

  beforeAll(async () => {
    harness = await startConsole({ clockStart: CLOCK_START });
    page = harness.page;
    expect((await call('PUT', '', { name: 'Calendar Gas', timezone: 'America/New_York' })).status).toBe(201);
    const created = await call('POST', '/schedules', {
      name: 'Month-end close',
      frequency: { type: 'MONTH_END', offsetDays: 0 },
      executionTime: '00:30:00',
      timezone: 'America/New_York',
      jobs: [{ type: 'SYNTHETIC', settings: { items: 2 } }],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    scheduleId = created.body.scheduleId;
    await signIn(page, harness.runtime.url, ADMIN_TOKEN, CLIENT);
  });

  afterAll(async () => {
    await harness?.stop();
  });

  it('creates a calendar whose year shows its weekend days and holidays as they are typed', async () => {
    await page.getByRole('link', { name: 'Calendars' }).click();
    await page.getByRole('heading', { name: 'Business-day calendars', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'New calendar' }).click();
    await page.getByRole('heading', { name: 'New calendar', level: 1 }).waitFor();
    await page.getByLabel('Calendar id').fill('us-banking');
    await page.getByLabel('Name', { exact: true }).fill('US banking');
    expect(await page.getByLabel('Saturday').isChecked()).toBe(true);
    await page.getByLabel('Holidays').fill('2026-12-31\n2026-12-25, 2026-11-26');
    const december31 = page.locator('.year-view td[data-date="2026-12-31"]');
    await poll(() => december31.getAttribute('data-kind')).toBe('holiday');
    expect(await december31.getAttribute('title')).toBe('Thu 31 Dec 2026: holiday');
    expect(await page.locator('.year-view td[data-date="2026-12-26"]').getAttribute('data-kind')).toBe('weekend');
    // December 2026: 23 weekdays, two of them holidays.
    expect(await page.locator('table.month[data-month="2026-12"] caption').textContent()).toContain('21 business days');
    expect(await unlabelledControls(page)).toEqual([]);
    expect(await lowContrastTexts(page)).toEqual([]);
    await screenshot(page, 'calendar-year', { fullPage: true });

    await page.getByRole('button', { name: 'Create calendar' }).click();
    await page.getByRole('heading', { name: 'Business-day calendars', level: 1 }).waitFor();
    await poll(() => page.locator('tr[data-calendar-id="us-banking"]').count()).toBe(1);
    expect((await call('GET', '/calendars/us-banking')).body).toMatchObject({ name: 'US banking', weekend: ['SAT', 'SUN'], holidays: ['2026-11-26', '2026-12-25', '2026-12-31'] });
  });

  it('moves the month-end occurrence off the holiday in the live preview once the schedule follows the calendar, and saves it with its dependency', async () => {
    await page.goto(`${harness.runtime.url}/#/c/${CLIENT}/schedules/${scheduleId}`);
    await page.getByRole('heading', { name: 'Edit “Month-end close”' }).waitFor();
    await poll(previewDates).toEqual(['Mon 30 Nov 2026', 'Thu 31 Dec 2026', 'Sun 31 Jan 2027', 'Sun 28 Feb 2027', 'Wed 31 Mar 2027']);

    await page.getByLabel('Business-day calendar').selectOption('us-banking');
    await page.getByLabel('On a weekend day or holiday').selectOption('PREVIOUS');
    await poll(previewDates).toEqual(['Mon 30 Nov 2026', 'Wed 30 Dec 2026', 'Fri 29 Jan 2027', 'Fri 26 Feb 2027', 'Wed 31 Mar 2027']);

    // Counted in business days, one before the last business day.
    await page.getByLabel('Days before the end').fill('1');
    await page.getByLabel('Counted in').selectOption('BUSINESS_DAYS');
    await poll(previewDates).toEqual(['Fri 27 Nov 2026', 'Tue 29 Dec 2026', 'Thu 28 Jan 2027', 'Thu 25 Feb 2027', 'Tue 30 Mar 2027']);
    expect(await page.locator('.frequency-words').textContent()).toContain('1 business day before the month’s last business day');

    await page.getByRole('group', { name: 'Waits for these schedules' }).getByLabel('Daily billing').check();
    await screenshot(page, 'schedule-form-business-days', { fullPage: true });
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('.toast').filter({ hasText: 'saved (version 2)' }).waitFor();
    const saved = (await call('GET', `/schedules/${scheduleId}`)).body;
    const daily = (await call('GET', '/schedules/daily')).body;
    expect(saved).toMatchObject({ calendarId: 'us-banking', nonBusinessDay: 'PREVIOUS', frequency: { type: 'MONTH_END', offsetDays: 1, offsetUnit: 'BUSINESS_DAYS' }, dependsOn: [{ scheduleId: daily.scheduleId }] });
    expect(saved.nextRuns[0]).toMatchObject({ processingDate: '2026-11-27' });
  });

  it('refuses to delete a calendar a schedule uses, and says so', async () => {
    await page.goto(`${harness.runtime.url}/#/c/${CLIENT}/calendars`);
    await page.getByRole('button', { name: 'Delete US banking' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete calendar' }).click();
    await page.locator('.toast').filter({ hasText: 'The calendar is in use' }).waitFor();
    expect((await call('GET', '/calendars/us-banking')).status).toBe(200);
    expect(harness.pageErrors).toEqual([]);
  });
});
