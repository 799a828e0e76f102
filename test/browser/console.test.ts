import { createHash } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Locator, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, api } from '../support/local-runtime';
import { lowContrastTexts, unlabelledControls } from './support/console-checks';
import { fieldError, poll, screenshot as screenshotOf, startConsole, type ConsoleHarness } from './support/console-harness';
import { NodeSha256 } from './support/node-sha256';

/*
 * The operator console in real Chromium against the local runtime: the same API, engine, ASL and
 * workers as `npm start`. One browser and one runtime for the file; the tests follow an
 * operator's day in order and share its state. The clock starts on Wednesday 25 November 2026.
 *
 * Screenshots of the main screens go to test-results/screenshots, or with UPDATE_SCREENSHOTS=1
 * to docs/screenshots, which the README shows.
 */

const CLIENT = 'acme';
const CLOCK_START = '2026-11-25T19:46:00Z';
/** A processing date before the clock's today, so the screens (and screenshots) do not depend on the real date. */
const RUN_DATE = '2026-11-20';
const RUN_DATE_LABEL = 'Fri 20 Nov 2026';

/** Long enough to watch it progress: 16 batches of 100 items, 600 ms per chunk of 50, 4 workers. */
const SYNTHETIC = { items: '1600', failItems: '7, 1500', delayMs: '600', batchSize: '100' };

describe('the operator console in Chromium', () => {
  let harness: ConsoleHarness;
  let runtime: ConsoleHarness['runtime'];
  let browser: ConsoleHarness['browser'];
  let page: Page;
  let pageErrors: string[];

  beforeAll(async () => {
    harness = await startConsole({ clockStart: CLOCK_START });
    ({ runtime, browser, page, pageErrors } = harness);
  });

  afterAll(async () => {
    await harness?.stop();
  });

  const screenshot = (name: string, options: { fullPage?: boolean } = {}): Promise<void> => screenshotOf(page, name, options);

  function runStatus(): Locator {
    return page.locator('.run-head .status-large');
  }

  it('signs in with a token, explains a refused one, and onboards a new client', async () => {
    await page.goto(runtime.url);
    await poll(() => page.title()).toContain('Sign in');
    await screenshot('sign-in');

    await page.getByLabel('API token').fill('not-the-token');
    await page.getByLabel('Client id').fill(CLIENT);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await poll(() => fieldError(page.getByLabel('API token')).textContent()).toContain('This token is not accepted');
    expect(await page.getByLabel('API token').getAttribute('aria-invalid')).toBe('true');

    await page.getByLabel('API token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: `Client “${CLIENT}” does not exist yet` }).waitFor();
    await page.getByLabel('Client name').fill('Acme Utilities');
    await page.getByLabel('Time zone').fill('America/New_York');
    await page.getByRole('button', { name: `Onboard ${CLIENT}` }).click();

    await page.getByRole('heading', { name: 'Schedules', level: 1 }).waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('jsm.token'))).toBe(ADMIN_TOKEN);
    const daily = page.getByRole('row', { name: /Daily billing/ });
    await poll(() => daily.textContent()).toContain('Every day');
    expect(await daily.textContent()).toContain('01:00 America/New_York');
    expect(await daily.textContent()).toContain('Cannot be deleted');
    expect(await daily.getByRole('button', { name: /Delete/ }).count()).toBe(0);
  });

  it('shows server validation errors at their fields, and reorders and resets the job sequence', async () => {
    await page.getByRole('link', { name: 'New schedule' }).click();
    await page.getByRole('heading', { name: 'New schedule' }).waitFor();
    const jobs = page.getByRole('list').filter({ has: page.locator('.job-row') });
    const jobOrder = (): Promise<string[]> => jobs.locator('.job-row').evaluateAll((rows) => rows.map((row) => row.getAttribute('aria-label') ?? ''));
    // The heading shows at once; the form, job list included, once the client's calendars and schedules are read.
    await jobs.locator('.job-row').first().waitFor();
    expect(await jobOrder()).toEqual(['Job 1: Usage rating', 'Job 2: Transaction sync', 'Job 3: Billing']);

    await page.getByRole('button', { name: 'Move job 3 up' }).click();
    expect(await jobOrder()).toEqual(['Job 1: Usage rating', 'Job 2: Billing', 'Job 3: Transaction sync']);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toContain('Move job 2 up');
    await page.getByRole('button', { name: 'Remove job 1' }).click();
    expect(await jobOrder()).toEqual(['Job 1: Billing', 'Job 2: Transaction sync']);
    await page.getByRole('button', { name: /Use the recommended daily sequence/ }).click();
    expect(await jobOrder()).toEqual(['Job 1: Usage rating', 'Job 2: Transaction sync', 'Job 3: Billing']);

    await page.getByLabel('Frequency').selectOption('MONTHLY');
    await page.getByLabel('Day of the month').fill('40');
    await page.getByLabel('Execution time').fill('25:00:00');
    await page.getByRole('button', { name: 'Add exception window' }).click();
    await page.getByLabel('Window 1 start').fill('01:00:00');
    await page.getByLabel('Window 1 end').fill('1am');
    await poll(() => page.locator('.preview').textContent()).toContain('No preview');
    await page.getByRole('button', { name: 'Create schedule' }).click();

    const summary = page.getByRole('alert').filter({ hasText: 'The schedule was not saved' });
    await summary.waitFor();
    for (const label of ['Name', 'Day of the month', 'Execution time', 'Window 1 end']) {
      const control = page.getByLabel(label, { exact: true });
      expect(await control.getAttribute('aria-invalid'), label).toBe('true');
      expect((await fieldError(control).textContent())?.length, label).toBeGreaterThan(3);
    }
    expect(await fieldError(page.getByLabel('Day of the month')).textContent()).toMatch(/31/);
    expect(await fieldError(page.getByLabel('Execution time')).textContent()).toMatch(/HH:MM:SS/);
    expect(await page.getByLabel('Window 1 start').getAttribute('aria-invalid')).toBeNull();
    await screenshot('schedule-validation', { fullPage: true });

    await summary.getByRole('link', { name: /^Execution time/ }).click();
    expect(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.name)).toBe('executionTime');
    await page.getByLabel('Execution time').fill('18:00');
    expect(await page.getByLabel('Execution time').getAttribute('aria-invalid')).toBeNull();
    expect(await summary.getByRole('listitem').count()).toBe(3);
  });

  it('creates a schedule while the server previews its next runs', async () => {
    await page.getByLabel('Name', { exact: true }).fill('Synthetic nightly');
    await page.getByLabel('Description').fill('Diagnostic: items 7 and 1500 fail until healed');
    await page.getByLabel('Frequency').selectOption('WEEKLY');
    await page.getByLabel('Day of the week').selectOption('FRI');
    await page.getByLabel('Execution time').fill('02:30:00');
    await page.getByRole('button', { name: 'Remove exception window 1' }).click();

    const preview = page.locator('.preview .occurrences li');
    // The preview follows the form a moment later: wait for the one of these fields.
    await poll(async () => (await preview.allTextContents()).filter((text) => /^Fri .*02:30 E[SD]T/.test(text)).length).toBe(5);
    expect(await page.locator('.frequency-words').textContent()).toBe('Every Friday at 02:30 America/New_York');

    await page.getByLabel('Job 1', { exact: true }).selectOption('SYNTHETIC');
    await page.getByRole('button', { name: 'Remove job 3' }).click();
    await page.getByRole('button', { name: 'Remove job 2' }).click();
    await page.getByLabel('Work items').fill(SYNTHETIC.items);
    await page.getByLabel('Failing item indexes').fill(SYNTHETIC.failItems);
    await page.getByLabel('Delay per chunk (ms)').fill(SYNTHETIC.delayMs);
    await page.getByLabel('Items per batch').fill(SYNTHETIC.batchSize);
    await screenshot('schedule-form', { fullPage: true });
    await page.getByRole('button', { name: 'Create schedule' }).click();

    await page.getByRole('heading', { name: 'Schedules', level: 1 }).waitFor();
    const row = page.getByRole('row', { name: /Synthetic nightly/ });
    await poll(() => row.textContent()).toContain('Every Friday');
    expect(await row.textContent()).toContain('02:30 America/New_York');
    expect(await row.textContent()).toMatch(/Fri \d+ \w+ \d{4}, 02:30 E[SD]T/);
    await screenshot('schedules');
  });

  it('triggers the run, watches the SYNTHETIC job fail, drills into the failed items, reprocesses with heal and sees COMPLETED', { timeout: 120_000 }, async () => {
    await page.getByRole('link', { name: 'Runs of Synthetic nightly' }).click();
    await page.getByRole('heading', { name: 'Execution', level: 1 }).waitFor();
    await page.getByLabel('Processing date').fill(RUN_DATE);
    await page.getByRole('heading', { name: `No run of “Synthetic nightly” for ${RUN_DATE_LABEL}` }).waitFor();
    await page.getByRole('button', { name: 'Create and run' }).click();

    await expect.poll(() => runStatus().textContent(), { timeout: 15_000 }).toMatch(/Pending|Running/);
    await page.locator('.tile [role="progressbar"]:not([aria-valuenow="0"])').waitFor({ timeout: 30_000 });
    await screenshot('execution-running');

    await expect.poll(() => runStatus().textContent(), { timeout: 60_000 }).toBe('Failed');
    const tile = page.getByRole('listitem', { name: /Job 1: Synthetic \(diagnostic\), Failed/ });
    expect(await tile.locator('.stat-failed dd').textContent()).toBe('2');
    expect(await page.locator('.run-head').textContent()).toContain('ITEMS_FAILED');
    await poll(() => page.locator(`[data-date="${RUN_DATE}"]`).getAttribute('aria-label')).toBe(`${RUN_DATE_LABEL}: run Failed`);

    await tile.getByRole('button', { name: 'Failed items (2)' }).click();
    const items = page.getByRole('region', { name: /Work items of job 1/ });
    await poll(() => items.locator('tbody tr').count()).toBe(2);
    expect(await items.locator('tbody th').allTextContents()).toEqual(['item-0000007', 'item-0001500']);
    expect(await items.locator('tbody').textContent()).toContain('SYNTHETIC_FAILURE');
    expect(await items.locator('tbody tr').first().locator('td').nth(1).textContent()).toBe('2');
    expect(page.url()).toContain('status=FAILED');
    await screenshot('execution-failed-items', { fullPage: true });

    await page.getByRole('button', { name: 'Reprocess run…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Reprocess the run?' });
    await dialog.getByLabel(/Heal/).check();
    await dialog.getByRole('button', { name: 'Reprocess run' }).click();
    await page.locator('.toast').filter({ hasText: 'Reprocessing started' }).waitFor();

    await expect.poll(() => runStatus().textContent(), { timeout: 60_000 }).toBe('Completed');
    await poll(() => items.textContent()).toContain('No failed work items.');
    expect(await page.locator('.run-head').textContent()).toContain('1,600 items: 1,600 succeeded · 0 failed · 0 pending');
    // The failure stays visible: the run is on its second pass, and the healed items show their tries.
    expect(await page.locator('.facts').textContent()).toContain('Pass2');
    expect(await page.locator('.history-note').textContent()).toContain('reprocessed once');
    expect(await page.locator(`[data-date="${RUN_DATE}"]`).getAttribute('aria-label')).toContain('run Completed');
    await items.getByLabel('Status').selectOption('');
    await expect.poll(() => items.locator('tbody tr').count(), { timeout: 15_000 }).toBe(100);
    await items.getByRole('button', { name: 'Next page ›' }).click();
    await expect.poll(() => items.locator('.pager').textContent(), { timeout: 15_000 }).toContain('Page 2');
    await items.getByRole('button', { name: '‹ Previous page' }).click();
    await expect.poll(() => items.locator('tbody th').first().textContent(), { timeout: 15_000 }).toBe('item-0000000');
    expect(await items.locator('[aria-live]').first().textContent()).toBe('Items 1–100 of 1,600 items (page 1)');
    await items.getByLabel('Find an item by id').fill('item-0001500');
    await items.getByRole('button', { name: 'Find' }).click();
    await expect.poll(() => items.locator('tbody th').allTextContents(), { timeout: 15_000 }).toEqual(['item-0001500']);
    expect(Number(await items.locator('tbody tr').first().locator('td.num').textContent())).toBeGreaterThan(1);
    await screenshot('execution-completed', { fullPage: true });
  });

  it('reprocesses one job with all its items and resets the run, each confirmed and reported', { timeout: 120_000 }, async () => {
    await page.getByRole('button', { name: 'Reprocess job…' }).click();
    const jobDialog = page.getByRole('dialog', { name: /Reprocess job 1/ });
    await jobDialog.getByLabel(/All items/).check();
    // Every item runs again, the two injected failures too: healed, or the job fails again.
    await jobDialog.getByLabel(/Heal/).check();
    await jobDialog.getByRole('button', { name: 'Reprocess job' }).click();
    await page.locator('.toast').filter({ hasText: 'Job 1 reprocessing started' }).waitFor();
    await expect.poll(() => runStatus().textContent(), { timeout: 60_000 }).toBe('Completed');

    await page.getByRole('button', { name: 'Reset run…' }).click();
    const resetDialog = page.getByRole('dialog', { name: 'Reset the run?' });
    await resetDialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await runStatus().textContent()).toBe('Completed');
    await page.getByRole('button', { name: 'Reset run…' }).click();
    await resetDialog.getByRole('button', { name: 'Reset run' }).click();
    await page.locator('.toast').filter({ hasText: 'Run reset' }).waitFor();
    await poll(() => runStatus().textContent()).toBe('Reset');
    expect(await page.getByRole('button', { name: 'Reprocess run…' }).isDisabled()).toBe(true);

    await page.getByRole('button', { name: 'Run again (attempt 2)' }).click();
    await page.locator('.toast').filter({ hasText: 'Attempt 2 created' }).waitFor();
    await poll(() => page.locator('.facts').textContent()).toContain('Attempt2');
    await expect.poll(() => runStatus().textContent(), { timeout: 60_000 }).toBe('Failed');
  });

  it('shows an action’s error instead of hiding it', async () => {
    const { body: run } = await api(runtime, 'GET', `/v1/clients/${CLIENT}/runs?date=${RUN_DATE}&status=FAILED`);
    // Reset the run behind the console's back: its next action is refused with 409.
    expect((await api(runtime, 'POST', `/v1/clients/${CLIENT}/runs/${run.items[0].runId}/reset`)).status).toBe(200);
    await page.getByRole('button', { name: 'Reprocess run…' }).click();
    await page.getByRole('dialog', { name: 'Reprocess the run?' }).getByRole('button', { name: 'Reprocess run' }).click();
    const toast = page.getByRole('alert').filter({ hasText: 'The run was not reprocessed' });
    await toast.waitFor();
    expect(await toast.textContent()).toMatch(/409/);
  });

  it('lists the runs of a date across schedules, those that need a person first', { timeout: 120_000 }, async () => {
    const quick = await api(runtime, 'POST', `/v1/clients/${CLIENT}/schedules`, {
      name: 'Synthetic quick check',
      frequency: { type: 'MANUAL' },
      executionTime: '03:00:00',
      timezone: 'America/New_York',
      jobs: [{ type: 'SYNTHETIC', settings: { items: 40 } }],
    });
    expect((await api(runtime, 'POST', `/v1/clients/${CLIENT}/schedules/${quick.body.scheduleId}/runs`, { processingDate: RUN_DATE })).status).toBe(202);
    await page.goto(`${runtime.url}/#/c/${CLIENT}/runs?date=${RUN_DATE}`);
    await page.getByRole('heading', { name: 'Runs by date' }).waitFor();
    const rows = page.locator('table.runs tbody tr');
    await poll(() => rows.count()).toBe(1);
    await expect.poll(() => page.locator('.run-summary').textContent(), { timeout: 30_000 }).toContain('1 completed');
    expect(await page.locator('.run-summary').textContent()).toContain('2 reset attempts not shown');
    expect(await rows.first().textContent()).toContain('Synthetic quick check');

    const { body: resets } = await api(runtime, 'GET', `/v1/clients/${CLIENT}/runs?date=${RUN_DATE}&status=RESET`);
    await api(runtime, 'POST', `/v1/clients/${CLIENT}/schedules/${resets.items[0].scheduleId}/runs`, { processingDate: RUN_DATE });
    await page.getByRole('button', { name: 'Next day ›' }).click();
    await page.getByRole('button', { name: '‹ Previous day' }).click();
    await poll(() => rows.count()).toBe(2);
    await expect.poll(() => rows.first().getAttribute('data-status'), { timeout: 60_000 }).toBe('FAILED');
    expect(await rows.first().textContent()).toContain('Synthetic nightly');
    expect(await page.locator('.run-summary').textContent()).toContain('1 needs a person');
    await screenshot('runs-by-date');
  });

  it('moves through the run calendar and the days with the keyboard alone', async () => {
    await page.goto(`${runtime.url}/#/c/${CLIENT}/execution?date=${RUN_DATE}`);
    await page.getByLabel('Schedule').selectOption({ label: 'Synthetic nightly' });
    await expect.poll(() => runStatus().textContent(), { timeout: 60_000 }).toBe('Failed');
    await poll(() => page.locator(`[data-date="${RUN_DATE}"]`).getAttribute('aria-label')).toBe(`${RUN_DATE_LABEL}: run Failed`);

    await page.locator(`[data-date="${RUN_DATE}"]`).focus();
    await page.keyboard.press('ArrowDown');
    expect(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.date)).toBe('2026-11-27');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    expect(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.date)).toBe('2026-12-01');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'No run of “Synthetic nightly” for Tue 1 Dec 2026' }).waitFor();
    expect(await page.locator('.calendar-title').textContent()).toBe('December 2026');
    expect(page.url()).toContain('date=2026-12-01');

    await page.getByRole('button', { name: '‹ Previous day' }).press('Enter');
    await page.getByRole('heading', { name: 'No run of “Synthetic nightly” for Mon 30 Nov 2026' }).waitFor();
    // Back in November the calendar is drawn again once the month's runs are read (its legend
    // replaces "Finding runs…"): tab through it only when it no longer changes under the keys.
    await poll(() => page.locator('.calendar-title').textContent()).toBe('November 2026');
    await page.locator('.calendar-legend .legend-item').first().waitFor();
    await page.getByRole('button', { name: 'Next day ›' }).focus();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Previous month');
  });

  it('explains a stale edit (412) and reloads the latest version; the mandatory schedule says why it cannot be deleted', async () => {
    await page.goto(`${runtime.url}/#/c/${CLIENT}/schedules/daily`);
    await page.getByRole('heading', { name: 'Edit “Daily billing”' }).waitFor();
    expect(await page.locator('#mandatory-note').textContent()).toContain('cannot be deleted');
    expect(await page.getByRole('button', { name: 'Delete schedule' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Remove job 3' }).isDisabled()).toBe(true);

    const { body: current, etag } = await fetchSchedule('daily');
    const { version: _version, scheduleId: _id, clientId: _client, mandatory: _mandatory, createdAt: _created, updatedAt: _updated, nextRuns: _next, ...config } = current;
    const changed = await api(runtime, 'PUT', `/v1/clients/${CLIENT}/schedules/daily`, { ...config, description: 'Changed by a colleague' }, ADMIN_TOKEN, { 'if-match': etag });
    expect(changed.status).toBe(200);

    await page.getByLabel('Description').fill('My change');
    await page.getByRole('button', { name: 'Save changes' }).click();
    const stale = page.getByRole('alert').filter({ hasText: 'Someone else changed this schedule' });
    await stale.waitFor();
    expect(await stale.textContent()).toContain('You were editing version 1');
    await screenshot('schedule-stale-edit');

    await stale.getByRole('button', { name: 'Reload the latest version' }).click();
    await poll(() => page.getByLabel('Description').inputValue()).toBe('Changed by a colleague');
    expect(await page.locator('.form-actions').textContent()).toContain('Editing version 2');
    await page.getByLabel('Description').fill('My change, made again');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('.toast').filter({ hasText: 'saved (version 3)' }).waitFor();
    expect((await fetchSchedule('daily')).body.description).toBe('My change, made again');
  });

  it('signs in through Cognito managed login and signs every API call with SigV4, as deployed (Cognito and API Gateway stood in for)', async () => {
    const stand = deployedStandIns(runtime.url);
    const context = await browser.newContext({ viewport: { width: 1366, height: 860 }, locale: 'en-US', timezoneId: 'UTC', bypassCSP: true });
    try {
      await context.route('**/config.json', (route) => route.fulfill({ json: DEPLOYED_CONFIG }));
      await context.route(`${COGNITO_DOMAIN}/**`, stand.managedLogin);
      await context.route(`https://cognito-identity.${REGION}.amazonaws.com/**`, stand.identityPool);
      await context.route(`${runtime.url}/v1/**`, stand.apiGateway);
      const deployed = await context.newPage();
      deployed.on('pageerror', (error) => pageErrors.push(error.message));

      await deployed.goto(runtime.url);
      await deployed.getByRole('button', { name: 'Sign in' }).click();
      await deployed.getByRole('heading', { name: 'Choose a client' }).waitFor();
      expect(deployed.url()).not.toContain('code=');
      expect(await deployed.locator('.who').textContent()).toBe('ops@example.com');
      await deployed.getByLabel('Client id').fill(CLIENT);
      await deployed.getByRole('button', { name: 'Open' }).click();
      await deployed.getByRole('heading', { name: 'Runs by date' }).waitFor();
      await deployed.getByRole('link', { name: 'Schedules' }).click();
      await poll(() => deployed.getByRole('row', { name: /Synthetic nightly/ }).count()).toBe(1);

      expect(stand.refused).toEqual([]);
      expect(stand.verified.length).toBeGreaterThanOrEqual(3);
      expect(stand.verified).toContain(`GET /test/v1/clients/${CLIENT}/schedules`);
      expect(await deployed.evaluate(() => Object.keys(sessionStorage))).not.toContain('jsm.token');
    } finally {
      await context.close();
    }
  });

  it('labels every control, keeps text contrast at 4.5:1 or more, and raised no script error', async () => {
    for (const hash of [`#/c/${CLIENT}/schedules/new`, `#/c/${CLIENT}/execution?date=${RUN_DATE}`, `#/c/${CLIENT}/runs`]) {
      await page.goto(`${runtime.url}/${hash}`);
      await page.locator('h1').first().waitFor();
      await page.waitForLoadState('networkidle');
      expect(await unlabelledControls(page), hash).toEqual([]);
    }
    for (const hash of [`#/c/${CLIENT}/execution?date=${RUN_DATE}&job=1&status=FAILED`, `#/c/${CLIENT}/schedules`, `#/c/${CLIENT}/runs?date=${RUN_DATE}`]) {
      await page.goto(`${runtime.url}/${hash}`);
      await page.locator('h1').first().waitFor();
      await page.waitForLoadState('networkidle');
      expect(await lowContrastTexts(page), hash).toEqual([]);
    }
    const pending = await page.evaluate(() => {
      const badge = Object.assign(document.createElement('span'), { className: 'status status-pending' });
      document.body.append(badge);
      return getComputedStyle(badge).backgroundColor;
    });
    expect(pending).toBe('rgb(255, 241, 184)');
    expect(pageErrors).toEqual([]);
  });

  async function fetchSchedule(scheduleId: string): Promise<{ body: any; etag: string }> {
    const response = await fetch(`${runtime.url}/v1/clients/${CLIENT}/schedules/${scheduleId}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    return { body: await response.json(), etag: response.headers.get('etag') ?? '' };
  }
});

// ── Stand-ins for the deployed sign-in: Cognito managed login, the identity pool, API Gateway ─

const REGION = 'eu-west-1';
const COGNITO_DOMAIN = 'https://operators.auth.example.test';
const API_HOST = 'abc123.execute-api.eu-west-1.amazonaws.com';
const DEPLOYED_CONFIG = {
  auth: { mode: 'cognito', region: REGION, userPoolId: `${REGION}_Operators`, userPoolClientId: 'console-client', identityPoolId: `${REGION}:pool`, domain: COGNITO_DOMAIN },
  api: { host: API_HOST, pathPrefix: '/test', region: REGION },
};
const CREDENTIALS = { accessKeyId: 'ASIATESTOPERATOR', secretAccessKey: 'operator/secret+key', sessionToken: 'session-token/for+the=operator' };

function base64Url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url');
}


/**
 * What the deployed console talks to, played by routes in the browser: managed login (checks
 * PKCE), the identity pool (checks the ID token in Logins) and API Gateway's IAM authorization,
 * which re-signs each request as it would arrive from CloudFront (the API's host, the stage path)
 * with the AWS SDK's signer and forwards it with the admin token only if the signatures match.
 */
function deployedStandIns(runtimeUrl: string) {
  const verified: string[] = [];
  const refused: string[] = [];
  let challenge = '';
  const idToken = [base64Url('{"alg":"none"}'), base64Url(JSON.stringify({ email: 'ops@example.com', exp: Math.floor(Date.now() / 1000) + 3600 })), 'sig'].join('.');
  const cors = { 'access-control-allow-origin': runtimeUrl, 'access-control-allow-headers': 'content-type, x-amz-target', 'access-control-allow-methods': 'POST' };
  const signer = new SignatureV4({ service: 'execute-api', region: REGION, sha256: NodeSha256, credentials: CREDENTIALS, applyChecksum: false });

  return {
    verified,
    refused,
    async managedLogin(route: Route): Promise<void> {
      const request = route.request();
      const url = new URL(request.url());
      if (request.method() === 'OPTIONS') return route.fulfill({ status: 204, headers: cors });
      if (url.pathname === '/oauth2/authorize') {
        expect(url.searchParams.get('code_challenge_method')).toBe('S256');
        challenge = url.searchParams.get('code_challenge') ?? '';
        return route.fulfill({ status: 302, headers: { location: `${runtimeUrl}/?code=the-code&state=${url.searchParams.get('state')}` } });
      }
      const form = new URLSearchParams(request.postData() ?? '');
      const pkce = base64Url(createHash('sha256').update(form.get('code_verifier') ?? '').digest());
      if (url.pathname !== '/oauth2/token' || form.get('code') !== 'the-code' || pkce !== challenge) {
        return route.fulfill({ status: 400, headers: cors, json: { error: 'invalid_grant' } });
      }
      return route.fulfill({ headers: cors, json: { id_token: idToken, access_token: 'access', refresh_token: 'refresh', token_type: 'Bearer', expires_in: 3600 } });
    },
    async identityPool(route: Route): Promise<void> {
      const request = route.request();
      if (request.method() === 'OPTIONS') return route.fulfill({ status: 204, headers: cors });
      const body = request.postDataJSON() as { Logins: Record<string, string> };
      if (body.Logins[`cognito-idp.${REGION}.amazonaws.com/${REGION}_Operators`] !== idToken) {
        return route.fulfill({ status: 400, headers: cors, json: { __type: 'NotAuthorizedException', message: 'Invalid login token.' } });
      }
      const target = request.headers()['x-amz-target'];
      if (target === 'AWSCognitoIdentityService.GetId') return route.fulfill({ headers: cors, json: { IdentityId: `${REGION}:operator-1` } });
      const expiration = Math.floor(Date.now() / 1000) + 3600;
      return route.fulfill({
        headers: cors,
        json: { IdentityId: `${REGION}:operator-1`, Credentials: { AccessKeyId: CREDENTIALS.accessKeyId, SecretKey: CREDENTIALS.secretAccessKey, SessionToken: CREDENTIALS.sessionToken, Expiration: expiration } },
      });
    },
    async apiGateway(route: Route): Promise<void> {
      const request = route.request();
      const url = new URL(request.url());
      const headers = request.headers();
      const path = `/test${url.pathname}`;
      const expected = await signer.sign(
        {
          method: request.method(),
          protocol: 'https:',
          hostname: API_HOST,
          path,
          query: Object.fromEntries(url.searchParams),
          headers: { host: API_HOST, 'x-amz-date': headers['x-amz-date'] ?? '', 'x-amz-security-token': headers['x-amz-security-token'] ?? '' },
          body: request.postData() ?? undefined,
        },
        { signingDate: parseAmzDate(headers['x-amz-date'] ?? '') },
      );
      const line = `${request.method()} ${path}`;
      if (!headers.authorization || headers.authorization !== expected.headers.authorization) {
        refused.push(line);
        return route.fulfill({ status: 403, json: { error: { code: 'FORBIDDEN', message: 'The request signature we calculated does not match the signature you provided.' } } });
      }
      verified.push(line);
      const response = await route.fetch({ headers: { ...headers, authorization: `Bearer ${ADMIN_TOKEN}` } });
      return route.fulfill({ response });
    },
  };
}

function parseAmzDate(stamp: string): Date {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(stamp);
  return match ? new Date(`${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:${match[6]}Z`) : new Date(0);
}
