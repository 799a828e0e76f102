import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
import { startLocalRuntime, type LocalRuntime } from '../lambdas/composition/local-runtime';
import type { UsageKind } from '../lambdas/ports/usage-meter';
import { benchLedger, type LedgerBenchResult } from './ledger-bench';

/**
 * `npm run bench`: SYNTHETIC runs through the local runtime — HTTP API, the ASL in the
 * interpreter, the queue and workers, DynamoDB Local on disk — measured end to end. Request counts
 * come from the adapters' UsageMeter, not from estimates. The last line printed is one JSON object.
 *
 *   npm run bench -- --items 100000,1000000 --batch-size 500 --map-concurrency 40 --workers 8
 *
 * Then the daily billing sequence on a seeded ledger (bench/ledger-bench.ts) and the raw
 * BatchWriteItem rate of DynamoDB Local for the same number of records:
 *
 *   npm run bench -- --items 0 --ledger-accounts 100000 --ledger-usage 1    (--ledger-accounts 0 skips it)
 */
const { values } = parseArgs({
  options: {
    items: { type: 'string', default: '10000,1000000' },
    /** Items per batch; default: the SYNTHETIC job's own. */
    'batch-size': { type: 'string' },
    'map-concurrency': { type: 'string', default: '40' },
    workers: { type: 'string', default: '8' },
    /** Accounts of the seeded ledger for the daily billing sequence; 0 skips it. */
    'ledger-accounts': { type: 'string', default: '5000' },
    /** Usage records per account. */
    'ledger-usage': { type: 'string', default: '1' },
  },
});

const TOKEN = 'bench-admin-token';
const TARGETS = { dynamoWrites: 20, stateTransitions: 30, sqsRequests: 10, lambdaInvocations: 10 } as const;
/** End-to-end items per second of the daily billing sequence over DynamoDB Local's raw BatchWriteItem records per second. */
const LEDGER_RATIO_TARGET = 0.5;

interface RunResult {
  items: number;
  seconds: number;
  itemsPerSecond: number;
  per1000: Record<'dynamoWrites' | 'dynamoReads' | 'stateTransitions' | 'sqsRequests' | 'lambdaInvocations', number>;
  status: string;
}

async function call(runtime: LocalRuntime, method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${runtime.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (response.status >= 400) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function benchRun(runtime: LocalRuntime, items: number, batchSize: number | undefined, index: number): Promise<RunResult> {
  const schedule = await call(runtime, 'POST', '/v1/clients/bench/schedules', {
    name: `Synthetic ${items} #${index}`,
    frequency: { type: 'MANUAL' },
    executionTime: '00:00:00',
    timezone: 'UTC',
    jobs: [{ type: 'SYNTHETIC', settings: { items, ...(batchSize ? { batchSize } : {}) } }],
  });
  const before = runtime.meter.snapshot();
  const started = performance.now();
  const triggered = await call(runtime, 'POST', `/v1/clients/bench/schedules/${schedule.scheduleId}/runs`, { processingDate: '2026-11-25' });
  let run = triggered;
  while (run.status === 'PENDING' || run.status === 'RUNNING') {
    await new Promise((resolve) => setTimeout(resolve, 200));
    run = await call(runtime, 'GET', `/v1/clients/bench/runs/${triggered.runId}`);
  }
  const seconds = (performance.now() - started) / 1000;
  const after = runtime.meter.snapshot();
  const per1000 = (kind: UsageKind): number => round(((after[kind] - before[kind]) / items) * 1000);
  return {
    items,
    seconds: round(seconds),
    itemsPerSecond: Math.round(items / seconds),
    per1000: {
      dynamoWrites: per1000('dynamoWrites'),
      dynamoReads: per1000('dynamoReads'),
      stateTransitions: per1000('stateTransitions'),
      sqsRequests: per1000('sqsRequests'),
      lambdaInvocations: per1000('lambdaInvocations'),
    },
    status: run.status,
  };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

async function main(): Promise<void> {
  const sizes = values.items.split(',').map((s) => Number(s.trim())).filter((n) => n > 0);
  const ledgerAccounts = Number(values['ledger-accounts']);
  const batchSize = values['batch-size'] ? Number(values['batch-size']) : undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'jsm-bench-'));
  const runtime = await startLocalRuntime({
    port: 0,
    dataDir,
    adminToken: TOKEN,
    logger: new Logger({ serviceName: 'bench', logLevel: 'WARN' }),
    mapMaxConcurrency: Number(values['map-concurrency']),
    worker: { maxConcurrency: Number(values.workers) },
    resume: false,
  });
  const results: RunResult[] = [];
  let ledger: LedgerBenchResult | undefined;
  try {
    await call(runtime, 'PUT', '/v1/clients/bench', { name: 'Bench', timezone: 'UTC' });
    for (const [i, items] of sizes.entries()) {
      const result = await benchRun(runtime, items, batchSize, i);
      results.push(result);
      console.log(`run of ${items} items: ${result.status} in ${result.seconds} s (${result.itemsPerSecond} items/s)`);
    }
    if (ledgerAccounts > 0) {
      ledger = await benchLedger(runtime, {
        accounts: ledgerAccounts,
        usagePerAccount: Number(values['ledger-usage']),
        writers: Number(values.workers),
        call: (method, path, body) => call(runtime, method, path, body),
      });
      console.log(
        `daily billing sequence on ${ledger.accounts} accounts (seeded in ${ledger.seedSeconds} s): ${ledger.status}, ${ledger.items} items ${JSON.stringify(ledger.itemsByJob)} in ${ledger.seconds} s (${ledger.itemsPerSecond} items/s)`,
      );
      console.log(`raw BatchWriteItem of ${ledger.rawRecords} records: ${ledger.rawSeconds} s (${ledger.rawRecordsPerSecond} records/s); ratio ${ledger.ratio} (target >= ${LEDGER_RATIO_TARGET})`);
    }
  } finally {
    await runtime.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }

  const peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
  console.log('');
  console.log('| items | status | seconds | items/s | DDB writes /1k | DDB reads /1k | transitions /1k | SQS /1k | invocations /1k |');
  console.log('| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of results) {
    console.log(`| ${r.items} | ${r.status} | ${r.seconds} | ${r.itemsPerSecond} | ${r.per1000.dynamoWrites} | ${r.per1000.dynamoReads} | ${r.per1000.stateTransitions} | ${r.per1000.sqsRequests} | ${r.per1000.lambdaInvocations} |`);
  }
  const largest = results.reduce<RunResult | undefined>((a, b) => (!a || b.items > a.items ? b : a), undefined);
  const withinTargets = !largest || (Object.keys(TARGETS) as Array<keyof typeof TARGETS>).every((k) => largest.per1000[k] <= TARGETS[k]);
  console.log('');
  console.log(`peak RSS of the runtime process (node; DynamoDB Local runs in its own JVM): ${peakRssMiB} MiB`);
  console.log(`targets per 1,000 items: ${JSON.stringify(TARGETS)}; met by the largest run: ${withinTargets}; peak RSS < 1024 MiB: ${peakRssMiB < 1024}`);
  console.log(
    JSON.stringify({
      bench: 'synthetic',
      itemsPerSecond: largest?.itemsPerSecond,
      items: largest?.items,
      seconds: largest?.seconds,
      per1000Items: largest?.per1000,
      peakRssMiB,
      runs: results,
      targetsMet: withinTargets && peakRssMiB < 1024 && results.every((r) => r.status === 'COMPLETED'),
      ...(ledger ? { ledger: { ...ledger, ratioTarget: LEDGER_RATIO_TARGET, targetMet: ledger.status === 'COMPLETED' && ledger.ratio >= LEDGER_RATIO_TARGET } } : {}),
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
