import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { BatchProcessedMetric, RunMetrics } from '../../ports/run-metrics';

/**
 * The run engine's metrics as CloudWatch EMF log lines. Each report is published at once with
 * its own clientId dimension, so two batches of different clients in one invocation never share
 * one; the job type and run are metadata (searchable in the logs, not a metric per value).
 */
export class PowertoolsRunMetrics implements RunMetrics {
  constructor(private readonly metrics: Metrics) {}

  batchProcessed({ clientId, jobType, succeeded, failed, durationMs }: BatchProcessedMetric): void {
    this.metrics
      .addDimension('clientId', clientId)
      .addMetadata('jobType', jobType)
      .addMetric('ItemsSucceeded', MetricUnit.Count, succeeded)
      .addMetric('ItemsFailed', MetricUnit.Count, failed)
      .addMetric('BatchDuration', MetricUnit.Milliseconds, durationMs)
      .publishStoredMetrics();
  }

  runEnded({ clientId, status }: Parameters<RunMetrics['runEnded']>[0]): void {
    this.metrics
      .addDimension('clientId', clientId)
      .addMetric(status === 'COMPLETED' ? 'RunsCompleted' : 'RunsFailed', MetricUnit.Count, 1)
      .publishStoredMetrics();
  }
}
