import { App, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { stageConfig } from './config/stage-config';
import { JobScheduleManagerStack, stackNameFor } from './job-schedule-manager-stack';

/** The stage synthesized when `-c stage=<name>` is not given. */
export const DEFAULT_STAGE = 'dev';

export interface JobScheduleManagerApp {
  readonly app: App;
  readonly stack: JobScheduleManagerStack;
}

/**
 * The CDK app: one stack for the stage named by the `stage` context (default dev), checked by
 * cdk-nag's AwsSolutions pack, which fails synthesis on any finding not acknowledged next to
 * its resource. Account and region come from the CLI's environment when it has one; without
 * credentials the stack stays environment-agnostic, so synth works offline.
 */
export function createApp(props: AppProps = {}): JobScheduleManagerApp {
  const app = new App(props);
  const stage = String(app.node.tryGetContext('stage') ?? DEFAULT_STAGE);
  const alarmEmail: unknown = app.node.tryGetContext('alarmEmail');
  const config = stageConfig(stage, typeof alarmEmail === 'string' && alarmEmail ? { alarmEmail } : {});

  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const region = process.env.CDK_DEFAULT_REGION;
  const stack = new JobScheduleManagerStack(app, stackNameFor(config.stageName), {
    config,
    description: `Job Schedule Manager (${config.stageName}): schedules, runs and work items of the billing platform's batch jobs`,
    ...(account && region ? { env: { account, region } } : {}),
  });

  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
