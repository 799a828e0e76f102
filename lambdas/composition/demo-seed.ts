import { DateTime } from 'luxon';
import { ConflictError, NotFoundError } from '../domain/errors';
import { seedAccountId, seedLedger, UNRATED_USAGE_TYPE } from '../jobs/ledger-generator';
import type { Ledger, LedgerAdmin } from '../ports/ledger';
import type { ScheduleConfigService } from '../services/schedule-config-service';

export const DEMO_CLIENT_ID = 'demo';
export const DEMO_TIMEZONE = 'America/New_York';

/**
 * The demo client of `npm start`: onboarded with its mandatory daily schedule and a billing
 * ledger for it to work on, plus a manual SYNTHETIC schedule with known failures, so a first run
 * has real work items to watch, fail and reprocess. Safe to run at every start.
 */
export async function seedDemo(schedules: ScheduleConfigService, ledger?: Ledger & LedgerAdmin, now = new Date()): Promise<void> {
  if (ledger) await seedDemoLedger(ledger, now);
  try {
    await schedules.getClient(DEMO_CLIENT_ID);
    return;
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
  await schedules.putClient(DEMO_CLIENT_ID, { name: 'Demo Billing Co', timezone: DEMO_TIMEZONE });
  try {
    await schedules.createSchedule(DEMO_CLIENT_ID, {
      name: 'Synthetic demo',
      description: '2,000 diagnostic work items; items 5 and 17 fail until reprocessed with heal',
      frequency: { type: 'MANUAL' },
      executionTime: '02:00:00',
      timezone: DEMO_TIMEZONE,
      exceptionWindows: [],
      jobs: [{ type: 'SYNTHETIC', settings: { items: 2000, failItems: [5, 17], delayMs: 20 } }],
      enabled: true,
    });
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
  }
}

/**
 * The demo client's ledger, once: 62 accounts (two per anniversary day), three usage records each,
 * 3% of a type no plan rates, so the first daily run meets NO_RATE, holds a due account, and an operator can add the rate and reprocess (README).
 */
async function seedDemoLedger(ledger: Ledger & LedgerAdmin, now: Date): Promise<void> {
  if ((await ledger.getAccounts(DEMO_CLIENT_ID, [seedAccountId(0)])).size > 0) return;
  // Dated up to today in the client's zone, not UTC's: a daily run for the client's today (an
  // evening in New York is tomorrow in UTC) has every record due.
  const today = DateTime.fromJSDate(now, { zone: DEMO_TIMEZONE });
  await seedLedger(ledger, { clientId: DEMO_CLIENT_ID, accounts: 62, usagePerAccount: 3, seed: 1, month: today.toFormat('yyyy-MM'), lastDay: today.day, unratedShare: 0.03 });
  // The random 3% may miss today's due accounts: one unratable record on the first of them makes
  // the README's first daily run hold an account in BILLING (UNRATED_USAGE) on any date.
  await ledger.importUsage([
    {
      clientId: DEMO_CLIENT_ID,
      accountId: seedAccountId(today.day - 1),
      usageDate: today.toISODate() ?? '',
      usageId: 'u-held',
      usageType: UNRATED_USAGE_TYPE,
      quantity: 1,
      state: 'UNRATED',
      rev: 0,
    },
  ]);
}
