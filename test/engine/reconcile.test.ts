import { beforeEach, describe, expect, it } from 'vitest';
import { createEngineHarness, type EngineHarness } from '../support/engine-harness';

describe('the reconciler', () => {
  let engine: EngineHarness;
  let scheduleId: string;

  beforeEach(async () => {
    engine = await createEngineHarness();
    scheduleId = (await engine.addSchedule({ jobs: [{ type: 'SYNTHETIC', settings: { items: 10 } }] })).scheduleId;
  });

  async function runningRun(date: string): Promise<{ runId: string; executionName: string }> {
    const { run } = await engine.runs.trigger('acme', scheduleId, { processingDate: date });
    await engine.steps.beginRun({ input: { clientId: 'acme', scheduleId, runId: run.runId, trigger: 'API' }, executionName: run.executionName });
    return { runId: run.runId, executionName: run.executionName };
  }

  it('fails a RUNNING run whose execution failed without the status event arriving', async () => {
    const { runId, executionName } = await runningRun('2026-11-01');
    engine.orchestrator.executions.set(executionName, { status: 'FAILED', error: 'States.Timeout', cause: 'the batch timed out', redriveCount: 0 });

    const report = await engine.reconcile.reconcile();

    expect(report.settled).toEqual([runId]);
    const run = await engine.runs.getRun('acme', runId);
    expect(run.status).toBe('FAILED');
    expect(run.error).toMatchObject({ code: 'States.Timeout', message: 'the batch timed out' });
  });

  it('leaves runs whose execution still runs alone', async () => {
    const { runId, executionName } = await runningRun('2026-11-02');
    engine.orchestrator.executions.set(executionName, { status: 'RUNNING', redriveCount: 0 });

    const report = await engine.reconcile.reconcile();

    expect(report).toMatchObject({ settled: [], started: [] });
    expect((await engine.runs.getRun('acme', runId)).status).toBe('RUNNING');
  });

  it('starts the execution of a PENDING run that was never started, once the start grace has passed', async () => {
    const { run } = await engine.runs.trigger('acme', scheduleId, { processingDate: '2026-11-03' });
    engine.orchestrator.started.length = 0;

    expect((await engine.reconcile.reconcile()).started).toEqual([]);
    engine.clock.set('2026-11-25T12:05:00Z');
    const report = await engine.reconcile.reconcile();

    expect(report.started).toEqual([run.runId]);
    expect(engine.orchestrator.started.map((s) => s.name)).toEqual([run.executionName]);
    expect(engine.orchestrator.started[0]?.input).toMatchObject({ runId: run.runId, processingDate: '2026-11-03' });
  });

  // StartExecution is idempotent only for the same name and input: a different input would fail
  // with ExecutionAlreadyExists when the trigger's own start had in fact gone through.
  it('starts an orphaned PENDING run with the very input its trigger used', async () => {
    const { run } = await engine.runs.trigger('acme', scheduleId, { processingDate: '2026-11-04', trigger: 'MANUAL' });
    const byTrigger = engine.orchestrator.started.find((s) => s.name === run.executionName);
    engine.clock.set('2026-11-25T12:05:00Z');

    await engine.reconcile.reconcile();

    const byReconciler = engine.orchestrator.started.filter((s) => s.name === run.executionName);
    expect(byReconciler).toHaveLength(2);
    expect(byReconciler[1]).toEqual(byTrigger);
  });
});
