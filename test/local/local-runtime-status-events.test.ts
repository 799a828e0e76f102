import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../lambdas/composition/local-runtime';
import { TransientStoreError } from '../../lambdas/domain/errors';
import { api, startTestRuntime, waitForRun } from '../support/local-runtime';

// Chaos finding (while building test/chaos/data-path-faults.test.ts, DynamoDB throttling): the
// local runtime dropped an execution status event its handler could not take, and there is no
// reconciler between restarts locally, so a run whose execution failed stayed RUNNING.
describe('the local runtime delivers execution status events again until they are taken', () => {
  let runtime: LocalRuntime;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    await api(runtime, 'PUT', '/v1/clients/acme', { name: 'Acme', timezone: 'UTC' });
  });

  afterAll(async () => {
    await runtime?.stop();
  });

  it('settles a failed run as FAILED although the store was busy the first times its status event came', async () => {
    const status = runtime.engine.executionStatus;
    const handle = status.handle.bind(status);
    let refusals = 2;
    status.handle = async (detail) => {
      if (detail.status === 'FAILED' && refusals-- > 0) throw new TransientStoreError('DynamoDB is busy: ThrottlingException');
      return handle(detail);
    };

    const triggered = await api(runtime, 'POST', '/v1/clients/acme/schedules/daily/runs', {
      processingDate: '2026-11-25',
      jobs: [{ type: 'SYNTHETIC', settings: { items: 10, failItems: [3] } }],
    });
    expect(triggered.status).toBe(202);
    const run = await waitForRun(runtime, 'acme', triggered.body.runId, ['FAILED', 'COMPLETED'], 30_000);

    expect(run.status).toBe('FAILED');
    expect(run.error?.code).toBe('ITEMS_FAILED');
    expect(refusals).toBe(-1);
  });
});
