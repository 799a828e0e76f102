import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';

/**
 * One logger, metrics buffer and tracer per container. Service name, namespace and log level come
 * from the environment lib/app-function.ts sets; outside Lambda the tracer is off by itself.
 */
export const logger = new Logger();
export const metrics = new Metrics();
export const tracer = new Tracer();

/** The run, job and batch an invocation works on: appended to each of its log lines. */
export interface RunKeys {
  clientId?: string | undefined;
  scheduleId?: string | undefined;
  runId?: string | undefined;
  seq?: number | undefined;
  batchNo?: number | undefined;
  executionName?: string | undefined;
}

export type LambdaHandler<E, R> = (event: E, context: Context) => Promise<R>;

/**
 * A Lambda entry point around `fn`: the Lambda context and the event's run keys on every log line,
 * a subsegment named after the step, the cold-start metric. An error is logged once with the
 * step's name and rethrown as it is, so Step Functions sees the domain error's name.
 */
export function lambdaHandler<E, R>(step: string, keysOf: (event: E) => RunKeys, fn: (event: E) => Promise<R>): LambdaHandler<E, R> {
  return async (event, context) => {
    logger.addContext(context);
    logger.appendKeys(definedKeys(keysOf(event)));
    metrics.captureColdStartMetric(context.functionName);
    const segment = tracer.getSegment();
    const subsegment = segment?.addNewSubsegment(`## ${step}`);
    if (subsegment) tracer.setSegment(subsegment);
    tracer.annotateColdStart();
    tracer.addServiceNameAnnotation();
    try {
      return await fn(event);
    } catch (error) {
      tracer.addErrorAsMetadata(error as Error);
      logger.error(`${step} failed`, { error: error as Error });
      throw error;
    } finally {
      subsegment?.close();
      if (segment) tracer.setSegment(segment);
      // A warm container's next invocation is another run.
      logger.resetKeys();
    }
  };
}

function definedKeys(keys: RunKeys): Record<string, string | number> {
  return Object.fromEntries(Object.entries(keys).filter((entry): entry is [string, string | number] => entry[1] !== undefined));
}
