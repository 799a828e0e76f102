import { h } from '../../dom.js';
import { canReprocess, elapsed, formatCount, formatDate, formatInstant, frequencyInWords, isActive, jobTypeLabel, percent, shortTime, statusWord, triggerWord } from '../../format.js';
import { countText } from '../../ledger.js';
import { jobState, manualJobOf, passOf, runStatsText, skipText, waitingText } from '../../run-words.js';
import { lateTag, progressBar, statusBadge } from '../../ui.js';

/**
 * A run as the execution screen draws it: its head (status, facts, why it waits or was skipped,
 * its attempts and passes), a tile per job, and the configuration it ran with. Pure drawing: every
 * action is a handler of the screen.
 */

/** A failed job's items by error code (execution/failure-codes.js): "NO_RATE 7", "1000+" past one page. */
function codeCounts(job, summary) {
  if (!summary?.counts.length) return null;
  return h(
    'ul',
    { class: 'code-counts', 'aria-label': `Failed items of job ${job.seq} by error code${summary.more ? ', from the first page' : ''}` },
    summary.counts.map(([code, count]) => h('li', { dataset: { code } }, h('code', {}, code), ` ${countText(count, summary.more)}`)),
  );
}

function jobTile(run, job, { openSeq, onItems, onReprocessJob, access, failureCodes }) {
  const state = jobState(run, job);
  const running = isActive(job.status) && isActive(run.status);
  const stats = job.stats;
  const itemsButton = h(
    'button',
    { type: 'button', class: 'button button-small', dataset: { focusKey: `items-${job.seq}`, itemsSeq: String(job.seq) }, 'aria-pressed': String(openSeq === job.seq), onClick: () => onItems(job.seq) },
    stats.failed ? `Failed items (${formatCount(stats.failed)})` : 'Work items',
  );
  const reprocessButton = access.may('operator')
    ? h('button', { type: 'button', class: 'button button-small', dataset: { focusKey: `reprocess-${job.seq}` }, disabled: !canReprocess(run), onClick: () => onReprocessJob(job) }, 'Reprocess job…')
    : null;
  return h(
    'li',
    { class: ['tile', `tile-${state.status.toLowerCase()}`], dataset: { seq: String(job.seq), status: state.status }, 'aria-label': `Job ${job.seq}: ${jobTypeLabel(job.type)}, ${state.word}` },
    h('div', { class: 'tile-head' }, h('h3', {}, h('span', { class: 'seq' }, String(job.seq)), jobTypeLabel(job.type)), statusBadge(state.status, { word: state.word })),
    state.note ? h('p', { class: 'muted small tile-note' }, state.note) : null,
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
    codeCounts(job, failureCodes?.(job)),
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

/** Every attempt of the date (a reset frees the date for the next one), each one click away. */
function attemptsNav(run, attempts, onOpenAttempt) {
  if (attempts.length < 2) return null;
  return h(
    'nav',
    { class: 'attempts', 'aria-label': 'Attempts of this date' },
    h('span', { class: 'muted small' }, 'Attempts of this date:'),
    h(
      'ul',
      {},
      attempts.map((attempt) =>
        h(
          'li',
          {},
          h(
            'button',
            { type: 'button', class: 'button button-small', 'aria-current': attempt.runId === run.runId ? 'true' : undefined, dataset: { focusKey: `attempt-${attempt.attempt}` }, onClick: () => onOpenAttempt(attempt.runId) },
            `Attempt ${attempt.attempt}: ${statusWord(attempt.status)}`,
          ),
        ),
      ),
    ),
  );
}

/** What earlier passes left behind: a reprocessed run says so, a reset run says what it was. */
function historyNote(run) {
  const pass = passOf(run);
  if (pass < 2) return null;
  const reprocessed = pass - 1;
  return h('p', { class: 'banner banner-info history-note' }, `Pass ${pass} of attempt ${run.attempt}: reprocessed ${reprocessed === 1 ? 'once' : `${reprocessed} times`} after it had ended. Items that needed more than one try show it in their Attempts column.`);
}

/**
 * The run's actions: each one the role allows (session.js Access); what it does not allow is left
 * out, and one note says which role it needs.
 */
function actionsOf(props) {
  const { run, attempts, latest, access } = props;
  const active = isActive(run.status);
  const operator = access.may('operator');
  const reprocessReason = canReprocess(run) ? undefined : active ? 'Reprocessing is possible once the run has ended.' : `A ${statusWord(run.status).toLowerCase()} run cannot be reprocessed.`;
  const newest = attempts.reduce((max, attempt) => Math.max(max, attempt.attempt), run.attempt);
  const again = run.status === 'RESET' && latest;
  const gate = manualJobOf(run);
  const withheld = (again ? access.why('caller', 'Running the date again') : undefined) ?? access.why('operator', gate ? 'Starting a job, reprocessing or resetting a run' : 'Reprocessing or resetting a run');
  return h(
    'div',
    { class: 'run-actions' },
    operator && gate ? h('button', { type: 'button', class: 'button button-primary', dataset: { focusKey: 'start-job' }, onClick: () => props.onStartJob(gate) }, `Start job ${gate.seq} (${jobTypeLabel(gate.type)})…`) : null,
    operator ? h('button', { type: 'button', class: 'button button-primary', dataset: { focusKey: 'reprocess-run' }, disabled: !canReprocess(run), onClick: props.onReprocessRun }, 'Reprocess run…') : null,
    run.status !== 'RESET'
      ? operator
        ? h('button', { type: 'button', class: 'button button-danger-quiet', dataset: { focusKey: 'reset-run' }, onClick: props.onReset }, 'Reset run…')
        : null
      : latest
        ? access.may('caller')
          ? h('button', { type: 'button', class: 'button', dataset: { focusKey: 'run-again' }, onClick: props.onRunAgain }, `Run again (attempt ${run.attempt + 1})`)
          : null
        : h('span', { class: 'muted small' }, `Attempt ${newest} is the current one.`),
    h('button', { type: 'button', class: 'button button-quiet', dataset: { focusKey: 'refresh-run' }, onClick: props.onRefresh }, 'Refresh'),
    operator && reprocessReason && !gate ? h('span', { class: 'muted small' }, reprocessReason) : null,
    withheld ? h('span', { class: 'muted small role-note' }, withheld) : null,
  );
}

/**
 * @param {{ run, attempts: object[], latest: boolean, access: import('../../session.js').Access, openSeq?: number, onItems(seq),
 *   failureCodes?(job): object | undefined, onReprocessRun(), onReprocessJob(job), onReset(), onStartJob(job), onRunAgain(), onRefresh(), onOpenAttempt(runId) }} props
 *   latest: the date's newest attempt; access: what the signed-in role may do; failureCodes: a failed job's items by code, once loaded
 */
export function runView(props) {
  const { run, attempts } = props;
  const active = isActive(run.status);
  const skipped = skipText(run);
  const waiting = waitingText(run, run.config.timezone);
  return h(
    'div',
    { class: 'stack' },
    h(
      'div',
      { class: ['card', 'run-head', `run-${run.status.toLowerCase()}`] },
      h('div', { class: 'run-title-row' }, h('h2', { id: 'run-title', tabindex: '-1' }, `${run.scheduleName} · ${formatDate(run.processingDate)}`), h('div', {}, lateTag(run), statusBadge(run.status, { large: true }))),
      h(
        'dl',
        { class: 'facts' },
        [
          ['Attempt', String(run.attempt)],
          ['Pass', String(passOf(run))],
          ['Trigger', triggerWord(run.trigger)],
          ['Created', formatInstant(run.createdAt, run.config.timezone)],
          ['Started', run.startedAt ? formatInstant(run.startedAt, run.config.timezone) : '—'],
          ['Ended', run.endedAt ? formatInstant(run.endedAt, run.config.timezone) : '—'],
          ['Duration', elapsed(run.startedAt, active ? undefined : run.endedAt) || '—'],
          ...(run.deadlineAt ? [['Deadline', `${formatInstant(run.deadlineAt, run.config.timezone)}${run.late ? ' (missed)' : ''}`]] : []),
          ['Run id', h('code', {}, run.runId)],
        ].map(([term, value]) => h('div', {}, h('dt', {}, term), h('dd', {}, value))),
      ),
      attemptsNav(run, attempts, props.onOpenAttempt),
      waiting && active ? h('p', { class: 'banner banner-info waiting-note' }, waiting) : null,
      skipped ? h('div', { class: 'banner banner-warn skip-note' }, h('strong', {}, skipped.reason), h('p', {}, skipped.remedy)) : null,
      run.error && run.status === 'FAILED' ? h('div', { class: 'banner banner-error' }, h('strong', {}, 'Needs a person: '), h('code', {}, run.error.code), ` ${run.error.message}`) : null,
      historyNote(run),
      h('div', { class: 'overall' }, skipped ? null : progressBar(run.stats.items, 'Items of the run'), h('p', { class: 'small run-stats' }, runStatsText(run, formatCount))),
      actionsOf(props),
      active ? h('p', { class: 'muted small refreshing' }, 'Refreshing by itself while the run is active.') : null,
    ),
    h('ol', { class: 'tiles', 'aria-label': 'Jobs in sequence' }, run.jobs.map((job) => jobTile(run, job, props))),
    configSummary(run.config),
  );
}
