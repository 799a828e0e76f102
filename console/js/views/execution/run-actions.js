import { h } from '../../dom.js';
import { formatCount, formatDate, formatInstant, jobTypeLabel, statusWord, todayIn } from '../../format.js';
import { confirmAction, errorText, notify } from '../../ui.js';

/**
 * The operator's actions on a run: create, reprocess (run or job), reset, run again. Each asks
 * first where it cannot be undone, and reports its outcome or the API's error.
 */

function healOption() {
  const box = h('input', { type: 'checkbox', name: 'heal', id: 'heal-option' });
  return { box, element: h('div', { class: 'field field-check' }, box, h('label', { for: 'heal-option' }, 'Heal: let SYNTHETIC items that were set to fail succeed this time (diagnostic job only)')) };
}

/**
 * @param {{ api, clientId: string, show(run, options): void }} screen  show draws the run the action answered with
 */
export function runActions({ api, clientId, show }) {
  /** Runs an action and says how it went: success with the run's new status, or the API's error. */
  async function act({ done, failed }, action) {
    try {
      const run = await action();
      notify(done, { tone: 'success', detail: `The run is ${statusWord(run.status).toLowerCase()}; this screen follows it.` });
      show(run, { fresh: false });
    } catch (error) {
      notify(failed, { tone: 'error', detail: errorText(error) });
    }
  }

  /** A date whose occurrence has not come yet (or a later date without one) is run early only when the person says so. */
  async function confirmEarly(schedule, date, due) {
    const early = due ? Date.parse(due.at) > Date.now() : date > todayIn(schedule.timezone);
    if (!early) return true;
    return confirmAction({
      title: `Run ${formatDate(date)} before its time?`,
      body: h('p', {}, due ? `Its occurrence is at ${formatInstant(due.at, schedule.timezone)}, still to come. ` : `${formatDate(date)} has not come yet in ${schedule.timezone}. `, 'A run created now processes the data there is now, and the date then has its run: the schedule will not run it again.'),
      confirmLabel: 'Run it now',
    });
  }

  return {
    async create(schedule, date, due) {
      if (!(await confirmEarly(schedule, date, due))) return false;
      try {
        const { run, created } = await api.trigger(clientId, schedule.scheduleId, date);
        notify(created ? `Run created for ${formatDate(date)}` : 'This date already had a run', { tone: 'success', detail: `Attempt ${run.attempt}: ${statusWord(run.status)}.` });
        show(run, { fresh: true });
        return true;
      } catch (error) {
        notify('The run was not created', { tone: 'error', detail: errorText(error) });
        return false;
      }
    },

    async reprocessRun(run) {
      const heal = run.jobs.some((job) => job.type === 'SYNTHETIC') ? healOption() : undefined;
      const confirmed = await confirmAction({
        title: 'Reprocess the run?',
        body: [h('p', {}, `Re-runs every failed job of the run for ${formatDate(run.processingDate)} from where it failed, failed items only. Items that succeeded are not processed again.`), heal?.element],
        confirmLabel: 'Reprocess run',
        collect: () => ({ scope: 'RUN', ...(heal?.box.checked ? { heal: true } : {}) }),
      });
      if (confirmed) await act({ done: 'Reprocessing started', failed: 'The run was not reprocessed' }, () => api.reprocess(clientId, run.runId, confirmed));
    },

    async reprocessJob(run, job) {
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
    },

    async reset(run) {
      const confirmed = await confirmAction({
        title: 'Reset the run?',
        body: h('p', {}, `Stops any execution of attempt ${run.attempt}, marks it RESET and frees ${formatDate(run.processingDate)}: the next trigger for the date creates attempt ${run.attempt + 1} with the schedule’s current configuration.`),
        confirmLabel: 'Reset run',
        danger: true,
      });
      if (confirmed) await act({ done: 'Run reset', failed: 'The run was not reset' }, () => api.reset(clientId, run.runId));
    },

    /** An approval gate: the run waits at a job marked `start: MANUAL` until a person starts it. */
    async startJob(run, job) {
      const confirmed = await confirmAction({
        title: `Start job ${job.seq} (${jobTypeLabel(job.type)})?`,
        body: h('p', {}, `The run for ${formatDate(run.processingDate)} waits for a person before this job. Once started, the job runs and the rest of the sequence follows. Your name is recorded in the audit trail.`),
        confirmLabel: `Start job ${job.seq}`,
      });
      if (confirmed) await act({ done: `Job ${job.seq} started`, failed: `Job ${job.seq} was not started` }, () => api.startJob(clientId, run.runId, job.seq));
    },

    async runAgain(run) {
      try {
        const { run: next } = await api.trigger(clientId, run.scheduleId, run.processingDate);
        notify(`Attempt ${next.attempt} created`, { tone: 'success', detail: `${statusWord(next.status)}.` });
        show(next, { fresh: true });
      } catch (error) {
        notify('The run was not created', { tone: 'error', detail: errorText(error) });
      }
    },
  };
}
