import { fileURLToPath } from 'node:url';
import { StateMachine } from 'aws-local-stepfunctions';
import { describe, expect, it } from 'vitest';
import { definitionSubstitutions, loadDefinition } from '../../lambdas/adapters/local/local-asl-definition';

/**
 * statemachines/schedule-run.asl.json keeps what it carries between states small however many
 * batches a job has: a Distributed Map's aggregated result counts against the 256 KiB payload
 * limit even with ResultPath null (States.DataLimitExceeded after all the work is done), so each
 * child outputs {}, and the batch lists are dropped once their Map has run. Executed by the
 * interpreter itself, so that every state's input and output can be read from its event log.
 */

const definitionPath = fileURLToPath(new URL('../../statemachines/schedule-run.asl.json', import.meta.url));

type EventLog = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncIterable<infer E> ? E : never;

/** Two jobs: the first with `batches` batches, `failed` of them retried; the second with 10 and no failures. */
async function execute(batches: number, failed: number): Promise<EventLog[]> {
  const jobs = [
    { all: Array.from({ length: batches }, (_, i) => i), failed: Array.from({ length: failed }, (_, i) => i) },
    { all: Array.from({ length: 10 }, (_, i) => i), failed: [] },
  ];
  // What the worker answers with SendTaskSuccess (lambdas/services/worker-service.ts).
  const workerAnswer = (input: unknown) => ({ batchNo: (input as { MessageBody: { batchNo: number } }).MessageBody.batchNo, succeeded: 500, failed: 0 });
  const machine = new StateMachine(loadDefinition(definitionPath, definitionSubstitutions('http://queue')));
  const execution = machine.run(
    { clientId: 'acme', scheduleId: 'sch_daily', runId: 'run_1', trigger: 'API' },
    {
      overrides: {
        taskResourceLocalHandlers: {
          BeginRun: () => ({ runId: 'run_1', index: 0, action: 'RUN', maxConcurrency: 50, batchTimeoutSeconds: 2400 }),
          BeginJob: (input) => {
            const { index } = input as { index: number };
            return index < jobs.length ? { action: 'RUN', seq: index + 1 } : { action: 'COMPLETE', seq: index };
          },
          CollectWorkItems: (input) => ({ batches: jobs[(input as { seq: number }).seq - 1]!.all }),
          FindFailedBatches: (input) => ({ batches: jobs[(input as { seq: number }).seq - 1]!.failed }),
          ProcessBatch: workerAnswer,
          RetryBatch: workerAnswer,
          FinalizeJob: (input) => (input as { index: number }).index + 1,
          CompleteRun: () => ({}),
        },
      },
      context: { Execution: { Name: 'run_1-x1' }, Task: { Token: 'token' } },
    },
  );
  const events: EventLog[] = [];
  for await (const event of execution.eventLogs) events.push(event);
  await execution.result;
  return events;
}

function statesNamed(events: EventLog[], type: 'StateEntered' | 'StateExited', ...names: string[]) {
  return events.flatMap((event) => (event.type === type && names.includes(event.state.name) ? [event.state] : []));
}

describe('the schedule-run state machine, however many batches a job has', () => {
  it('has every Map child output {} and carries no batch list past the Maps', async () => {
    const events = await execute(2_000, 700);

    const childOutputs = statesNamed(events, 'StateExited', 'ProcessBatch', 'RetryBatch').map((state) => state.output);
    expect(childOutputs).toHaveLength(2_000 + 700 + 10);
    expect(new Set(childOutputs.map((output) => JSON.stringify(output)))).toEqual(new Set(['{}']));

    // The state FinalizeJob starts from, after each job's Maps.
    const afterMaps = statesNamed(events, 'StateEntered', 'FinalizeJob').map((state) => state.input as Record<string, unknown>);
    expect(afterMaps.map(({ collect, retry }) => ({ collect, retry }))).toEqual([
      { collect: { batchesRun: 2_000 }, retry: { batchesRun: 700 } },
      { collect: { batchesRun: 10 }, retry: { batches: [] } },
    ]);
    expect(JSON.stringify(afterMaps[0]).length).toBeLessThan(1_024);
  });
});
