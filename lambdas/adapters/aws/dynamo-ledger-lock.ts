import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LedgerLockHolder, LedgerLocks } from '../../ports/ledger-lock';
import { isConditionFailure, resilientSend } from './dynamo-toolkit';

/** `LEDGERLOCK#<clientId>` / `LOCK` in the runs table (RUNS_TABLE in table-definitions.ts): one item per client, written only when a ledger job starts or ends. */
const lockKey = (clientId: string): { pk: string; sk: string } => ({ pk: `LEDGERLOCK#${clientId}`, sk: 'LOCK' });

/**
 * The per-client ledger lock as one conditional item. A run runs one job at a time, so a lock
 * held by the same run is its own (a retried BeginJob, a reprocess's new execution) and is
 * simply taken again; any other holder is replaced only when it is exactly the one the caller
 * found dead, so two waiters cannot both take over.
 */
export class DynamoLedgerLock implements LedgerLocks {
  private readonly send: DynamoDBDocumentClient['send'];

  constructor(
    document: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.send = resilientSend(document);
  }

  async acquire(clientId: string, holder: LedgerLockHolder, replacing?: LedgerLockHolder): Promise<{ acquired: boolean; holder: LedgerLockHolder }> {
    const condition = replacing
      ? 'attribute_not_exists(pk) OR runId = :runId OR (runId = :oldRunId AND seq = :oldSeq AND executionName = :oldExecution)'
      : 'attribute_not_exists(pk) OR runId = :runId';
    // A lock freed between a refused write and the read of its holder is simply tried again.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...lockKey(clientId), ...holder },
            ConditionExpression: condition,
            ExpressionAttributeValues: {
              ':runId': holder.runId,
              ...(replacing ? { ':oldRunId': replacing.runId, ':oldSeq': replacing.seq, ':oldExecution': replacing.executionName } : {}),
            },
          }),
        );
        return { acquired: true, holder };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
      const current = await this.get(clientId);
      if (current || attempt >= 2) return { acquired: false, holder: current ?? holder };
    }
  }

  async release(clientId: string, runId: string): Promise<void> {
    try {
      await this.send(new DeleteCommand({ TableName: this.tableName, Key: lockKey(clientId), ConditionExpression: 'runId = :runId', ExpressionAttributeValues: { ':runId': runId } }));
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  private async get(clientId: string): Promise<LedgerLockHolder | undefined> {
    const { Item } = await this.send(new GetCommand({ TableName: this.tableName, Key: lockKey(clientId), ConsistentRead: true }));
    if (!Item) return undefined;
    return { runId: String(Item.runId), seq: Number(Item.seq), executionName: String(Item.executionName), since: String(Item.since) };
  }
}
