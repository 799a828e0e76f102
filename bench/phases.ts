import type { LocalRuntime } from '../lambdas/composition/local-runtime';
import type { StateChange } from '../lambdas/adapters/local/local-state-machine';
import { round } from './progress';

/** One top-level state of the run's execution, in seconds from the run's trigger. */
export interface PhaseSpan {
  state: string;
  /** The job the state worked for (by position in the run), absent for BeginRun and CompleteRun. */
  job?: number;
  start: number;
  end: number;
}

/** Where a run's seconds went: every top-level state's span and the seconds no state covered. */
export interface PhaseTimeline {
  runSeconds: number;
  spans: PhaseSpan[];
  /** Seconds per state name, summed over jobs. */
  secondsByState: Record<string, number>;
  /** Seconds of the run inside no state: the trigger's way to BeginRun, the hand-offs between states, and the end's way to the run's final status. */
  gapSeconds: number;
}

/** The phases the report shows per job, by the ASL's state names. */
export const JOB_PHASES = [
  { label: 'collect', state: 'CollectWorkItems' },
  { label: 'Map', state: 'ProcessBatches' },
  { label: 'find failed', state: 'FindFailedBatches' },
  { label: 'retry pass', state: 'RetryFailedBatches' },
  { label: 'finalize', state: 'FinalizeJob' },
] as const;

/** Records the top-level state changes of every execution from now on. */
export function recordStateChanges(runtime: Pick<LocalRuntime, 'orchestrator'>): { changes: StateChange[]; stop(): void } {
  const changes: StateChange[] = [];
  const stop = runtime.orchestrator.onStateChange((change) => changes.push(change));
  return { changes, stop };
}

/**
 * The timeline of one execution: each state entered is paired with the next exit of the same
 * name (top-level states run one at a time). A job's states are the ones from its BeginJob
 * (Wait loops included) to its FinalizeJob; `triggeredAt` and `runSeconds` frame the run.
 */
export function phaseTimeline(changes: readonly StateChange[], executionName: string, triggeredAt: number, runSeconds: number): PhaseTimeline {
  const spans: PhaseSpan[] = [];
  const open = new Map<string, number>();
  let job = 0;
  let inJob = false;
  for (const change of changes) {
    if (change.executionName !== executionName) continue;
    const at = (change.at - triggeredAt) / 1000;
    if (change.type === 'StateEntered') {
      if (change.stateName === 'BeginJob' && !inJob) {
        inJob = true;
        job += 1;
      }
      open.set(change.stateName, at);
      continue;
    }
    const start = open.get(change.stateName);
    if (start === undefined) continue;
    open.delete(change.stateName);
    const belongsToJob = inJob && change.stateName !== 'CompleteRun' && change.stateName !== 'FailRun';
    spans.push({ state: change.stateName, ...(belongsToJob ? { job } : {}), start: round(start, 3), end: round(at, 3) });
    if (change.stateName === 'FinalizeJob') inJob = false;
  }
  // The BeginJob that finds no job left opened no job: its states are the run's.
  const worked = new Set(spans.filter((s) => s.state === 'CollectWorkItems' || s.state === 'FinalizeJob').map((s) => s.job));
  for (const span of spans) if (!worked.has(span.job)) delete span.job;
  const secondsByState: Record<string, number> = {};
  for (const span of spans) secondsByState[span.state] = round((secondsByState[span.state] ?? 0) + span.end - span.start, 3);
  return { runSeconds, spans, secondsByState, gapSeconds: round(Math.max(0, runSeconds - coveredSeconds(spans, runSeconds)), 3) };
}

/** Seconds of [0, runSeconds] inside at least one span. */
function coveredSeconds(spans: readonly PhaseSpan[], runSeconds: number): number {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  let covered = 0;
  let reach = 0;
  for (const span of sorted) {
    const start = Math.max(reach, span.start, 0);
    const end = Math.min(span.end, runSeconds);
    if (end > start) covered += end - start;
    reach = Math.max(reach, end);
  }
  return covered;
}

/** Per job, each phase's first start and last end (a phase a job did not take is absent). */
export function phasesByJob(timeline: PhaseTimeline, jobTypes: readonly string[]): Array<{ job: number; type: string; phases: Record<string, { start: number; end: number }> }> {
  const jobs = [...new Set(timeline.spans.flatMap((s) => (s.job === undefined ? [] : [s.job])))];
  return jobs.map((job) => {
    const phases: Record<string, { start: number; end: number }> = {};
    for (const { label, state } of JOB_PHASES) {
      const own = timeline.spans.filter((s) => s.job === job && s.state === state);
      if (own.length > 0) phases[label] = { start: Math.min(...own.map((s) => s.start)), end: Math.max(...own.map((s) => s.end)) };
    }
    return { job, type: jobTypes[job - 1] ?? `job ${job}`, phases };
  });
}

const seconds = (n: number): string => n.toFixed(2);

/** The markdown of a timeline: a row per job, start–end of each phase, then where the rest went. */
export function phaseTimelineMarkdown(timeline: PhaseTimeline, jobTypes: readonly string[]): string[] {
  const rows = phasesByJob(timeline, jobTypes).map(
    ({ type, phases }) => `| ${type} | ${JOB_PHASES.map(({ label }) => (phases[label] ? `${seconds(phases[label].start)}–${seconds(phases[label].end)}` : '—')).join(' | ')} |`,
  );
  const byState = Object.entries(timeline.secondsByState)
    .sort(([, a], [, b]) => b - a)
    .map(([state, s]) => `${state} ${seconds(s)} s`)
    .join(', ');
  return [
    `| job | ${JOB_PHASES.map((p) => p.label).join(' | ')} |`,
    `| --- | ${JOB_PHASES.map(() => '---:').join(' | ')} |`,
    ...rows,
    '',
    `Seconds from the trigger, from the interpreter's state entered and exited events. Of the run's ${seconds(timeline.runSeconds)} s: ${byState || 'no state'}; ${seconds(timeline.gapSeconds)} s in no state (the trigger's way to BeginRun, hand-offs between states, the end's way to the run's final status).`,
  ];
}

/** The JSON summary's form: per job each phase's [start, end], the seconds per state and the gap. */
export function phaseTimelineSummary(timeline: PhaseTimeline, jobTypes: readonly string[]): Record<string, unknown> {
  return {
    jobs: phasesByJob(timeline, jobTypes).map(({ type, phases }) => ({ type, ...Object.fromEntries(Object.entries(phases).map(([label, p]) => [label, [p.start, p.end]])) })),
    secondsByState: timeline.secondsByState,
    gapSeconds: timeline.gapSeconds,
    runSeconds: timeline.runSeconds,
  };
}
