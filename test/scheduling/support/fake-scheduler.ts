import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ResourceNotFoundException,
  UpdateScheduleCommand,
  type CreateScheduleCommandInput,
} from '@aws-sdk/client-scheduler';
import type { SchedulerCommand, SchedulerSender } from '../../../lambdas/adapters/aws/eventbridge-scheduler-trigger';

export interface SentCommand {
  command: 'CreateSchedule' | 'UpdateSchedule' | 'DeleteSchedule' | 'GetSchedule';
  input: Record<string, unknown>;
}

/**
 * A SchedulerClient stand-in: records every command sent and answers like EventBridge Scheduler
 * for the schedules it holds (ResourceNotFound for a missing one, Conflict for a second create).
 */
export class FakeScheduler implements SchedulerSender {
  readonly sent: SentCommand[] = [];
  readonly schedules = new Map<string, CreateScheduleCommandInput>();

  async send(command: SchedulerCommand): Promise<unknown> {
    const key = `${command.input.GroupName}/${command.input.Name}`;
    const notFound = (): ResourceNotFoundException => new ResourceNotFoundException({ message: `Schedule ${command.input.Name} does not exist.`, Message: `Schedule ${command.input.Name} does not exist.`, $metadata: {} });
    if (command instanceof CreateScheduleCommand) {
      this.sent.push({ command: 'CreateSchedule', input: { ...command.input } });
      if (this.schedules.has(key)) throw new ConflictException({ message: `Schedule ${command.input.Name} already exists.`, Message: `Schedule ${command.input.Name} already exists.`, $metadata: {} });
      this.schedules.set(key, command.input);
      return { ScheduleArn: `arn:aws:scheduler:us-east-1:123456789012:schedule/${key}` };
    }
    if (command instanceof UpdateScheduleCommand) {
      this.sent.push({ command: 'UpdateSchedule', input: { ...command.input } });
      if (!this.schedules.has(key)) throw notFound();
      this.schedules.set(key, command.input);
      return { ScheduleArn: `arn:aws:scheduler:us-east-1:123456789012:schedule/${key}` };
    }
    if (command instanceof DeleteScheduleCommand) {
      this.sent.push({ command: 'DeleteSchedule', input: { ...command.input } });
      if (!this.schedules.delete(key)) throw notFound();
      return {};
    }
    if (command instanceof GetScheduleCommand) {
      this.sent.push({ command: 'GetSchedule', input: { ...command.input } });
      const found = this.schedules.get(key);
      if (!found) throw notFound();
      return { ...found, Arn: `arn:aws:scheduler:us-east-1:123456789012:schedule/${key}` };
    }
    throw new Error('unexpected command');
  }

  /** The commands that changed something, without the reads. */
  writes(): SentCommand[] {
    return this.sent.filter((sent) => sent.command !== 'GetSchedule');
  }

  expressionOf(name: string, group = GROUP): string | undefined {
    return this.schedules.get(`${group}/${name}`)?.ScheduleExpression;
  }
}

export const GROUP = 'job-schedule-manager-test';
export const SETTINGS = {
  groupName: GROUP,
  stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:JobScheduleManager-test-ScheduleRun',
  roleArn: 'arn:aws:iam::123456789012:role/scheduler',
  deadLetterQueueArn: 'arn:aws:sqs:us-east-1:123456789012:scheduler-dlq',
};
