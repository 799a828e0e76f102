import { awsContext, loggedHandler } from '../composition/aws-context';

/**
 * Runs every few minutes (EventBridge schedule): settles runs whose execution ended without its
 * status event arriving, and starts executions a crashed API call never started.
 */
export const handler = loggedHandler('Reconcile', () => awsContext().reconcile.reconcile());
