import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoConfigStore } from '../../lambdas/adapters/aws/dynamo-config-store';
import { DynamoRunStore } from '../../lambdas/adapters/aws/dynamo-run-store';
import { CONFIG_TABLE, RUNS_TABLE } from '../../lambdas/adapters/aws/table-definitions';
import { createJobRegistry } from '../../lambdas/jobs/job-catalogue';
import type { Run } from '../../lambdas/domain/model';
import { RunService } from '../../lambdas/services/run-service';
import { createTestTables } from '../support/dynamo';
import { RecordingOrchestrator, silentLogger } from '../support/engine-harness';
import { scheduleFixture } from '../support/fixtures';

/** A run store in which an operator's reset lands at chosen moments of a trigger. */
class ResettingRunStore extends DynamoRunStore {
  /** Reset the run this many times just before it is read (inside the claim, too). */
  resetsBeforeRead = 0;
  /** Reset the run a claim found, once, right after the claim returns it. */
  resetAfterClaim = false;

  override async claimRun(draft: Parameters<DynamoRunStore['claimRun']>[0]): ReturnType<DynamoRunStore['claimRun']> {
    const claimed = await super.claimRun(draft);
    if (this.resetAfterClaim && !claimed.created) {
      this.resetAfterClaim = false;
      await this.resetRun(claimed.run.runId, '2026-11-25T12:00:00.000Z');
    }
    return claimed;
  }

  override async getRun(runId: string, consistent = false): Promise<Run | undefined> {
    if (this.resetsBeforeRead > 0) {
      this.resetsBeforeRead--;
      await this.resetRun(runId, '2026-11-25T12:00:00.000Z');
    }
    return super.getRun(runId, consistent);
  }
}

// Chaos finding (test/chaos/concurrent-operations.test.ts): a trigger racing a reset answered 200
// with the RESET run; core billing polls until COMPLETED, FAILED or SKIPPED and would poll it forever.
describe('RunService.trigger racing a reset', () => {
  let store: ResettingRunStore;
  let service: RunService;
  let orchestrator: RecordingOrchestrator;
  let date = 0;

  beforeAll(async () => {
    const tables = await createTestTables();
    store = new ResettingRunStore(tables.document, tables.tableName(RUNS_TABLE));
    const config = new DynamoConfigStore(tables.document, tables.tableName(CONFIG_TABLE));
    const at = '2026-11-25T00:00:00.000Z';
    await config.createClient({ clientId: 'acme', name: 'Acme', timezone: 'America/New_York', dailyScheduleId: 'sch_test', createdAt: at, updatedAt: at }, scheduleFixture());
    orchestrator = new RecordingOrchestrator();
    service = new RunService({
      runs: store,
      config,
      registry: createJobRegistry({ allowSynthetic: true }),
      orchestrator,
      clock: { now: () => new Date('2026-11-25T12:00:00.000Z') },
      logger: silentLogger,
    });
  });

  const nextDate = (): string => `2026-12-${String(++date).padStart(2, '0')}`;

  it('claims the next attempt when the run it found is reset before it answers', async () => {
    const processingDate = nextDate();
    const first = await service.trigger('acme', 'sch_test', { processingDate });
    expect(first).toMatchObject({ created: true, run: { attempt: 1, status: 'PENDING' } });

    // Reset between the claim's read of the date and its read of the run it found.
    store.resetsBeforeRead = 1;
    const second = await service.trigger('acme', 'sch_test', { processingDate });
    expect(second).toMatchObject({ created: true, run: { attempt: 2, status: 'PENDING' } });

    const third = await service.trigger('acme', 'sch_test', { processingDate });
    expect(third).toMatchObject({ created: false, run: { attempt: 2 } });

    // Reset after the claim found attempt 2, before the trigger reads it to answer.
    store.resetAfterClaim = true;
    const fourth = await service.trigger('acme', 'sch_test', { processingDate });
    expect(fourth).toMatchObject({ created: true, run: { attempt: 3, status: 'PENDING' } });
  });
});
