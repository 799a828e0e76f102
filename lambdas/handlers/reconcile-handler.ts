import { awsReconciler } from '../composition/aws-context';
import { lambdaHandler } from '../composition/observability';

const reconciler = awsReconciler();

/**
 * Runs every few minutes (EventBridge schedule): settles runs whose execution ended without its
 * status event arriving, and starts executions a crashed API call never started.
 */
export const handler = lambdaHandler('Reconcile', () => ({}), () => reconciler.reconcile());
