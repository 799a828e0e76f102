import type { RunStatus } from '../domain/model';

/** One delivery of a batch worked through its items. */
export interface BatchProcessedMetric {
  clientId: string;
  jobType: string;
  /** Items processed by this delivery, by outcome; items that had already succeeded are not counted. */
  succeeded: number;
  failed: number;
  durationMs: number;
}

/**
 * What the run engine reports for dashboards and alarms (CloudWatch EMF when deployed). Per
 * client, never per run: a run id as a dimension would make a metric per run.
 */
export interface RunMetrics {
  batchProcessed(metric: BatchProcessedMetric): void;
  runEnded(run: { clientId: string; status: Extract<RunStatus, 'COMPLETED' | 'FAILED'> }): void;
}
