import { describe, expect, it } from 'vitest';
import {
  ApiEnvironment,
  BeginRunEnvironment,
  ExecutionStatusEnvironment,
  InvalidEnvironmentError,
  JobStepEnvironment,
  loadEnvironment,
  WorkerEnvironment,
} from '../../lambdas/composition/environment';

/** What the stack sets on every function (lib/job-schedule-manager-stack.ts). */
const SHARED = {
  STAGE: 'dev',
  CONFIG_TABLE_NAME: 'config',
  RUNS_TABLE_NAME: 'runs',
  LEDGER_TABLE_NAME: 'ledger',
  ALLOW_SYNTHETIC: 'false',
  OUTCOME_RETENTION_DAYS: '400',
};
const SCHEDULER = {
  STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:123456789012:stateMachine:run',
  SCHEDULE_GROUP_NAME: 'job-schedule-manager-dev',
  SCHEDULER_ROLE_ARN: 'arn:aws:iam::123456789012:role/scheduler',
  SCHEDULER_DLQ_ARN: 'arn:aws:sqs:eu-west-1:123456789012:scheduler-dlq',
};

describe('the functions’ environment schemas', () => {
  it('type what the worker reads: numbers as numbers, flags as booleans', () => {
    const env = loadEnvironment(WorkerEnvironment, { ...SHARED, CORE_BILLING_URL: 'https://core.example.com', CORE_BILLING_SECRET_ID: 'core-key' });

    expect(env).toMatchObject({ OUTCOME_RETENTION_DAYS: 400, ALLOW_SYNTHETIC: false, CORE_BILLING_URL: 'https://core.example.com' });
  });

  it('name each missing variable of the function', () => {
    const load = () => loadEnvironment(WorkerEnvironment, SHARED);

    expect(load).toThrow(InvalidEnvironmentError);
    expect(load).toThrow(/CORE_BILLING_URL: not set; CORE_BILLING_SECRET_ID: not set/);
  });

  it('name an invalid variable with what is wrong with it', () => {
    expect(() => loadEnvironment(BeginRunEnvironment, { ...SHARED, ...SCHEDULER, MAP_MAX_CONCURRENCY: 'forty', BATCH_TIMEOUT_SECONDS: '900' })).toThrow(
      /MAP_MAX_CONCURRENCY: .*number/,
    );
    expect(() => loadEnvironment(ApiEnvironment, { ...SHARED, ...SCHEDULER, SCHEDULER_ROLE_ARN: 'scheduler' })).toThrow(/SCHEDULER_ROLE_ARN: .*"arn:"/);
    expect(() => loadEnvironment(ExecutionStatusEnvironment, { ...SHARED, ALLOW_SYNTHETIC: 'yes' })).toThrow(/ALLOW_SYNTHETIC: /);
  });

  it('ask each function only for what it uses: the job steps need no scheduler, the status target no ledger', () => {
    expect(loadEnvironment(JobStepEnvironment, SHARED)).toMatchObject({ LEDGER_TABLE_NAME: 'ledger' });
    const { LEDGER_TABLE_NAME: _ledger, ...withoutLedger } = SHARED;
    // The status target starts a backfill's next run, so it needs the state machine, not the scheduler.
    expect(loadEnvironment(ExecutionStatusEnvironment, { ...withoutLedger, STATE_MACHINE_ARN: SCHEDULER.STATE_MACHINE_ARN })).toMatchObject({ RUNS_TABLE_NAME: 'runs' });
    expect(() => loadEnvironment(ExecutionStatusEnvironment, withoutLedger)).toThrow(/STATE_MACHINE_ARN: not set/);
    expect(() => loadEnvironment(JobStepEnvironment, withoutLedger)).toThrow(/LEDGER_TABLE_NAME: not set/);
  });
});
