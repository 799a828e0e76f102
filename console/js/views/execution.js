import { mapLimited } from '../api.js';
import { occurrenceOn } from '../due.js';
import { field, h, replace, select } from '../dom.js';
import { addDays, daysOfMonth, formatCount, formatDate, formatInstant, frequencyInWords, isActive, isIsoDate, jobTypeLabel, statusWord, timeAndZone, todayIn } from '../format.js';
import { routeHash } from '../router.js';
import { errorBanner, errorText, loading, notify, pageHeading } from '../ui.js';
import { failureCodeCounts } from './execution/failure-codes.js';
import { runActions } from './execution/run-actions.js';
import { runView } from './execution/run-view.js';
import { itemsPanel } from './items.js';
import { runCalendar } from './run-calendar.js';

/**
 * The execution screen: one schedule on one processing date. The run's status at a glance, the
 * configuration it ran with, a tile per job, the work items of a job, the date's attempts, and the
 * operator's actions (execution/run-actions.js). While the run is active the screen refreshes itself.
 */

const POLL_MS = 1500;
/** Requests in flight while the month's dates are looked up (one GET /runs?date= per day). */
const MONTH_CONCURRENCY = 6;

/** A date's mark on the calendar: its live attempt's status, RESET when every attempt was reset. */
function markOf(runs) {
  return (runs.find((run) => run.status !== 'RESET') ?? runs[0])?.status;
}

export async function renderExecution(context) {
  const { main, api, clientId, route } = context;
  pageHeading(main, 'Execution');
  const body = h('div', {}, loading());
  main.append(body);

  let schedules;
  try {
    schedules = await api.listSchedules(clientId);
  } catch (error) {
    replace(body, errorBanner(error, { title: 'The schedules could not be loaded' }));
    return;
  }
  if (!context.isCurrent()) return;
  schedules.sort((a, b) => Number(b.mandatory) - Number(a.mandatory) || a.name.localeCompare(b.name));
  if (schedules.length === 0) {
    replace(body, h('p', {}, 'This client has no schedules.'));
    return;
  }

  const state = {
    schedule: schedules.find((s) => s.scheduleId === route.query.schedule) ?? schedules.find((s) => s.mandatory) ?? schedules[0],
    date: undefined,
    month: undefined,
    run: undefined,
    job: Number(route.query.job) || undefined,
    itemStatus: route.query.status ?? 'FAILED',
    /** An earlier attempt being looked at (`run=` in the route); the date's current run otherwise. */
    runId: route.query.run,
    attempts: [],
    monthMarks: new Map(),
    loadingMarks: false,
  };
  state.date = isIsoDate(route.query.date) ? route.query.date : todayIn(state.schedule.timezone);
  state.month = state.date.slice(0, 7);

  // ── Layout ────────────────────────────────────────────────────────────────────────────────
  const scheduleSelect = select(
    schedules.map((s) => [s.scheduleId, s.mandatory ? `${s.name} (mandatory daily)` : s.name]),
    state.schedule.scheduleId,
    { name: 'schedule' },
  );
  const dateInput = h('input', { type: 'date', name: 'date', value: state.date, required: true });
  const previousDay = h('button', { type: 'button', class: 'button' }, '‹ Previous day');
  const nextDay = h('button', { type: 'button', class: 'button' }, 'Next day ›');
  const today = h('button', { type: 'button', class: 'button button-quiet' }, 'Today');
  const scheduleSummary = h('p', { class: 'muted small schedule-summary' });
  const calendarSlot = h('div', { class: 'card calendar-card' });
  const runSlot = h('section', { class: 'run-panel', 'aria-labelledby': 'run-title' });
  const itemsSlot = h('div');
  const announcer = h('p', { class: 'visually-hidden', 'aria-live': 'polite' });

  replace(
    body,
    h(
      'div',
      { class: 'card controls' },
      field({ label: 'Schedule', control: scheduleSelect }),
      field({ label: 'Processing date', control: dateInput }),
      h('div', { class: 'control-buttons' }, previousDay, nextDay, today),
      scheduleSummary,
    ),
    h('div', { class: 'execution-layout' }, calendarSlot, h('div', { class: 'execution-main' }, runSlot, itemsSlot)),
    announcer,
  );

  // ── Navigation ────────────────────────────────────────────────────────────────────────────
  function syncRoute() {
    context.replaceRoute(routeHash(clientId, 'execution', { schedule: state.schedule.scheduleId, date: state.date, run: state.runId, job: state.job, status: state.job ? state.itemStatus : undefined }));
  }

  function showScheduleSummary() {
    const s = state.schedule;
    replace(scheduleSummary, `${frequencyInWords(s.frequency)} at ${timeAndZone(s.executionTime, s.timezone)} · ${s.jobs.map((j) => jobTypeLabel(j.type)).join(' → ')}${s.enabled ? '' : ' · disabled'}`);
  }

  async function setDate(date, { focusDate } = {}) {
    if (!isIsoDate(date)) return;
    state.date = date;
    state.job = undefined;
    state.runId = undefined;
    dateInput.value = date;
    const month = date.slice(0, 7);
    if (month !== state.month) {
      state.month = month;
      loadMonth(focusDate);
    } else drawCalendar(focusDate);
    syncRoute();
    await loadRun();
  }

  scheduleSelect.addEventListener('change', () => {
    state.schedule = schedules.find((s) => s.scheduleId === scheduleSelect.value);
    state.job = undefined;
    state.runId = undefined;
    showScheduleSummary();
    syncRoute();
    loadMonth();
    loadRun();
  });
  dateInput.addEventListener('change', () => setDate(dateInput.value));
  previousDay.addEventListener('click', () => setDate(addDays(state.date, -1)));
  nextDay.addEventListener('click', () => setDate(addDays(state.date, 1)));
  today.addEventListener('click', () => setDate(todayIn(state.schedule.timezone)));

  // ── Calendar: the month's runs of this schedule ──────────────────────────────────────────
  let monthRequest = 0;
  function drawCalendar(focusDate) {
    replace(
      calendarSlot,
      runCalendar({
        month: state.month,
        selected: state.date,
        today: todayIn(state.schedule.timezone),
        marks: state.monthMarks,
        loadingMarks: state.loadingMarks,
        focusDate,
        onPick: (date) => setDate(date),
        onMonth: (month, target) => {
          if (target) return setDate(target, { focusDate: target });
          state.month = month;
          loadMonth();
        },
      }),
    );
  }

  async function loadMonth(focusDate) {
    const mine = ++monthRequest;
    state.monthMarks = new Map();
    state.loadingMarks = true;
    drawCalendar(focusDate);
    const scheduleId = state.schedule.scheduleId;
    try {
      const days = daysOfMonth(state.month);
      const runsPerDay = await mapLimited(days, MONTH_CONCURRENCY, (date) => api.listRuns(clientId, date, { scheduleId }));
      if (mine !== monthRequest || !context.isCurrent()) return;
      days.forEach((date, index) => {
        const mark = markOf(runsPerDay[index]);
        if (mark) state.monthMarks.set(date, mark);
      });
    } catch (error) {
      if (mine !== monthRequest) return;
      notify('The month’s runs could not be loaded', { tone: 'error', detail: errorText(error) });
    }
    state.loadingMarks = false;
    if (context.isCurrent()) drawCalendar(calendarSlot.contains(document.activeElement) ? document.activeElement.dataset?.date : undefined);
  }

  // ── The run ───────────────────────────────────────────────────────────────────────────────
  let runRequest = 0;
  let pollTimer;
  let items;
  context.onLeave(() => clearTimeout(pollTimer));
  const actions = runActions({
    api,
    clientId,
    show: (run, options) => {
      if (!context.isCurrent()) return;
      if (options.fresh) state.runId = undefined;
      showRun(run, options);
      if (options.fresh) loadAttempts();
    },
  });

  const codes = failureCodeCounts({
    api,
    clientId,
    onLoaded: () => {
      if (context.isCurrent() && state.run) showRun(state.run);
    },
  });

  async function loadAttempts() {
    const mine = runRequest;
    const attempts = await api.listRuns(clientId, state.date, { scheduleId: state.schedule.scheduleId }).catch(() => state.attempts);
    if (mine !== runRequest || !context.isCurrent()) return;
    state.attempts = attempts.sort((a, b) => a.attempt - b.attempt);
    if (state.run) showRun(state.run);
  }

  async function loadRun() {
    const mine = ++runRequest;
    clearTimeout(pollTimer);
    replace(runSlot, loading('Looking for the run…'));
    replace(itemsSlot);
    items = undefined;
    try {
      const scheduleId = state.schedule.scheduleId;
      const [current, attempts] = await Promise.all([api.findRunByDate(clientId, scheduleId, state.date), api.listRuns(clientId, state.date, { scheduleId })]);
      if (mine !== runRequest || !context.isCurrent()) return;
      state.attempts = attempts.sort((a, b) => a.attempt - b.attempt);
      const chosen = state.attempts.find((attempt) => attempt.runId === state.runId);
      if (!chosen) state.runId = undefined;
      showRun(chosen ?? current ?? state.attempts.at(-1), { fresh: true });
    } catch (error) {
      if (mine !== runRequest) return;
      replace(runSlot, errorBanner(error, { title: 'The run could not be loaded', actions: [h('button', { type: 'button', class: 'button', onClick: loadRun }, 'Try again')] }));
    }
  }

  function openAttempt(runId) {
    const latest = state.attempts.at(-1);
    state.runId = runId === latest?.runId ? undefined : runId;
    state.job = undefined;
    syncRoute();
    loadRun();
  }

  /** Draws the run (or its absence), keeping focus on the same control across refreshes. */
  function showRun(run, { fresh = false } = {}) {
    const previous = state.run;
    state.run = run;
    if (run) state.attempts = [...state.attempts.filter((attempt) => attempt.runId !== run.runId), run].sort((a, b) => a.attempt - b.attempt);
    const focusKey = runSlot.contains(document.activeElement) ? document.activeElement.dataset.focusKey : undefined;
    replace(runSlot, run ? drawRun(run) : noRunView());
    if (focusKey) runSlot.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`)?.focus();
    const mark = markOf(state.attempts);
    if (mark) state.monthMarks.set(state.date, mark);
    if (!fresh && previous && run && previous.runId === run.runId && previous.status !== run.status) {
      announcer.textContent = `Run is now ${statusWord(run.status)}`;
      // A run that ends while watched says so; an action's own outcome was told by the action.
      if (isActive(previous.status) && !isActive(run.status)) {
        notify(`Run ${statusWord(run.status).toLowerCase()}`, { tone: run.status === 'COMPLETED' ? 'success' : run.status === 'FAILED' ? 'error' : 'info', persist: false, detail: run.error ? `${run.error.code}: ${run.error.message}` : `${formatCount(run.stats.items.succeeded)} of ${formatCount(run.stats.items.total)} items succeeded.` });
      }
    }
    if (fresh || !previous || previous.status !== run?.status) drawCalendar(calendarSlot.contains(document.activeElement) ? document.activeElement.dataset?.date : undefined);
    if (run && state.job && run.jobs.some((job) => job.seq === state.job)) {
      const jobChanged = previous?.jobs.find((job) => job.seq === state.job)?.status !== run.jobs.find((job) => job.seq === state.job)?.status;
      if (!items || fresh) openItems(state.job, { focus: false });
      else if (jobChanged) items.reload();
    }
    // Only an active run changes by itself: a FAILED run waits for a person, however its jobs read.
    clearTimeout(pollTimer);
    if (run && isActive(run.status)) pollTimer = setTimeout(poll, POLL_MS);
  }

  async function poll() {
    const mine = runRequest;
    try {
      const run = await context.api.getRun(clientId, state.run.runId);
      if (mine !== runRequest || !context.isCurrent()) return;
      showRun(run);
    } catch (error) {
      if (mine !== runRequest || !context.isCurrent()) return;
      notify('The run could not be refreshed; retrying', { tone: 'warn', detail: errorText(error) });
      pollTimer = setTimeout(poll, POLL_MS * 4);
    }
  }

  function drawRun(run) {
    const latest = state.attempts.at(-1)?.runId === run.runId;
    return runView({
      run,
      attempts: state.attempts,
      latest,
      access: context.access,
      openSeq: state.job,
      failureCodes: (job) => codes.of(run, job),
      onItems: (seq) => openItems(seq),
      onReprocessRun: () => actions.reprocessRun(run),
      onReprocessJob: (job) => actions.reprocessJob(run, job),
      onReset: () => actions.reset(run),
      onStartJob: (job) => actions.startJob(run, job),
      onRunAgain: () => actions.runAgain(run),
      onRefresh: () => poll(),
      onOpenAttempt: openAttempt,
    });
  }

  /** No run yet: when the date is due by the calendar (the server's preview), and a button to run it. */
  function noRunView() {
    const schedule = state.schedule;
    const date = state.date;
    const dueText = h('p', { class: 'muted' }, schedule.frequency.type === 'MANUAL' ? 'A manual schedule runs only when triggered.' : 'Looking up when it is due…');
    let due;
    if (schedule.frequency.type !== 'MANUAL') {
      occurrenceOn(api, clientId, schedule, date)
        .then((occurrence) => {
          due = occurrence;
          const past = occurrence && Date.parse(occurrence.at) <= Date.now();
          dueText.className = past ? 'missing-note' : '';
          dueText.textContent = occurrence
            ? `${past ? 'It was due' : 'It is due'} at ${formatInstant(occurrence.at, schedule.timezone)}${past ? ' and has no run: missing.' : '.'}${schedule.enabled ? '' : ' (The schedule is disabled.)'}`
            : 'Not due on this date by its calendar.';
        })
        .catch((error) => {
          dueText.textContent = `When it is due could not be looked up: ${errorText(error)}`;
        });
    }
    const create = h('button', { type: 'button', class: 'button button-primary', dataset: { focusKey: 'create-run' } }, 'Create and run');
    create.addEventListener('click', async () => {
      create.disabled = true;
      const created = await actions.create(schedule, date, due);
      if (created) runSlot.querySelector('h2')?.focus();
      else create.disabled = false;
    });
    return h(
      'div',
      { class: 'card no-run' },
      h('h2', { id: 'run-title', tabindex: '-1' }, `No run of “${schedule.name}” for ${formatDate(date)}`),
      dueText,
      h('p', {}, 'Create a run for this processing date and start it now. The schedule’s current configuration is used and kept with the run.'),
      context.access.may('caller') ? create : h('p', { class: 'muted small role-note' }, context.access.why('caller', 'Creating a run')),
    );
  }

  // ── Work items of a job ───────────────────────────────────────────────────────────────────
  function openItems(seq, { focus = true } = {}) {
    state.job = seq;
    syncRoute();
    items = itemsPanel({
      api,
      clientId,
      run: state.run,
      currentRun: () => state.run,
      seq,
      status: state.itemStatus,
      access: context.access,
      onStatus: (status) => {
        state.itemStatus = status;
        syncRoute();
      },
      onClose: () => {
        state.job = undefined;
        items = undefined;
        replace(itemsSlot);
        syncRoute();
        if (state.run) showRun(state.run, { fresh: false });
        runSlot.querySelector(`[data-focus-key="items-${seq}"]`)?.focus();
      },
    });
    replace(itemsSlot, items.element);
    items.reload();
    for (const button of runSlot.querySelectorAll('[data-items-seq]')) button.setAttribute('aria-pressed', String(Number(button.dataset.itemsSeq) === seq));
    if (focus) items.element.querySelector('h3')?.focus();
  }

  showScheduleSummary();
  loadMonth();
  await loadRun();
}
