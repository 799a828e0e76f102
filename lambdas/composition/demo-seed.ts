import { ConflictError, NotFoundError } from '../domain/errors';
import type { ScheduleService } from '../services/schedule-service';

export const DEMO_CLIENT_ID = 'demo';

/**
 * The demo client of `npm start`: onboarded with its mandatory daily schedule, plus a manual
 * SYNTHETIC schedule with known failures, so a first run has real work items to watch, fail and
 * reprocess. Safe to run at every start.
 */
export async function seedDemo(schedules: ScheduleService): Promise<void> {
  try {
    await schedules.getClient(DEMO_CLIENT_ID);
    return;
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
  await schedules.putClient(DEMO_CLIENT_ID, { name: 'Demo Billing Co', timezone: 'America/New_York' });
  try {
    await schedules.createSchedule(DEMO_CLIENT_ID, {
      name: 'Synthetic demo',
      description: '2,000 diagnostic work items; items 5 and 17 fail until reprocessed with heal',
      frequency: { type: 'MANUAL' },
      executionTime: '02:00:00',
      timezone: 'America/New_York',
      exceptionWindows: [],
      jobs: [{ type: 'SYNTHETIC', settings: { items: 2000, failItems: [5, 17], delayMs: 20 } }],
      enabled: true,
    });
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
  }
}
