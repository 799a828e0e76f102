import { execFile } from 'node:child_process';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoLedger } from '../../lambdas/adapters/aws/dynamo-ledger';
import { LEDGER_TABLE } from '../../lambdas/adapters/aws/table-definitions';
import { CoreBillingStandIn } from '../../lambdas/adapters/local/core-billing-stand-in';
import { localDynamoClient } from '../../lambdas/adapters/local/dynamo-local';
import { claimDataDir, writeRuntimeFile } from '../../lambdas/adapters/local/runtime-file';
import { seedAccount, seedUsage } from '../../lambdas/jobs/ledger-generator';
import { usageItemId } from '../../lambdas/domain/ledger';

/**
 * `npm run seed` and `npm run ledger` as an operator runs them, against "a running runtime": a
 * runtime file in DATA_DIR that points at the test run's DynamoDB Local and a core billing
 * stand-in, so the commands use those instead of starting their own.
 */
const run = promisify(execFile);

describe('the operator commands', () => {
  let dataDir: string;
  let prefix: string;
  let ledger: DynamoLedger;
  let standIn: CoreBillingStandIn;
  let owner: { release(): void } | undefined;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'jsm-commands-'));
    prefix = `cmd${randomBytes(3).toString('hex')}`;
    standIn = await CoreBillingStandIn.start({ port: 0, apiKey: 'k', controlToken: 'control' });
    // The commands trust runtime.json only from the data directory's live owner: this process stands in for npm start.
    owner = claimDataDir(dataDir, 'runtime', 'the operator commands test');
    writeRuntimeFile(dataDir, { pid: process.pid, apiUrl: 'http://127.0.0.1:9', dynamoEndpoint: inject('dynamoEndpoint'), tablePrefix: prefix, coreBillingUrl: standIn.url, coreBillingControlToken: 'control' });
    ledger = new DynamoLedger(DynamoDBDocumentClient.from(localDynamoClient(inject('dynamoEndpoint'))), `${prefix}-${LEDGER_TABLE.id}`);
  });

  afterAll(async () => {
    await standIn?.stop();
    owner?.release();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function command(script: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', `scripts/${script}.ts`, ...args], { env: { ...process.env, DATA_DIR: dataDir } });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  }

  it('seeds a deterministic ledger: the records the generator defines, anniversary days spread over 1-31', async () => {
    const options = { clientId: 'cli', accounts: 40, usagePerAccount: 2, month: '2026-11', seed: 5 };

    const seeded = await command('seed', '--client', 'cli', '--accounts', '40', '--usage-per-account', '2', '--month', '2026-11', '--seed', '5');

    expect(seeded.code, seeded.stderr).toBe(0);
    expect(seeded.stdout).toContain('40 accounts (anniversary days 1-31), 80 usage records dated 2026-11');
    const dueOnFirst: string[] = [];
    for await (const id of ledger.accountsDueOn('cli', [1])) dueOnFirst.push(id);
    expect(dueOnFirst).toEqual(['acc-0000001', 'acc-0000032']);
    const expected = Array.from({ length: 40 }, (_, i) => seedUsage(options, i)).flat();
    const stored = await ledger.getUsage('cli', expected);
    expect(expected.map((record) => stored.get(usageItemId(record)))).toEqual(expected);
    expect((await ledger.getAccounts('cli', ['acc-0000040'])).get('acc-0000040')).toEqual(seedAccount(options, 39));
  });

  it('adds a missing rate, lists suspense, and refuses bad arguments with its usage', async () => {
    const added = await command('ledger', 'rate', '--client', 'cli', '--plan', 'basic', '--usage-type', 'premium-sms', '--unit-price', '0.045', '--from', '2026-01-01');
    const listed = await command('ledger', 'suspense', '--client', 'cli');
    const bad = await command('ledger', 'rate', '--client', 'cli', '--plan', 'basic', '--usage-type', 'premium-sms', '--unit-price', '4,5');

    expect(added.code, added.stderr).toBe(0);
    const plan = (await ledger.getRatePlans('cli', ['basic'])).get('basic');
    expect(plan?.rates).toContainEqual({ usageType: 'premium-sms', effectiveFrom: '2026-01-01', unitPriceMicros: 45_000 });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('0 shown');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--unit-price');
    expect(bad.stderr).toContain('usage: npm run ledger');
  });

  it("drives core billing's stand-in of the running runtime", async () => {
    const rejected = await command('ledger', 'core', 'reject', '--account', 'acc-0000007', '--code', 'ACCOUNT_BLOCKED');
    expect(rejected.code, rejected.stderr).toBe(0);
    expect(JSON.parse((await command('ledger', 'core', 'status')).stdout).rejections).toEqual({ 'acc-0000007': expect.objectContaining({ code: 'ACCOUNT_BLOCKED' }) });

    expect((await command('ledger', 'core', 'accept')).code).toBe(0);
    expect(JSON.parse((await command('ledger', 'core', 'status')).stdout).rejections).toEqual({});
  });
});
