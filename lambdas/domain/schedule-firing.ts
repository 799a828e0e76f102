import type { Schedule } from './model';

/**
 * Whether a schedule fires by itself (enabled, not MANUAL): only these have a trigger armed, are
 * settled by the reconciler, and carry the keys of the config table's self-firing index.
 */
export function firesByItself(schedule: Pick<Schedule, 'enabled' | 'frequency'>): boolean {
  return schedule.enabled && schedule.frequency.type !== 'MANUAL';
}
