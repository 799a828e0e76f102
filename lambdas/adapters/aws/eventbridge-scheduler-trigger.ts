import { createHash } from 'node:crypto';
import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ResourceNotFoundException,
  UpdateScheduleCommand,
  type CreateScheduleCommandInput,
  type GetScheduleCommandOutput,
} from '@aws-sdk/client-scheduler';
import { scheduledFireInput } from '../../domain/run';
import type { Occurrence } from '../../domain/schedule-calendar';
import type { ScheduleKey, ScheduleTrigger } from '../../ports/schedule-trigger';

/** The commands this adapter sends: a SchedulerClient, or a fake that records them. */
export type SchedulerCommand = GetScheduleCommand | CreateScheduleCommand | UpdateScheduleCommand | DeleteScheduleCommand;
export interface SchedulerSender {
  send(command: SchedulerCommand): Promise<unknown>;
}

export interface EventBridgeSchedulerSettings {
  /** The stage's schedule group: every trigger lives in it, and IAM is scoped to it. */
  groupName: string;
  /** The schedule-run state machine, started by each fire. */
  stateMachineArn: string;
  /** The role EventBridge Scheduler assumes: it may only start that state machine (and dead-letter). */
  roleArn: string;
  /** Where a fire that could not start the state machine goes after its retries. */
  deadLetterQueueArn: string;
}

/**
 * Retries of a fire that could not start the state machine (throttling, a service hiccup), then
 * its dead-letter queue, whose alarm pages; the reconciler also fires the missed occurrence within
 * the schedule's catch-up window once the trigger is found spent. An hour is long enough to ride out
 * an incident and short enough that the alarm comes while the run can still matter the same day.
 */
export const FIRE_RETRY_POLICY = { MaximumRetryAttempts: 20, MaximumEventAgeInSeconds: 3600 } as const;

/** EventBridge Scheduler replaces this with the instant the schedule was set to fire. */
const SCHEDULED_TIME = '<aws.scheduler.scheduled-time>';

/**
 * A schedule's trigger name: `<clientId>.<scheduleId>` when that fits EventBridge's 64 characters,
 * else the client id's start and a digest (`.h_` never begins a schedule id, so names never clash).
 */
export function triggerNameFor(schedule: ScheduleKey): string {
  const readable = `${schedule.clientId}.${schedule.scheduleId}`;
  if (readable.length <= 64) return readable;
  const digest = createHash('sha256').update(`${schedule.clientId}\u0000${schedule.scheduleId}`).digest('hex').slice(0, 40);
  return `${schedule.clientId.slice(0, 20)}.h_${digest}`;
}

/** `at(yyyy-mm-ddThh:mm:ss)` of an instant, read in ScheduleExpressionTimezone UTC. */
export function atExpression(instant: string): string {
  return `at(${new Date(instant).toISOString().slice(0, 19)})`;
}

function instantOfAt(expression: string | undefined, timezone: string | undefined): string | undefined {
  const match = /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/.exec(expression ?? '');
  if (!match || (timezone ?? 'UTC') !== 'UTC') return undefined;
  return new Date(`${match[1]}Z`).toISOString();
}

/**
 * The ScheduleTrigger port on EventBridge Scheduler: one one-time `at()` schedule per job schedule,
 * at the calendar's next occurrence. Not a cron in the client's zone: EventBridge Scheduler skips a
 * time that does not exist on a spring-forward day, where the calendar runs at the next valid instant.
 */
export class EventBridgeSchedulerTrigger implements ScheduleTrigger {
  constructor(
    private readonly client: SchedulerSender,
    private readonly settings: EventBridgeSchedulerSettings,
  ) {}

  async arm(schedule: ScheduleKey, occurrence: Occurrence): Promise<void> {
    const request = this.request(schedule, occurrence);
    try {
      await this.client.send(new UpdateScheduleCommand(request));
      return;
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    try {
      await this.client.send(new CreateScheduleCommand(request));
    } catch (error) {
      // Created a moment ago by a concurrent arm (a fire and the API, say): make it ours.
      if (!(error instanceof ConflictException)) throw error;
      await this.client.send(new UpdateScheduleCommand(request));
    }
  }

  async disarm(schedule: ScheduleKey): Promise<void> {
    try {
      await this.client.send(new DeleteScheduleCommand({ Name: triggerNameFor(schedule), GroupName: this.settings.groupName }));
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
  }

  async armedAt(schedule: ScheduleKey): Promise<string | undefined> {
    let found: GetScheduleCommandOutput;
    try {
      found = (await this.client.send(new GetScheduleCommand({ Name: triggerNameFor(schedule), GroupName: this.settings.groupName }))) as GetScheduleCommandOutput;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
    // Anything but our own one-time schedule (edited by hand, disabled) counts as not armed.
    if (found.State !== 'ENABLED' || found.Target?.Arn !== this.settings.stateMachineArn) return undefined;
    return instantOfAt(found.ScheduleExpression, found.ScheduleExpressionTimezone);
  }

  private request(schedule: ScheduleKey, occurrence: Occurrence): CreateScheduleCommandInput {
    const input = scheduledFireInput(schedule, SCHEDULED_TIME);
    return {
      Name: triggerNameFor(schedule),
      GroupName: this.settings.groupName,
      Description: `Job schedule ${schedule.scheduleId} of client ${schedule.clientId}: the occurrence for ${occurrence.processingDate}`,
      ScheduleExpression: atExpression(occurrence.at),
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      // Kept after it fires and re-armed in place: BeginRun re-arms it seconds after the fire, and
      // DELETE could remove the freshly re-armed schedule. A spent one is what the reconciler looks for.
      ActionAfterCompletion: 'NONE',
      Target: {
        Arn: this.settings.stateMachineArn,
        RoleArn: this.settings.roleArn,
        Input: JSON.stringify(input),
        RetryPolicy: { ...FIRE_RETRY_POLICY },
        DeadLetterConfig: { Arn: this.settings.deadLetterQueueArn },
      },
    };
  }
}
