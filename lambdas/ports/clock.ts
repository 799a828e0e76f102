/** The time services and jobs act at: the system clock deployed and locally (domain/system-clock.ts), a set one in tests. */
export interface Clock {
  now(): Date;
}
