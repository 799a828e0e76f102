import { randomBytes } from 'node:crypto';
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { ValidationError } from '../../domain/errors';
import { decodePageToken, encodePageToken } from '../../domain/page-token';
import type { AuditLog, AuditPage, AuditQuery, AuditRecord } from '../../ports/audit-log';
import { resilientSend } from './dynamo-toolkit';

const auditPk = (clientId: string): string => `CLIENT#${clientId}`;

const StoredRecordSchema = z.object({
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  target: z.object({ type: z.string(), id: z.string() }),
  details: z.record(z.string(), z.unknown()),
});

/** Orders this process's records within one millisecond; the random part keeps processes apart. */
let appended = 0;

/** The last sort key of a page: the client comes from the path, never from the token. */
const TokenSchema = z.object({ sk: z.string().min(1).max(200) });

/**
 * The audit trail on its own table (AUDIT_TABLE in table-definitions.ts). A record's sort key is
 * its instant, a counter and a random suffix: two changes in one millisecond are two records, and a put
 * never overwrites (attribute_not_exists), so the log only grows.
 */
export class DynamoAuditLog implements AuditLog {
  private readonly send: DynamoDBDocumentClient['send'];

  constructor(
    db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.send = resilientSend(db);
  }

  async append(record: AuditRecord): Promise<void> {
    const { clientId, ...entry } = record;
    await this.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: auditPk(clientId), sk: `${record.at}#${(appended++).toString(36).padStart(8, '0')}${randomBytes(6).toString('hex')}`, ...plain(entry) },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async list(clientId: string, query: AuditQuery): Promise<AuditPage> {
    const after = decodeToken(query.nextToken);
    // Instants as toISOString writes them sort as text; `~` is above every character of a suffix.
    const from = query.from === undefined ? '0' : new Date(query.from).toISOString();
    const to = query.to === undefined ? '~' : `${new Date(query.to).toISOString()}#~`;
    const upper = after !== undefined && after < to ? after : to;
    const items: AuditPage['items'] = [];
    let lastSk = '';
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': auditPk(clientId), ':from': from, ':to': upper },
          ScanIndexForward: false,
          Limit: query.limit + 1 - items.length,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        // BETWEEN includes the page's last record: the token's own key is skipped.
        if (item.sk === after) continue;
        if (items.length === query.limit) return { items, nextToken: encodeToken(lastSk) };
        items.push(StoredRecordSchema.parse(item));
        lastSk = String(item.sk);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return { items };
  }
}

function encodeToken(sk: string): string {
  return encodePageToken({ sk });
}

function decodeToken(token: string | undefined): string | undefined {
  if (token === undefined) return undefined;
  const position = decodePageToken(token, TokenSchema);
  if (!position) throw new ValidationError('nextToken is not a token this API issued', [{ path: 'nextToken', message: 'invalid token' }]);
  return position.sk;
}

/** Drops undefined values at any depth, so the item does not depend on the client's marshall options. */
function plain<T>(value: T): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}
