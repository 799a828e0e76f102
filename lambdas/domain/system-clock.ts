/** The wall clock, a Clock (ports/clock.ts) that services and jobs default to. */
export const systemClock = { now: (): Date => new Date() };
