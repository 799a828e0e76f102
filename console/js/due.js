import { addDays } from './format.js';

/** Preview pages read to reach a date: enough for a cron that fires every few minutes. */
const MAX_PAGES = 4;

/**
 * The occurrence of a schedule on a processing date, from the server's preview (the code that
 * fires schedules), or undefined when the date has none. `from` starts before the date begins in
 * any zone (UTC+14 starts it at 10:00 UTC the day before).
 */
export async function occurrenceOn(api, clientId, schedule, date) {
  if (schedule.frequency.type === 'MANUAL') return undefined;
  let from = `${addDays(date, -1)}T09:59:59Z`;
  const count = schedule.frequency.type === 'CRON' ? 100 : 5;
  for (let page = 0; page < MAX_PAGES; page++) {
    const occurrences = await api.preview(clientId, { frequency: schedule.frequency, executionTime: schedule.executionTime, timezone: schedule.timezone, from, count });
    const match = occurrences.find((occurrence) => occurrence.processingDate === date);
    if (match) return match;
    const last = occurrences.at(-1);
    if (!last || last.processingDate > date) return undefined;
    from = last.at;
  }
  return undefined;
}
