import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseApiTokens } from '../../lambdas/api/auth';
import { ADMIN_TOKEN, api, waitForRun } from '../support/local-runtime';
import { lowContrastTexts, unlabelledControls } from './support/console-checks';
import { poll, screenshot, signIn, startConsole, type ConsoleHarness } from './support/console-harness';

/*
 * Who changed what (issue 13): an admin edits a schedule in the console and sees, field by field,
 * what the new version changed; the audit trail lists the change, newest first, with the actor;
 * and a webhook subscription made in the console (its secret never shown back) logs the delivery
 * of a failed run's event to a receiver the test runs. The clock starts on Friday 20 November 2026.
 */

const CLIENT = 'audit-co';
const CLOCK_START = '2026-11-20T15:00:00Z';
const SECRET = 'console-test-signing-secret';

interface Received {
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

describe('the console’s versions, audit trail and notifications', () => {
  let harness: ConsoleHarness;
  let page: Page;
  let scheduleId: string;
  let receiver: Server;
  let receiverUrl: string;
  const received: Received[] = [];
  const call = (method: string, path: string, body?: unknown) => api(harness.runtime, method, `/v1/clients/${CLIENT}${path}`, body);

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        received.push({ body, headers: request.headers });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/runs`;
    harness = await startConsole({ clockStart: CLOCK_START, runtime: { apiTokens: parseApiTokens(`audit-viewer:${CLIENT}:viewer`) } });
    page = harness.page;
    expect((await call('PUT', '', { name: 'Audit Energy', timezone: 'America/New_York' })).status).toBe(201);
    const created = await call('POST', '/schedules', {
      name: 'Nightly diagnostics',
      frequency: { type: 'DAILY' },
      executionTime: '02:00:00',
      timezone: 'America/New_York',
      jobs: [{ type: 'SYNTHETIC', settings: { items: 3, failItems: [1] } }],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    scheduleId = created.body.scheduleId;
    await signIn(page, harness.runtime.url, ADMIN_TOKEN, CLIENT);
  });

  afterAll(async () => {
    await harness?.stop();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  it('shows what an edit changed, field by field, between the two versions', async () => {
    await page.goto(`${harness.runtime.url}/#/c/${CLIENT}/schedules/${scheduleId}`);
    await page.getByRole('heading', { name: 'Edit “Nightly diagnostics”' }).waitFor();
    await page.getByLabel('Execution time').fill('18:00');
    await page.getByLabel('Deadline (minutes after its time)').fill('90');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.locator('.toast').filter({ hasText: 'saved (version 2)' }).waitFor();

    await page.goto(`${harness.runtime.url}/#/c/${CLIENT}/schedules/${scheduleId}`);
    await page.getByRole('link', { name: 'Versions and changes' }).click();
    await page.getByRole('heading', { name: 'Versions of “Nightly diagnostics”' }).waitFor();
    await page.getByRole('heading', { name: 'What changed from version 1 to version 2' }).waitFor();
    expect(await page.locator('table.versions tbody tr').count()).toBe(2);
    expect(await page.locator('table.versions tbody tr').first().textContent()).toContain('admin-token');
    const changes = page.locator('table.diff tbody tr');
    expect(await changes.evaluateAll((rows) => rows.map((row) => Array.from(row.children).map((cell) => cell.textContent)))).toEqual([
      ['executionTime', 'Changed', '02:00:00', '18:00:00'],
      ['deadlineMinutes', 'Added', '—', '90'],
    ]);
    expect(await unlabelledControls(page)).toEqual([]);
    expect(await lowContrastTexts(page)).toEqual([]);
    await screenshot(page, 'schedule-versions-diff');

    await page.getByLabel('Compare version').selectOption('2');
    await page.getByText('The same version twice').waitFor();
  });

  it('lists the change in the audit trail, newest first, with the actor and what was saved', async () => {
    await page.getByRole('link', { name: 'Audit', exact: true }).click();
    await page.getByRole('heading', { name: 'Audit trail', level: 1 }).waitFor();
    const rows = page.locator('table.audit tbody tr');
    await poll(() => rows.count()).toBeGreaterThanOrEqual(2);
    const newest = rows.first();
    expect(await newest.getAttribute('data-action')).toBe('replaceSchedule');
    expect(await newest.locator('td').first().textContent()).toBe('admin-token');
    expect(await rows.evaluateAll((all) => all.map((row) => row.getAttribute('data-action')))).toContain('createSchedule');
    await newest.getByText('What changed').click();
    expect(await newest.locator('pre').textContent()).toContain('"executionTime": "18:00:00"');
    await newest.getByRole('link', { name: `schedule ${scheduleId}` }).click();
    await page.getByRole('heading', { name: 'Versions of “Nightly diagnostics”' }).waitFor();
  });

  it('pages through the audit trail, 50 records at a time, older ones after newer ones', async () => {
    for (let n = 1; n <= 55; n++) expect((await call('PUT', '', { name: `Audit Energy ${n}`, timezone: 'America/New_York' })).status).toBe(200);
    await page.goto(`${harness.runtime.url}/#/c/${CLIENT}/audit`);
    const rows = page.locator('table.audit tbody tr');
    await poll(() => rows.count()).toBe(50);
    expect(await rows.first().locator('td').last().textContent()).toContain('Audit Energy 55"');
    await page.getByRole('button', { name: 'Older ›' }).click();
    await poll(() => page.locator('table.audit caption').textContent()).toContain('page 2');
    expect(await rows.first().locator('td').last().textContent()).toContain('Audit Energy 5"');
    expect(await rows.evaluateAll((all) => all.map((row) => row.getAttribute('data-action')))).toContain('replaceSchedule');
    await page.getByRole('button', { name: '‹ Newer' }).click();
    await poll(() => page.locator('table.audit caption').textContent()).toContain('page 1');
  });

  it('adds a subscription without ever showing its secret again, and logs the failed run’s signed delivery', { timeout: 90_000 }, async () => {
    await page.getByRole('link', { name: 'Notifications' }).click();
    await page.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor();
    await page.getByLabel('Receiver URL').fill(receiverUrl);
    await page.getByLabel('Signing secret').fill('too-short');
    await page.getByRole('button', { name: 'Add subscription' }).click();
    await poll(() => page.getByLabel('Signing secret').getAttribute('aria-invalid')).toBe('true');

    await page.getByLabel('Signing secret').fill(SECRET);
    await page.getByRole('button', { name: 'Add subscription' }).click();
    await page.locator('.toast').filter({ hasText: 'Subscription added' }).waitFor();
    expect(await page.getByLabel('Signing secret').inputValue()).toBe('');
    const row = page.locator('table.subscriptions tbody tr');
    await poll(() => row.count()).toBe(1);
    expect(await row.textContent()).toContain('Run failed, Run late (past its deadline)');
    expect(await page.content()).not.toContain(SECRET);
    expect(JSON.stringify((await call('GET', '/subscriptions')).body)).not.toContain(SECRET);

    const run = await call('POST', `/schedules/${scheduleId}/runs`, { processingDate: '2026-11-19' });
    await waitForRun(harness.runtime, CLIENT, run.body.runId, ['FAILED']);
    await poll(() => received.length).toBeGreaterThanOrEqual(1);
    const event = received[0]!;
    expect(JSON.parse(event.body)).toMatchObject({ type: 'RUN_FAILED', clientId: CLIENT, run: { runId: run.body.runId } });
    expect(event.headers['x-signature']).toBe(`sha256=${createHmac('sha256', SECRET).update(event.body).digest('hex')}`);

    await poll(async () => {
      await page.getByRole('button', { name: 'Refresh deliveries' }).click();
      return page.locator('.deliveries tbody tr[data-status="DELIVERED"]').count();
    }).toBe(1);
    expect(await page.locator('.deliveries tbody tr').first().textContent()).toContain('RUN_FAILED');
    expect(await page.locator('.deliveries tbody tr').first().textContent()).toContain('204');
    expect(await unlabelledControls(page)).toEqual([]);
    expect(await lowContrastTexts(page)).toEqual([]);
    await screenshot(page, 'subscriptions');

    await page.getByRole('button', { name: `Delete the subscription to ${receiverUrl}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete subscription' }).click();
    await page.getByText('No subscriptions').waitFor();
  });

  it('offers a viewer the lists but none of the admin’s or operator’s changes, saying which role they need', async () => {
    expect((await call('POST', '/subscriptions', { url: receiverUrl, secret: SECRET, events: ['*'] })).status).toBe(201);
    await page.evaluate(() => window.sessionStorage.clear());
    await signIn(page, harness.runtime.url, 'audit-viewer', CLIENT);

    await page.goto(`${harness.runtime.url}/#/c/${CLIENT}/subscriptions`);
    await poll(() => page.locator('table.subscriptions tbody tr').count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Add subscription' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^Delete/ }).count()).toBe(0);
    expect(await page.locator('.role-note').textContent()).toBe('Adding or deleting a subscription needs the admin role; you are a viewer here.');
    expect(await page.locator('table.subscriptions').textContent()).toContain('Every event');

    await page.goto(`${harness.runtime.url}/#/c/${CLIENT}/calendars`);
    const newCalendar = page.getByRole('button', { name: 'New calendar' });
    expect(await newCalendar.isDisabled()).toBe(true);
    expect(await newCalendar.getAttribute('title')).toContain('needs the admin role');

    await page.goto(`${harness.runtime.url}/#/c/${CLIENT}/schedules/${scheduleId}`);
    const backfill = page.getByRole('button', { name: 'Backfill a date range…' });
    expect(await backfill.isDisabled()).toBe(true);
    expect(await backfill.getAttribute('title')).toBe('A backfill needs the operator role; you are a viewer here.');
    expect(harness.pageErrors).toEqual([]);
  });
});
