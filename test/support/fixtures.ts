import { DAILY_SCHEDULE_ID, emptyStats, type Schedule } from '../../lambdas/domain/model';
import type { RunDraft } from '../../lambdas/ports/run-store';

export function scheduleFixture(overrides: Partial<Schedule> = {}): Schedule {
  const now = '2026-11-25T00:00:00.000Z';
  return {
    scheduleId: 'sch_test',
    clientId: 'acme',
    name: 'Test schedule',
    frequency: { type: 'DAILY' },
    executionTime: '01:00:00',
    timezone: 'America/New_York',
    exceptionWindows: [],
    jobs: [{ type: 'SYNTHETIC', settings: { items: 10 } }],
    enabled: true,
    mandatory: false,
    version: 1,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

export function runDraftFixture(overrides: Partial<RunDraft> = {}): RunDraft {
  const schedule = scheduleFixture();
  const now = '2026-11-25T00:00:00.000Z';
  return {
    clientId: schedule.clientId,
    scheduleId: schedule.scheduleId,
    scheduleName: schedule.name,
    processingDate: '2026-11-25',
    status: 'PENDING',
    trigger: 'API',
    createdAt: now,
    config: schedule,
    jobs: [{ seq: 1, type: 'SYNTHETIC', settings: { items: 10, failItems: [], delayMs: 0 }, status: 'PENDING', stats: emptyStats(), generation: 0 }],
    executionCount: 1,
    redriveCount: 0,
    plan: { startSeq: 1, items: 'FAILED', heal: false },
    heal: false,
    updatedAt: now,
    ...overrides,
  };
}

export { DAILY_SCHEDULE_ID };
