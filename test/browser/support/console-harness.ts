import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';
import type { LocalRuntime, LocalRuntimeOptions } from '../../../lambdas/composition/local-runtime';
import { startTestRuntime } from '../../support/local-runtime';

/*
 * The operator console in real Chromium (Debian's `chromium`, driven by playwright-core) against
 * the local runtime. Runtime and browser share one clock that starts at a fixed instant and runs
 * on from there, so what is "today", "past" or "still to come" never depends on the real date.
 */

const ROOT = resolve(import.meta.dirname, '..', '..', '..');
export const CONSOLE_DIR = resolve(ROOT, 'console');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = resolve(ROOT, process.env.UPDATE_SCREENSHOTS ? 'docs/screenshots' : 'test-results/screenshots');
export const WIDE = { width: 1366, height: 860 };
export const NARROW = { width: 1024, height: 768 };

export interface ConsoleHarness {
  runtime: LocalRuntime;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Script errors and console errors other than Chromium's log of 4xx answers. */
  pageErrors: string[];
  /** Moves the runtime's clock on (the scheduler's view of time), e.g. past a catch-up window. */
  advanceRuntimeClock(ms: number): void;
  stop(): Promise<void>;
}

/** `clockStart`: the instant both clocks read when the harness starts. */
export async function startConsole({ clockStart, runtime: overrides = {} }: { clockStart: string; runtime?: Partial<LocalRuntimeOptions> }): Promise<ConsoleHarness> {
  if (!existsSync(CHROMIUM)) throw new Error(`No Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  mkdirSync(SCREENSHOTS, { recursive: true });
  let offset = Date.parse(clockStart) - Date.now();
  const clock = { now: () => new Date(Date.now() + offset) };
  const [runtime, browser] = await Promise.all([
    startTestRuntime({ consoleDir: CONSOLE_DIR, clock, ...overrides }),
    // launch() gives the browser a fresh temporary profile and removes it on close.
    chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    }),
  ]);
  const context = await browser.newContext({ viewport: WIDE, locale: 'en-US', timezoneId: 'UTC', reducedMotion: 'reduce' });
  context.setDefaultTimeout(15_000);
  await context.clock.install({ time: clock.now() });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    // Chromium logs every 4xx answer (a date without a run, a refused token, a provoked 412); the
    // console handles those. Anything else logged as an error is a fault.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) pageErrors.push(message.text());
  });
  return {
    runtime,
    browser,
    context,
    page,
    pageErrors,
    advanceRuntimeClock: (ms) => {
      offset += ms;
    },
    stop: async () => {
      await browser.close();
      await runtime.stop();
    },
  };
}

/** A screenshot of what the screen shows; notices of earlier steps are cleared unless kept. */
export async function screenshot(page: Page, name: string, options: { fullPage?: boolean; keepNotices?: boolean } = {}): Promise<void> {
  await page.evaluate(async (keepNotices) => {
    if (!keepNotices) for (const toast of Array.from(document.querySelectorAll('.toast'))) toast.remove();
    (document.activeElement as HTMLElement | null)?.blur();
    window.scrollTo(0, 0);
    await document.fonts.ready;
  }, Boolean(options.keepNotices));
  await page.screenshot({ path: resolve(SCREENSHOTS, `${name}.png`), ...(options.fullPage ? { fullPage: true } : {}) });
}

/** expect.poll with room for a busy machine: two cores shared by every test file and Chromium. */
export function poll<T>(read: () => T | Promise<T>) {
  return expect.poll(read, { timeout: 15_000 });
}

export function fieldError(control: Locator): Locator {
  return control.locator('xpath=following-sibling::p[contains(@class, "field-error")]');
}

/** Signs in with a token (the sign-in screen) and opens the client's screen. */
export async function signIn(page: Page, url: string, token: string, clientId: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel('API token').fill(token);
  await page.getByLabel('Client id').fill(clientId);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Runs by date', level: 1 }).waitFor();
}
