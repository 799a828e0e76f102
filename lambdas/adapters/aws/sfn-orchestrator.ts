import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StopExecutionCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { ExecutionDescription, ExecutionInput, Orchestrator, TaskCallbacks } from '../../ports/orchestrator';

/** Step Functions limits: error names up to 256 characters, causes up to 32,768. */
const MAX_ERROR = 256;
const MAX_CAUSE = 32_768;

/** Starts and stops executions of the schedule-run state machine. */
export class SfnOrchestrator implements Orchestrator {
  constructor(
    private readonly sfn: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async startExecution(name: string, input: ExecutionInput): Promise<void> {
    try {
      await this.sfn.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name, input: JSON.stringify(input) }));
    } catch (error) {
      // The name is the run's idempotency key: an execution that exists already is the one we want.
      if (error instanceof ExecutionAlreadyExists) return;
      throw error;
    }
  }

  async stopExecution(name: string, cause: string): Promise<void> {
    try {
      await this.sfn.send(new StopExecutionCommand({ executionArn: executionArnOf(this.stateMachineArn, name), cause: cause.slice(0, MAX_CAUSE) }));
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist) return;
      throw error;
    }
  }

  async describeExecution(name: string): Promise<ExecutionDescription | undefined> {
    try {
      const described = await this.sfn.send(new DescribeExecutionCommand({ executionArn: executionArnOf(this.stateMachineArn, name) }));
      return {
        status: (described.status ?? 'RUNNING') as ExecutionDescription['status'],
        ...(described.error ? { error: described.error } : {}),
        ...(described.cause ? { cause: described.cause } : {}),
        redriveCount: described.redriveCount ?? 0,
      };
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist) return undefined;
      throw error;
    }
  }
}

/** arn:aws:states:region:account:stateMachine:Name → arn:aws:states:region:account:execution:Name:executionName */
export function executionArnOf(stateMachineArn: string, executionName: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName}`;
}

/** The worker's answers to the Map child that waits on its batch. */
export class SfnTaskCallbacks implements TaskCallbacks {
  constructor(private readonly sfn: SFNClient) {}

  async sendTaskSuccess(taskToken: string, output: unknown): Promise<void> {
    await this.sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output ?? {}) }));
  }

  async sendTaskFailure(taskToken: string, error: string, cause: string): Promise<void> {
    await this.sfn.send(new SendTaskFailureCommand({ taskToken, error: error.slice(0, MAX_ERROR), cause: cause.slice(0, MAX_CAUSE) }));
  }

  async sendTaskHeartbeat(taskToken: string): Promise<void> {
    await this.sfn.send(new SendTaskHeartbeatCommand({ taskToken }));
  }
}
