import { describe, expect, it } from 'vitest';
import type { StateChange } from '../../lambdas/adapters/local/local-state-machine';
import { phaseTimeline, phaseTimelineMarkdown, phaseTimelineSummary } from '../../bench/phases';

const T0 = Date.UTC(2026, 11, 2, 7, 0, 0);
const EXECUTION = 'run-1';

/** A state entered at `from` and exited at `to` seconds after T0. */
function state(stateName: string, from: number, to: number, executionName = EXECUTION): StateChange[] {
  return [
    { executionName, type: 'StateEntered', stateName, at: T0 + from * 1000 },
    { executionName, type: 'StateExited', stateName, at: T0 + to * 1000 },
  ];
}

/** Two jobs, the second with a retry pass and a Wait loop at its BeginJob; another execution's states interleaved. */
const changes: StateChange[] = [
  ...state('BeginRun', 0.5, 0.7),
  ...state('BeginJob', 0.7, 0.8),
  ...state('CollectWorkItems', 0.8, 1),
  ...state('BeginJob', 0.9, 5, 'other-run'),
  ...state('ProcessBatches', 1, 4),
  ...state('FindFailedBatches', 4, 4.1),
  ...state('FinalizeJob', 4.1, 4.2),
  ...state('BeginJob', 5.2, 5.3),
  ...state('WaitForLedger', 5.3, 6),
  ...state('BeginJob', 6, 6.1),
  ...state('CollectWorkItems', 6.1, 6.2),
  ...state('ProcessBatches', 6.2, 8),
  ...state('FindFailedBatches', 8, 8.1),
  ...state('RetryFailedBatches', 8.1, 9),
  ...state('FinalizeJob', 9, 9.2),
  // The BeginJob that finds no job left belongs to the run, not to a third job.
  ...state('BeginJob', 9.2, 9.3),
  ...state('CompleteRun', 9.3, 9.5),
];

describe('the per-phase timeline of a run', () => {
  const timeline = phaseTimeline(changes, EXECUTION, T0, 10);

  it("puts each job's collect, Map, retry pass and finalize at the seconds they ran, from the run's own states only", () => {
    const summary = phaseTimelineSummary(timeline, ['USAGE_RATING', 'BILLING']);
    expect(summary.jobs).toEqual([
      { type: 'USAGE_RATING', collect: [0.8, 1], Map: [1, 4], 'find failed': [4, 4.1], finalize: [4.1, 4.2] },
      { type: 'BILLING', collect: [6.1, 6.2], Map: [6.2, 8], 'find failed': [8, 8.1], 'retry pass': [8.1, 9], finalize: [9, 9.2] },
    ]);
    expect(timeline.secondsByState.BeginJob).toBeCloseTo(0.1 + 0.1 + 0.1 + 0.1, 6);
    expect(timeline.secondsByState.WaitForLedger).toBeCloseTo(0.7, 6);
  });

  it('counts as gaps the seconds no state of the run covered: before BeginRun, between jobs, after CompleteRun', () => {
    // 0–0.5 before BeginRun, 4.2–5.2 between the jobs, 9.5–10 after CompleteRun.
    expect(timeline.gapSeconds).toBeCloseTo(0.5 + 1 + 0.5, 6);
    expect(phaseTimelineSummary(timeline, []).gapSeconds).toBeCloseTo(2, 6);
  });

  it('prints a row per job with each phase, a dash for a phase the job did not take, and where the seconds went', () => {
    const markdown = phaseTimelineMarkdown(timeline, ['USAGE_RATING', 'BILLING']);
    expect(markdown[0]).toBe('| job | collect | Map | find failed | retry pass | finalize |');
    expect(markdown[2]).toBe('| USAGE_RATING | 0.80–1.00 | 1.00–4.00 | 4.00–4.10 | — | 4.10–4.20 |');
    expect(markdown[3]).toBe('| BILLING | 6.10–6.20 | 6.20–8.00 | 8.00–8.10 | 8.10–9.00 | 9.00–9.20 |');
    expect(markdown.at(-1)).toContain("Of the run's 10.00 s: ProcessBatches 4.80 s");
    expect(markdown.at(-1)).toContain('2.00 s in no state');
  });
});
