/** The queue that delivers batch messages to the worker (SQS deployed, the LocalQueue locally). */
export interface WorkQueue {
  /**
   * ChangeMessageVisibility: the delivered message (its queue's ARN and this delivery's receipt
   * handle, as an SQS record carries them) becomes visible again after `seconds`.
   */
  changeMessageVisibility(queueArn: string, receiptHandle: string, seconds: number): Promise<void>;
}
