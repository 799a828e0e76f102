import { labelOf } from './catalogue.js';

/**
 * How the console words the API's values: frequencies, times in a schedule's zone, durations,
 * statuses. Pure functions (no DOM), unit-tested in Node. The values' own labels come from the
 * API's catalogue (catalogue.js).
 */

export function jobTypeLabel(type) {
  return labelOf('jobTypes', type);
}

export function ordinal(n) {
  const rem100 = n % 100;
  if (rem100 >= 11 && rem100 <= 13) return `${n}th`;
  return `${n}${{ 1: 'st', 2: 'nd', 3: 'rd' }[n % 10] ?? 'th'}`;
}

function beforeEnd({ offsetDays, offsetUnit }, lastDay, period) {
  const business = offsetUnit === 'BUSINESS_DAYS';
  if (!offsetDays) return `Last ${business ? 'business ' : ''}day of the ${period}`;
  return `${offsetDays} ${business ? 'business ' : ''}day${offsetDays === 1 ? '' : 's'} before ${business ? `the ${period}’s last business day` : lastDay}`;
}

/** `{ type: 'MONTH_END', offsetDays: 2 }` → "2 days before month-end". */
export function frequencyInWords(frequency) {
  switch (frequency?.type) {
    case 'DAILY':
      return 'Every day';
    case 'WEEKLY':
      return `Every ${labelOf('weekdays', frequency.dayOfWeek)}`;
    case 'MONTHLY':
      return frequency.dayOfMonth > 28
        ? `Monthly on the ${ordinal(frequency.dayOfMonth)} (or the month’s last day)`
        : `Monthly on the ${ordinal(frequency.dayOfMonth)}`;
    case 'MONTH_END':
      return beforeEnd(frequency, 'month-end', 'month');
    case 'QUARTER_END':
      return beforeEnd(frequency, 'quarter-end', 'quarter');
    case 'YEAR_END':
      return beforeEnd(frequency, 'year-end', 'year');
    case 'CRON':
      return `Cron: ${frequency.expression}`;
    case 'MANUAL':
      return 'Manual only (never by itself)';
    default:
      return labelOf('frequencyTypes', frequency?.type ?? 'unknown');
  }
}

/** "02:30:00" → "02:30"; seconds stay when they are not zero. */
export function shortTime(localTime) {
  return /^\d\d:\d\d:00$/.test(localTime) ? localTime.slice(0, 5) : localTime;
}

/** "18:00" → "18:00:00": people type HH:MM, the API stores HH:MM:SS. Anything else stays as typed. */
export function normaliseLocalTime(text) {
  const trimmed = String(text ?? '').trim();
  const match = /^(\d{1,2}):(\d{2})$/.exec(trimmed);
  return match ? `${match[1].padStart(2, '0')}:${match[2]}:00` : trimmed;
}

export function timeAndZone(executionTime, timezone) {
  return `${shortTime(executionTime)} ${timezone}`;
}

/** The zone's abbreviation at an instant ("EST", "CET", "GMT+5:30"), in English. */
function zoneName(date, timezone) {
  return new Intl.DateTimeFormat('en-US', { timeZone: timezone, timeZoneName: 'short' }).formatToParts(date).find((part) => part.type === 'timeZoneName')?.value ?? timezone;
}

function safeZone(timezone) {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone || 'UTC' });
    return timezone || 'UTC';
  } catch {
    return 'UTC';
  }
}

/** An instant as the wall clock of `timezone` shows it: "Wed 25 Nov 2026, 02:30 EST". */
export function formatInstant(iso, timezone) {
  if (!iso) return '';
  const zone = safeZone(timezone);
  const date = new Date(iso);
  const day = new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', timeZone: zone }).format(date).replace(',', '');
  return `${day}, ${formatTime(iso, zone)}`;
}

/** The time of day of an instant in `timezone`: "02:30 EST". */
export function formatTime(iso, timezone) {
  const zone = safeZone(timezone);
  const date = new Date(iso);
  const time = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: zone }).format(date);
  return `${time} ${zoneName(date, zone)}`;
}

/** A time of day to the second in `timezone`, for "updated at" stamps: "14:05:09 EST". */
export function formatClock(iso, timezone) {
  if (!iso) return '';
  const zone = safeZone(timezone);
  const date = new Date(iso);
  return `${new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZone: zone }).format(date)} ${zoneName(date, zone)}`;
}

const TRIGGER_WORDS = { SCHEDULED: 'Scheduled', MANUAL: 'Manual', API: 'API' };

export function triggerWord(trigger) {
  return TRIGGER_WORDS[trigger] ?? String(trigger ?? '');
}

/** A processing date "2026-11-25" → "Wed 25 Nov 2026" (a calendar date: no zone shift). */
export function formatDate(date) {
  if (!isIsoDate(date)) return String(date ?? '');
  return new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${date}T00:00:00Z`)).replace(',', '');
}

export function formatMonth(yearMonth) {
  return new Intl.DateTimeFormat('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${yearMonth}-01T00:00:00Z`));
}

export function isIsoDate(value) {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const parsed = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(value);
}

export function addDays(date, days) {
  const parsed = new Date(`${date}T00:00:00Z`);
  parsed.setUTCDate(parsed.getUTCDate() + days);
  return parsed.toISOString().slice(0, 10);
}

export function addMonths(yearMonth, months) {
  const parsed = new Date(`${yearMonth}-01T00:00:00Z`);
  parsed.setUTCMonth(parsed.getUTCMonth() + months);
  return parsed.toISOString().slice(0, 7);
}

/** Every date of a month "2026-11", in order. */
export function daysOfMonth(yearMonth) {
  const days = [];
  for (let date = `${yearMonth}-01`; date.startsWith(yearMonth); date = addDays(date, 1)) days.push(date);
  return days;
}

/** 0 = Monday … 6 = Sunday. */
export function weekdayIndex(date) {
  return (new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7;
}

/** Today's date in a time zone: processing dates are dates in the schedule's zone. */
export function todayIn(timezone, now = new Date()) {
  try {
    return new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone: timezone || 'UTC' }).format(now);
  } catch {
    return now.toISOString().slice(0, 10);
  }
}

/** Milliseconds in words: "850 ms", "12 s", "3 min 05 s", "2 h 03 min". */
export function formatDuration(ms) {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(seconds % 60).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** The duration of something that started and maybe ended; running things count up to `now`. */
export function elapsed(startedAt, endedAt, now = Date.now()) {
  if (!startedAt) return '';
  const end = endedAt ? Date.parse(endedAt) : now;
  return formatDuration(end - Date.parse(startedAt));
}

/** "in 3 h", "5 min ago": how far an instant is from now, roughly. */
export function relativeTime(iso, now = Date.now()) {
  const diff = Date.parse(iso) - now;
  const abs = Math.abs(diff);
  const units = [
    [86_400_000, 'day'],
    [3_600_000, 'h'],
    [60_000, 'min'],
  ];
  for (const [size, unit] of units) {
    if (abs >= size) {
      const n = Math.round(abs / size);
      const text = unit === 'day' ? `${n} day${n === 1 ? '' : 's'}` : `${n} ${unit}`;
      return diff >= 0 ? `in ${text}` : `${text} ago`;
    }
  }
  return diff >= 0 ? 'in under a minute' : 'just now';
}

export function formatCount(n) {
  return new Intl.NumberFormat('en-US').format(n ?? 0);
}

/** Share of `part` in `total` as a whole percentage, 0 when there is nothing. */
export function percent(part, total) {
  return total > 0 ? Math.floor((part / total) * 100) : 0;
}

/** Colour tone (a CSS class suffix) and the word for every run, job and item status. */
const STATUS_TONES = {
  PENDING: 'pending',
  RUNNING: 'running',
  COMPLETED: 'ok',
  SUCCEEDED: 'ok',
  FAILED: 'failed',
  SKIPPED: 'muted',
  RESET: 'muted',
};

export function statusTone(status) {
  return STATUS_TONES[status] ?? 'muted';
}

export function statusWord(status) {
  return status ? status.charAt(0) + status.slice(1).toLowerCase() : 'Unknown';
}

/** A run or job that is still going: the console keeps refreshing while one is shown. */
export function isActive(status) {
  return status === 'PENDING' || status === 'RUNNING';
}

/** A run may be reprocessed once it has ended as FAILED or COMPLETED (API.md). */
export function canReprocess(run) {
  return run.status === 'FAILED' || run.status === 'COMPLETED';
}

/**
 * The API reports fields as `jobs.0.settings.items` (zod) or `exceptionWindows[1].start`
 * (calendar checks): one dotted form, so a form can match either to its fields.
 */
export function normalisePath(path) {
  return String(path ?? '')
    .replace(/\[(\d+)\]/g, '.$1')
    .replace(/^\./, '');
}

/**
 * Of the known field paths, the one an error at `path` belongs to: the longest that equals it or
 * is a dotted prefix of it (`jobs.0.settings.items` → `jobs.0.settings` when there is no
 * `items` field). Undefined when none fits.
 */
export function fieldForPath(path, knownPaths) {
  const target = normalisePath(path);
  let best;
  for (const candidate of knownPaths) {
    const fits = candidate === target || (candidate !== '' && target.startsWith(`${candidate}.`));
    if (fits && (best === undefined || candidate.length > best.length)) best = candidate;
  }
  return best;
}

/** "3, 17, 40" → [3, 17, 40]; undefined for anything that is not a list of whole numbers. */
export function parseIndexList(text) {
  const trimmed = String(text ?? '').trim();
  if (trimmed === '') return [];
  const parts = trimmed.split(/[\s,]+/).filter(Boolean);
  if (!parts.every((part) => /^\d+$/.test(part))) return undefined;
  return parts.map(Number);
}
