import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { ValidationError } from '../../domain/errors';
import type { Schedule } from '../../domain/model';
import { decodePageToken, encodePageToken } from '../../domain/page-token';
import { ConfigTable, toSchedule } from './dynamo-config-table';
import { writeIfConditionsHold, type Item } from './dynamo-toolkit';
import { selfFiringIndexKeys } from './dynamo-trigger-pages';

/**
 * What the migration did with one schedule item: `indexed` (or, in a dry run, would have),
 * `alreadyIndexed` (it carries the keys it should), `notSelfFiring` (disabled or MANUAL: no keys),
 * `changedMeanwhile` (saved or deleted since it was read: that save wrote its own keys),
 * `unreadable` (not a schedule the store can read; left alone).
 */
export const INDEX_OUTCOMES = ['indexed', 'alreadyIndexed', 'notSelfFiring', 'changedMeanwhile', 'unreadable'] as const;
export type IndexOutcome = (typeof INDEX_OUTCOMES)[number];

export interface MigrationPage {
  /** Items the Scan read (of every entity), and the schedules among them by outcome. */
  itemsRead: number;
  outcomes: Record<IndexOutcome, number>;
  /** `pk`/`sk` of the unreadable schedules. */
  unreadable: string[];
  /** Where the next page starts (`--after`); absent after the last page. */
  cursor?: string;
}

export interface MigrationOptions {
  /** A cursor a page of an earlier run printed: the run continues after it. */
  after?: string;
  /** Items read per Scan page. */
  pageSize: number;
  /** Reads and counts, writes nothing. */
  dryRun: boolean;
}

/**
 * Gives every schedule that fires by itself the keys of the sharded selfFiringSchedules index
 * (dynamo-trigger-pages.ts): schedules saved before the index existed carry none, those saved
 * before it was sharded carry the one partition `SELF_FIRING`. A Scan of the config table in
 * pages, each page yielded with the cursor to resume after it; idempotent, so running it again,
 * whole or from any cursor, changes only what is still missing.
 */
export async function* migrateSelfFiringIndex(document: DynamoDBDocumentClient, tableName: string, options: MigrationOptions): AsyncIterable<MigrationPage> {
  const table = new ConfigTable(document, tableName);
  let startKey = options.after === undefined ? undefined : scanStartOf(options.after);
  do {
    // Consistent: a schedule read stale would fail its condition and stay unindexed until a rerun.
    const page = await table.scanPage('SCHEDULE', { consistent: true, limit: options.pageSize, ...(startKey ? { startKey } : {}) });
    const outcomes = Object.fromEntries(INDEX_OUTCOMES.map((outcome) => [outcome, 0])) as Record<IndexOutcome, number>;
    const unreadable: string[] = [];
    const results = await Promise.all(page.items.map(async (item) => ({ item, outcome: await indexSchedule(table, item, options.dryRun) })));
    for (const { item, outcome } of results) {
      outcomes[outcome]++;
      if (outcome === 'unreadable') unreadable.push(`${String(item.pk)}/${String(item.sk)}`);
    }
    startKey = page.lastKey;
    yield { itemsRead: page.scanned, outcomes, unreadable, ...(startKey ? { cursor: encodePageToken(startKey) } : {}) };
  } while (startKey);
}

/**
 * Sets the index keys of one schedule item as read, if it should carry other ones. Conditioned on
 * the version and update time read: a schedule saved since carries what its save wrote, and is
 * never overwritten with keys derived from the stale copy; a deleted one is not brought back.
 */
export async function indexSchedule(table: ConfigTable, item: Item, dryRun: boolean): Promise<IndexOutcome> {
  let schedule: Schedule;
  try {
    schedule = toSchedule(item);
  } catch {
    return 'unreadable';
  }
  const keys = selfFiringIndexKeys(schedule);
  if (!keys) return 'notSelfFiring';
  if (item.selfFiringPk === keys.selfFiringPk && item.selfFiringSk === keys.selfFiringSk) return 'alreadyIndexed';
  if (dryRun) return 'indexed';
  const written = await writeIfConditionsHold(() =>
    table.send(
      new UpdateCommand({
        TableName: table.name,
        Key: { pk: item.pk, sk: item.sk },
        UpdateExpression: 'SET selfFiringPk = :pk, selfFiringSk = :sk',
        ConditionExpression: 'version = :version AND updatedAt = :updatedAt',
        ExpressionAttributeValues: { ':pk': keys.selfFiringPk, ':sk': keys.selfFiringSk, ':version': schedule.version, ':updatedAt': schedule.updatedAt },
      }),
    ),
  );
  return written ? 'indexed' : 'changedMeanwhile';
}

const ScanStartSchema = z.object({ pk: z.string(), sk: z.string() }).strict();

function scanStartOf(cursor: string): Item {
  const start = decodePageToken(cursor, ScanStartSchema);
  if (!start) throw new ValidationError('--after is not a cursor this migration printed', [{ path: 'after', message: 'invalid cursor' }]);
  return start;
}
