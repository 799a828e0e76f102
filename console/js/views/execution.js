import { mapLimited } from '../api.js';
import { field, h, replace, select } from '../dom.js';
import {
  addDays,
  canReprocess,
  daysOfMonth,
  elapsed,
  formatCount,
  formatDate,
  formatInstant,
  frequencyInWords,
  isActive,
  isIsoDate,
  jobTypeLabel,
  percent,
  shortTime,
  statusWord,
  timeAndZone,
  todayIn,
  triggerWord,
} from '../format.js';
import { routeHash } from '../router.js';
import { confirmAction, errorBanner, errorText, loading, notify, pageHeading, progressBar, statusBadge } from '../ui.js';
import { itemsPanel } from './items.js';
import { runCalendar } from './run-calendar.js';

/**
 * The execution screen: one schedule on one processing date. The run's status at a glance, the
 * configuration it ran with, a tile per job, the work items of a job, and the operator's actions
 * (create and run, reprocess the run or one job, reset), each confirmed and each reporting its
 * outcome. While anything runs the screen refreshes itself.
 */

const POLL_MS = 1500;
/** Requests in flight while the month's dates are looked up (one GET /runs?date= per day). */
const MONTH_CONCURRENCY = 6;

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
    context.replaceRoute(routeHash(clientId, 'execution', { schedule: state.schedule.scheduleId, date: state.date, job: state.job, status: state.job ? state.itemStatus : undefined }));
  }

  function showScheduleSummary() {
    const s = state.schedule;
    replace(scheduleSummary, `${frequencyInWords(s.frequency)} at ${timeAndZone(s.executionTime, s.timezone)} · ${s.jobs.map((j) => jobTypeLabel(j.type)).join(' → ')}${s.enabled ? '' : ' · disabled'}`);
  }

  async function setDate(date, { focusDate } = {}) {
    if (!isIsoDate(date)) return;
    state.date = date;
    state.job = undefined;
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
        const live = runsPerDay[index].filter((run) => run.status !== 'RESET');
        const shown = live[0] ?? runsPerDay[index][0];
        if (shown) state.monthMarks.set(date, shown.status);
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

  async function loadRun() {
    const mine = ++runRequest;
    clearTimeout(pollTimer);
    replace(runSlot, loading('Looking for the run…'));
    replace(itemsSlot);
    items = undefined;
    try {
      const run = await api.findRunByDate(clientId, state.schedule.scheduleId, state.date);
      if (mine !== runRequest || !context.isCurrent()) return;
      showRun(run, { fresh: true });
    } catch (error) {
      if (mine !== runRequest) return;
      replace(runSlot, errorBanner(error, { title: 'The run could not be loaded', actions: [h('button', { type: 'button', class: 'button', onClick: loadRun }, 'Try again')] }));
    }
  }

  /** Draws the run (or its absence), keeping focus on the same control across refreshes. */
  function showRun(run, { fresh = false } = {}) {
    const previous = state.run;
    state.run = run;
    const focusKey = runSlot.contains(document.activeElement) ? document.activeElement.dataset.focusKey : undefined;
    replace(runSlot, run ? runView(run) : noRunView());
    if (focusKey) runSlot.querySelector(`[data-focus-key="${CSS.escape(focusKey)}"]`)?.focus();
    if (run) state.monthMarks.set(run.processingDate, run.status);
    if (!fresh && previous && run && previous.status !== run.status) {
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
    if (run && (isActive(run.status) || run.jobs.some((job) => isActive(job.status)))) {
      clearTimeout(pollTimer);
      pollTimer = setTimeout(poll, POLL_MS);
    }
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

  function noRunView() {
    const due = state.schedule.nextRuns?.find((occurrence) => occurrence.processingDate === state.date);
    const create = h('button', { type: 'button', class: 'button button-primary', dataset: { focusKey: 'create-run' } }, 'Create and run');
    create.addEventListener('click', async () => {
      create.disabled = true;
      try {
        const { run, created } = await api.trigger(clientId, state.schedule.scheduleId, state.date);
        notify(created ? `Run created for ${formatDate(state.date)}` : 'This date already had a run', { tone: 'success', detail: `Attempt ${run.attempt}: ${statusWord(run.status)}.` });
        if (!context.isCurrent()) return;
        showRun(run, { fresh: true });
        runSlot.querySelector('h2')?.focus();
      } catch (error) {
        create.disabled = false;
        notify('The run was not created', { tone: 'error', detail: errorText(error) });
      }
    });
    return h(
      'div',
      { class: 'card no-run' },
      h('h2', { id: 'run-title', tabindex: '-1' }, `No run of “${state.schedule.name}” for ${formatDate(state.date)}`),
      due
        ? h('p', {}, `It is due at ${formatInstant(due.at, state.schedule.timezone)}.`)
        : h('p', { class: 'muted' }, state.schedule.frequency.type === 'MANUAL' ? 'A manual schedule runs only when triggered.' : 'Nothing was run for this date.'),
      h('p', {}, 'Create a run for this processing date and start it now. The schedule’s current configuration is used and kept with the run.'),
      create,
    );
  }

  // ── Actions ───────────────────────────────────────────────────────────────────────────────
  const hasSynthetic = (jobs) => jobs.some((job) => job.type === 'SYNTHETIC');

  function healOption(checked = false) {
    const box = h('input', { type: 'checkbox', name: 'heal', id: 'heal-option', checked });
    return { box, element: h('div', { class: 'field field-check' }, box, h('label', { for: 'heal-option' }, 'Heal: let SYNTHETIC items that were set to fail succeed this time (diagnostic job only)')) };
  }

  /** Runs an action and says how it went: success with the run's new status, or the API's error. */
  async function act({ done, failed }, action) {
    try {
      const run = await action();
      notify(done, { tone: 'success', detail: `The run is ${statusWord(run.status).toLowerCase()}; this screen follows it.` });
      if (context.isCurrent()) showRun(run, { fresh: false });
    } catch (error) {
      notify(failed, { tone: 'error', detail: errorText(error) });
    }
  }

  async function reprocessRun(run) {
    const heal = hasSynthetic(run.jobs) ? healOption() : undefined;
    const confirmed = await confirmAction({
      title: 'Reprocess the run?',
      body: [h('p', {}, `Re-runs every failed job of the run for ${formatDate(run.processingDate)} from where it failed, failed items only. Items that succeeded are not processed again.`), heal?.element],
      confirmLabel: 'Reprocess run',
      collect: () => ({ scope: 'RUN', ...(heal?.box.checked ? { heal: true } : {}) }),
    });
    if (confirmed) await act({ done: 'Reprocessing started', failed: 'The run was not reprocessed' }, () => api.reprocess(clientId, run.runId, confirmed));
  }

  async function reprocessJob(run, job) {
    const failedOnly = h('input', { type: 'radio', name: 'items', id: 'items-failed', value: 'FAILED', checked: true });
    const all = h('input', { type: 'radio', name: 'items', id: 'items-all', value: 'ALL' });
    const heal = job.type === 'SYNTHETIC' ? healOption() : undefined;
    const confirmed = await confirmAction({
      title: `Reprocess job ${job.seq} (${jobTypeLabel(job.type)})?`,
      body: [
        h('p', {}, 'The job runs again, then the rest of the sequence.'),
        h(
          'fieldset',
          { class: 'choice' },
          h('legend', {}, 'Which items'),
          h('div', { class: 'field-check' }, failedOnly, h('label', { for: 'items-failed' }, `Failed items only (${formatCount(job.stats.failed)})`)),
          h('div', { class: 'field-check' }, all, h('label', { for: 'items-all' }, `All items (${formatCount(job.stats.total)}): every item is processed once more`)),
        ),
        heal?.element,
      ],
      confirmLabel: 'Reprocess job',
      collect: () => ({ scope: 'JOB', seq: job.seq, items: all.checked ? 'ALL' : 'FAILED', ...(heal?.box.checked ? { heal: true } : {}) }),
    });
    if (confirmed) await act({ done: `Job ${job.seq} reprocessing started`, failed: `Job ${job.seq} was not reprocessed` }, () => api.reprocess(clientId, run.runId, confirmed));
  }

  async function resetRun(run) {
    const confirmed = await confirmAction({
      title: 'Reset the run?',
      body: h('p', {}, `Stops any execution of attempt ${run.attempt}, marks it RESET and frees ${formatDate(run.processingDate)}: the next trigger for the date creates attempt ${run.attempt + 1} with the schedule’s current configuration.`),
      confirmLabel: 'Reset run',
      danger: true,
    });
    if (confirmed) await act({ done: 'Run reset', failed: 'The run was not reset' }, () => api.reset(clientId, run.runId));
  }

  async function runAgain(run) {
    try {
      const { run: next } = await api.trigger(clientId, run.scheduleId, run.processingDate);
      notify(`Attempt ${next.attempt} created`, { tone: 'success', detail: `${statusWord(next.status)}.` });
      if (context.isCurrent()) showRun(next, { fresh: true });
    } catch (error) {
      notify('The run was not created', { tone: 'error', detail: errorText(error) });
    }
  }

  // ── Drawing a run ─────────────────────────────────────────────────────────────────────────
  function openItems(seq, { focus = true } = {}) {
    state.job = seq;
    syncRoute();
    items = itemsPanel({
      api,
      clientId,
      run: state.run,
      seq,
      status: state.itemStatus,
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

  function jobTile(run, job) {
    const running = isActive(job.status);
    const stats = job.stats;
    const itemsButton = h(
      'button',
      { type: 'button', class: 'button button-small', dataset: { focusKey: `items-${job.seq}`, itemsSeq: String(job.seq) }, 'aria-pressed': String(state.job === job.seq), onClick: () => openItems(job.seq) },
      stats.failed ? `Failed items (${formatCount(stats.failed)})` : 'Work items',
    );
    const reprocessButton = h(
      'button',
      { type: 'button', class: 'button button-small', dataset: { focusKey: `reprocess-${job.seq}` }, disabled: !canReprocess(run), onClick: () => reprocessJob(run, job) },
      'Reprocess job…',
    );
    return h(
      'li',
      { class: ['tile', `tile-${job.status.toLowerCase()}`], dataset: { seq: String(job.seq), status: job.status }, 'aria-label': `Job ${job.seq}: ${jobTypeLabel(job.type)}, ${statusWord(job.status)}` },
      h('div', { class: 'tile-head' }, h('h3', {}, h('span', { class: 'seq' }, String(job.seq)), jobTypeLabel(job.type)), statusBadge(job.status)),
      h(
        'dl',
        { class: 'stats' },
        [
          ['Total', formatCount(stats.total)],
          ['Succeeded', formatCount(stats.succeeded)],
          ['Failed', formatCount(stats.failed)],
          ['Pending', formatCount(stats.pending)],
          ['Duration', elapsed(job.startedAt, job.endedAt) || '—'],
        ].map(([term, value]) => h('div', { class: ['stat', term === 'Failed' && stats.failed ? 'stat-failed' : null] }, h('dt', {}, term), h('dd', {}, value))),
      ),
      running ? progressBar(stats, `Progress of job ${job.seq}`) : null,
      running ? h('p', { class: 'muted small' }, `${percent(stats.succeeded + stats.failed, stats.total)} % of ${formatCount(stats.total)} items done`) : null,
      job.error ? h('p', { class: 'tile-error' }, h('code', {}, job.error.code), ` ${job.error.message}`) : null,
      h('div', { class: 'tile-actions' }, itemsButton, reprocessButton),
    );
  }

  function configSummary(config) {
    return h(
      'details',
      { class: 'card config' },
      h('summary', {}, `Configuration this run used (version ${config.version}, saved ${formatInstant(config.updatedAt, config.timezone)})`),
      h(
        'dl',
        { class: 'definition' },
        [
          ['Name', config.name],
          ['Frequency', frequencyInWords(config.frequency)],
          ['Time', `${shortTime(config.executionTime)} ${config.timezone}`],
          ['Exception windows', config.exceptionWindows.length ? config.exceptionWindows.map((w) => `${shortTime(w.start)}–${shortTime(w.end)}`).join(', ') : 'none'],
          ['Jobs', h('ol', { class: 'config-jobs' }, config.jobs.map((j) => h('li', {}, jobTypeLabel(j.type), j.settings ? h('code', { class: 'small' }, ` ${JSON.stringify(j.settings)}`) : null)))],
          ['Enabled', config.enabled ? 'yes' : 'no'],
        ].map(([term, value]) => h('div', {}, h('dt', {}, term), h('dd', {}, value))),
      ),
    );
  }

  function runView(run) {
    const active = isActive(run.status) || run.jobs.some((job) => isActive(job.status));
    const { items: itemStats } = run.stats;
    const reprocessReason = canReprocess(run) ? undefined : isActive(run.status) ? 'Reprocessing is possible once the run has ended.' : `A ${statusWord(run.status).toLowerCase()} run cannot be reprocessed.`;
    const actions = h(
      'div',
      { class: 'run-actions' },
      h('button', { type: 'button', class: 'button button-primary', dataset: { focusKey: 'reprocess-run' }, disabled: !canReprocess(run), onClick: () => reprocessRun(run) }, 'Reprocess run…'),
      run.status === 'RESET'
        ? h('button', { type: 'button', class: 'button', dataset: { focusKey: 'run-again' }, onClick: () => runAgain(run) }, `Run again (attempt ${run.attempt + 1})`)
        : h('button', { type: 'button', class: 'button button-danger-quiet', dataset: { focusKey: 'reset-run' }, onClick: () => resetRun(run) }, 'Reset run…'),
      h('button', { type: 'button', class: 'button button-quiet', dataset: { focusKey: 'refresh-run' }, onClick: () => poll() }, 'Refresh'),
      reprocessReason ? h('span', { class: 'muted small' }, reprocessReason) : null,
    );
    return h(
      'div',
      { class: 'stack' },
      h(
        'div',
        { class: ['card', 'run-head', `run-${run.status.toLowerCase()}`] },
        h('div', { class: 'run-title-row' }, h('h2', { id: 'run-title', tabindex: '-1' }, `${run.scheduleName} · ${formatDate(run.processingDate)}`), statusBadge(run.status, { large: true })),
        h(
          'dl',
          { class: 'facts' },
          [
            ['Attempt', String(run.attempt)],
            ['Trigger', triggerWord(run.trigger)],
            ['Created', formatInstant(run.createdAt, run.config.timezone)],
            ['Started', run.startedAt ? formatInstant(run.startedAt, run.config.timezone) : '—'],
            ['Ended', run.endedAt ? formatInstant(run.endedAt, run.config.timezone) : '—'],
            ['Duration', elapsed(run.startedAt, isActive(run.status) ? undefined : run.endedAt) || '—'],
            ['Run id', h('code', {}, run.runId)],
          ].map(([term, value]) => h('div', {}, h('dt', {}, term), h('dd', {}, value))),
        ),
        run.waitingUntil ? h('p', { class: 'banner banner-info' }, `Waiting for an exception window to close, until ${formatInstant(run.waitingUntil, run.config.timezone)}.`) : null,
        run.error && run.status === 'FAILED' ? h('div', { class: 'banner banner-error' }, h('strong', {}, 'Needs a person: '), h('code', {}, run.error.code), ` ${run.error.message}`) : null,
        h(
          'div',
          { class: 'overall' },
          progressBar(itemStats, 'Items of the run'),
          h(
            'p',
            { class: 'small' },
            `${formatCount(itemStats.total)} items: ${formatCount(itemStats.succeeded)} succeeded · ${formatCount(itemStats.failed)} failed · ${formatCount(itemStats.pending)} pending · jobs ${run.stats.jobs.completed}/${run.stats.jobs.total} completed`,
          ),
        ),
        actions,
        active ? h('p', { class: 'muted small refreshing' }, 'Refreshing by itself while the run is active.') : null,
      ),
      h('ol', { class: 'tiles', 'aria-label': 'Jobs in sequence' }, run.jobs.map((job) => jobTile(run, job))),
      configSummary(run.config),
    );
  }

  showScheduleSummary();
  loadMonth();
  await loadRun();
}
