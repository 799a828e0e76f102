import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { UsageKind } from '../lambdas/ports/usage-meter';
import type { BullmqBenchResult } from './bullmq-bench';
import { mermaidChart, throughputSvg, type ChartPanel } from './chart';
import { AWS_DYNAMO_LATENCY_MS, awsGbSecondsPer1000, gbSecondsPer1000 } from './cost-model';
import type { LedgerBenchResult, LedgerCensus, RawBatchWriteResult } from './ledger-bench';
import { phaseTimelineSummary } from './phases';
import { bullmqLines, latencyLines, phaseLines, writeRateLines } from './report-sections';
import { round, roundAll } from './progress';
import type { SyntheticRunResult } from './synthetic-bench';

export interface BenchResults {
  date: string;
  benchSeconds: number;
  machine: { cores: number; cpu: string; memoryGiB: number; node: string; loadAtStart: number[] };
  parameters: Record<string, unknown>;
  synthetic: SyntheticRunResult[];
  /** The SYNTHETIC run whose status the pollers polled. */
  latencyRun?: SyntheticRunResult;
  billing?: LedgerBenchResult;
  raw?: RawBatchWriteResult;
  /** The billing sequence and raw BatchWriteItem again on a larger ledger (`--scale-accounts`). */
  atScale?: { billing: LedgerBenchResult; raw: RawBatchWriteResult };
  /** The headline (one BullMQ job per item) first, then the chunked variant. */
  bullmq: BullmqBenchResult[];
  census: Record<string, LedgerCensus>;
  seedSeconds: Record<string, number>;
  memory: { benchPeakRssMiB: number; dynamoLocalPeakRssMiB?: number; redisPeakRssMiB?: number };
}

/** Per 1,000 items of the largest SYNTHETIC run: the design's ceilings (docs/architecture.md). */
const PER_1000_TARGETS = { dynamoWrites: 20, stateTransitions: 30, sqsRequests: 10, lambdaInvocations: 10 } as const;
const PEAK_RSS_TARGET_MIB = 1024;
/** End-to-end items per second of the daily billing sequence over DynamoDB Local's raw BatchWriteItem records per second. */
const BILLING_TO_RAW_TARGET = 0.8;
/** Our items per second over BullMQ's (one BullMQ job per item) on the same billing workload. */
export const BILLING_TO_BULLMQ_TARGET = 1.0;
/** Our items per second over BullMQ's with items chunked as our worker chunks them: the orchestration alone. */
export const BILLING_TO_BULLMQ_CHUNKED_TARGET = 1.5;
/** GET run status p99 under the paced pollers (each once a second). */
const STATUS_P99_TARGET_MS = 100;

/** The markdown and JSON summary of bench/cost-model.ts. */
export interface CostSection {
  markdown: string;
  summary: Record<string, unknown>;
}

interface Check {
  name: string;
  value: string;
  target: string;
  met: boolean;
}

export const fmt = (n: number | undefined, digits = 0): string => (n === undefined ? '—' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 }));
const gbSeconds = (per1000: Record<UsageKind, number>): number => gbSecondsPer1000(per1000);

export function largestSynthetic(results: BenchResults): SyntheticRunResult | undefined {
  return results.synthetic.reduce<SyntheticRunResult | undefined>((a, b) => (!a || b.items > a.items ? b : a), undefined);
}

export function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined || b === 0 ? undefined : round(a / b);
}

function checksOf(results: BenchResults): Check[] {
  const checks: Check[] = [];
  const largest = largestSynthetic(results);
  const allSynthetic = [...results.synthetic, ...(results.latencyRun ? [results.latencyRun] : [])];
  if (allSynthetic.length > 0) {
    const failed = allSynthetic.filter((r) => r.status !== 'COMPLETED');
    checks.push({ name: 'SYNTHETIC runs COMPLETED', value: failed.length === 0 ? 'all' : failed.map((r) => `${r.items}: ${r.status}`).join(', '), target: 'all', met: failed.length === 0 });
  }
  if (largest) {
    for (const [kind, target] of Object.entries(PER_1000_TARGETS) as Array<[keyof typeof PER_1000_TARGETS, number]>) {
      checks.push({ name: `${kind} per 1,000 SYNTHETIC items (${fmt(largest.items)}-item run)`, value: fmt(largest.per1000[kind], 2), target: `≤ ${target}`, met: largest.per1000[kind] <= target });
    }
  }
  checks.push({ name: 'peak RSS of the bench process', value: `${fmt(results.memory.benchPeakRssMiB)} MiB`, target: `< ${fmt(PEAK_RSS_TARGET_MIB)} MiB`, met: results.memory.benchPeakRssMiB < PEAK_RSS_TARGET_MIB });
  const latency = results.latencyRun?.latency;
  if (latency) checks.push({ name: `GET run status under ${latency.pollers} pollers: errors`, value: fmt(latency.errors), target: '0', met: latency.errors === 0 });
  if (latency && latency.thinkMs > 0) {
    checks.push({ name: `GET run status p99, ${latency.pollers} pollers each pausing ${fmt(latency.thinkMs)} ms`, value: `${fmt(latency.p99Ms, 1)} ms`, target: `≤ ${STATUS_P99_TARGET_MS} ms`, met: latency.p99Ms <= STATUS_P99_TARGET_MS });
  }
  const { billing, raw } = results;
  if (billing) {
    checks.push({ name: 'daily billing sequence COMPLETED', value: billing.status, target: 'COMPLETED', met: billing.status === 'COMPLETED' });
    const toRaw = ratio(billing.itemsPerSecond, raw?.recordsPerSecond);
    if (toRaw !== undefined) checks.push({ name: 'billing sequence ÷ raw BatchWriteItem', value: fmt(toRaw, 2), target: `≥ ${BILLING_TO_RAW_TARGET}`, met: toRaw >= BILLING_TO_RAW_TARGET });
    const [headline, ...variants] = results.bullmq;
    if (headline) {
      const toBullmq = ratio(billing.itemsPerSecond, headline.itemsPerSecond) as number;
      checks.push({ name: `billing sequence ÷ ${headline.label} (headline)`, value: fmt(toBullmq, 2), target: `≥ ${BILLING_TO_BULLMQ_TARGET}`, met: toBullmq >= BILLING_TO_BULLMQ_TARGET });
      const ours = results.census[billingClient(results)];
      for (const run of results.bullmq) {
        const theirs = results.census[run.clientId];
        const same = !!ours && !!theirs && sameCensus(ours, theirs) && run.succeeded === billing.succeeded && run.items === billing.items;
        checks.push({
          name: `${run.label}: same records as ours`,
          value: theirs ? `${fmt(run.succeeded)} items succeeded, ${fmt(theirs.invoices)} invoices, ${fmt(theirs.usageNotSynced)} usage not synced` : 'not read',
          target: ours ? `${fmt(billing.succeeded)}, ${fmt(ours.invoices)}, ${fmt(ours.usageNotSynced)}` : '—',
          met: same,
        });
      }
      for (const variant of variants) {
        const toVariant = ratio(billing.itemsPerSecond, variant.itemsPerSecond) as number;
        checks.push({ name: `billing sequence ÷ ${variant.label} (variant)`, value: fmt(toVariant, 2), target: `≥ ${BILLING_TO_BULLMQ_CHUNKED_TARGET}`, met: toVariant >= BILLING_TO_BULLMQ_CHUNKED_TARGET });
      }
    }
  }
  if (results.atScale) {
    const { billing: big, raw: bigRaw } = results.atScale;
    checks.push({ name: `daily billing sequence on ${fmt(big.accounts)} accounts COMPLETED`, value: big.status, target: 'COMPLETED', met: big.status === 'COMPLETED' });
    const toRaw = ratio(big.itemsPerSecond, bigRaw.recordsPerSecond) as number;
    checks.push({ name: `billing sequence ÷ raw BatchWriteItem at ${fmt(big.accounts)} accounts`, value: fmt(toRaw, 2), target: `≥ ${BILLING_TO_RAW_TARGET}`, met: toRaw >= BILLING_TO_RAW_TARGET });
  }
  return checks;
}

function billingClient(results: BenchResults): string {
  return Object.keys(results.census).find((c) => !results.bullmq.some((b) => b.clientId === c)) ?? '';
}

function sameCensus(a: LedgerCensus, b: LedgerCensus): boolean {
  return a.invoices === b.invoices && a.usageNotSynced === b.usageNotSynced && a.accountsDue === b.accountsDue;
}

/** The meter's counts per 1,000 items and the GB-seconds they make, as the JSON summary gives them for every run of ours. */
function meteredSummary(per1000: SyntheticRunResult['per1000']): Record<string, unknown> {
  return {
    per1000Items: roundAll(per1000),
    gbSecondsPer1000Items: round(gbSeconds(per1000), 4),
    awsGbSecondsPer1000Items: round(awsGbSecondsPer1000(per1000), 4),
  };
}

/** The JSON summary: every headline number and whether each target was met. */
export function summaryOf(results: BenchResults, cost: CostSection): Record<string, unknown> {
  const largest = largestSynthetic(results);
  const checks = checksOf(results);
  const { billing, raw, latencyRun } = results;
  const [headline, ...variants] = results.bullmq;
  const runSummary = (r: SyntheticRunResult): Record<string, unknown> => ({
    items: r.items,
    status: r.status,
    seconds: r.seconds,
    itemsPerSecond: r.itemsPerSecond,
    ...meteredSummary(r.per1000),
  });
  const bullmqSummary = (b: BullmqBenchResult): Record<string, unknown> => ({
    label: b.label,
    itemsPerJob: b.itemsPerJob,
    concurrency: b.concurrency,
    bullJobs: b.bullJobs,
    items: b.items,
    succeeded: b.succeeded,
    failed: b.failed,
    seconds: b.seconds,
    itemsPerSecond: b.itemsPerSecond,
    dynamoPer1000Items: { dynamoReads: round(b.per1000.dynamoReads), dynamoWrites: round(b.per1000.dynamoWrites), dynamoReadUnits: round(b.per1000.dynamoReadUnits ?? 0), dynamoWriteUnits: round(b.per1000.dynamoWriteUnits ?? 0) },
    redisCommandsPer1000Items: b.redisCommandsPer1000,
    coreBillingRequestsPer1000Items: b.coreBillingRequestsPer1000,
  });
  return {
    bench: 'npm run bench',
    date: results.date,
    benchSeconds: Math.round(results.benchSeconds),
    machine: results.machine,
    parameters: results.parameters,
    synthetic: largest ? runSummary(largest) : undefined,
    syntheticRuns: results.synthetic.map((r) => ({ items: r.items, status: r.status, seconds: r.seconds, itemsPerSecond: r.itemsPerSecond })),
    latency: latencyRun?.latency
      ? {
          runItems: latencyRun.items,
          runStatus: latencyRun.status,
          runSeconds: latencyRun.seconds,
          runItemsPerSecond: latencyRun.itemsPerSecond,
          ...latencyRun.latency,
          ...(latencyRun.latencyBackToBack ? { backToBack: latencyRun.latencyBackToBack } : {}),
        }
      : undefined,
    billing: billing
      ? {
          accounts: billing.accounts,
          usagePerAccount: billing.usagePerAccount,
          processingDate: billing.processingDate,
          status: billing.status,
          items: billing.items,
          itemsByJob: billing.itemsByJob,
          seconds: billing.seconds,
          itemsPerSecond: billing.itemsPerSecond,
          ...meteredSummary(billing.per1000),
          coreBillingRequestsPer1000Items: billing.coreBillingRequestsPer1000,
          phases: phaseTimelineSummary(billing.phases, billing.jobTypes),
        }
      : undefined,
    billingAtScale: results.atScale
      ? {
          accounts: results.atScale.billing.accounts,
          status: results.atScale.billing.status,
          items: results.atScale.billing.items,
          seconds: results.atScale.billing.seconds,
          itemsPerSecond: results.atScale.billing.itemsPerSecond,
          rawRecordsPerSecond: results.atScale.raw.recordsPerSecond,
          rawConditionalPutsPerSecond: results.atScale.raw.conditionalPutsPerSecond,
          ...meteredSummary(results.atScale.billing.per1000),
          phases: phaseTimelineSummary(results.atScale.billing.phases, results.atScale.billing.jobTypes),
        }
      : undefined,
    rawBatchWrite: raw,
    bullmq: headline ? bullmqSummary(headline) : undefined,
    bullmqVariants: variants.map(bullmqSummary),
    ratios: {
      billingToRaw: ratio(billing?.itemsPerSecond, raw?.recordsPerSecond),
      billingToRawAtScale: ratio(results.atScale?.billing.itemsPerSecond, results.atScale?.raw.recordsPerSecond),
      billingToRawConditionalPuts: ratio(billing?.itemsPerSecond, raw?.conditionalPutsPerSecond),
      billingToRawConditionalPutsAtScale: ratio(results.atScale?.billing.itemsPerSecond, results.atScale?.raw.conditionalPutsPerSecond),
      billingToBullmq: ratio(billing?.itemsPerSecond, headline?.itemsPerSecond),
      ...Object.fromEntries(variants.map((v) => [`billingToBullmq${v.itemsPerJob}PerJob`, ratio(billing?.itemsPerSecond, v.itemsPerSecond)])),
    },
    memory: results.memory,
    cost: cost.summary,
    checks: checks.map((c) => ({ name: c.name, value: c.value, target: c.target, met: c.met })),
    targetsMet: {
      perItemCounts: checks.filter((c) => c.name.includes('per 1,000 SYNTHETIC')).every((c) => c.met),
      peakRss: results.memory.benchPeakRssMiB < PEAK_RSS_TARGET_MIB,
      billingToRaw: checks.find((c) => c.name === 'billing sequence ÷ raw BatchWriteItem')?.met,
      billingToRawAtScale: checks.find((c) => c.name.startsWith('billing sequence ÷ raw BatchWriteItem at'))?.met,
      billingToBullmq: checks.find((c) => c.name.includes('(headline)'))?.met,
      billingToBullmqChunked: checks.find((c) => c.name.includes('(variant)'))?.met,
      statusP99: checks.find((c) => c.name.startsWith('GET run status p99'))?.met,
      sameRecords: results.bullmq.length > 0 ? checks.filter((c) => c.name.includes('same records')).every((c) => c.met) : undefined,
      latencyNoErrors: checks.find((c) => c.name.includes('errors'))?.met,
      all: checks.every((c) => c.met),
    },
  };
}

function resultsTable(results: BenchResults): string[] {
  const columns: Array<{ title: string; count: string; status: string; seconds: number; rate: number; unit: string }> = [];
  for (const r of results.synthetic) columns.push({ title: `SYNTHETIC ${fmt(r.items)}`, count: `${fmt(r.items)} items`, status: r.status, seconds: r.seconds, rate: r.itemsPerSecond, unit: 'items/s' });
  if (results.latencyRun) {
    const r = results.latencyRun;
    columns.push({ title: `SYNTHETIC ${fmt(r.items)} under ${r.latency?.pollers ?? 0} pollers`, count: `${fmt(r.items)} items`, status: r.status, seconds: r.seconds, rate: r.itemsPerSecond, unit: 'items/s' });
  }
  if (results.billing) {
    const b = results.billing;
    columns.push({ title: `Daily billing sequence (${fmt(b.accounts)} accounts)`, count: `${fmt(b.items)} items`, status: b.status, seconds: b.seconds, rate: b.itemsPerSecond, unit: 'items/s' });
  }
  if (results.raw) {
    columns.push({ title: 'Raw BatchWriteItem', count: `${fmt(results.raw.records)} records`, status: '—', seconds: results.raw.seconds, rate: results.raw.recordsPerSecond, unit: 'records/s' });
    columns.push({ title: 'Raw conditional PutItem', count: `${fmt(results.raw.records)} records`, status: '—', seconds: results.raw.conditionalSeconds, rate: results.raw.conditionalPutsPerSecond, unit: 'records/s' });
  }
  if (results.atScale) {
    const { billing: b, raw } = results.atScale;
    columns.push({ title: `Daily billing sequence (${fmt(b.accounts)} accounts)`, count: `${fmt(b.items)} items`, status: b.status, seconds: b.seconds, rate: b.itemsPerSecond, unit: 'items/s' });
    columns.push({ title: `Raw BatchWriteItem (${fmt(b.accounts)} accounts' records)`, count: `${fmt(raw.records)} records`, status: '—', seconds: raw.seconds, rate: raw.recordsPerSecond, unit: 'records/s' });
    columns.push({ title: `Raw conditional PutItem (${fmt(b.accounts)} accounts' records)`, count: `${fmt(raw.records)} records`, status: '—', seconds: raw.conditionalSeconds, rate: raw.conditionalPutsPerSecond, unit: 'records/s' });
  }
  for (const b of results.bullmq) {
    columns.push({ title: b.label, count: `${fmt(b.items)} items`, status: b.failed === 0 && b.succeeded === b.items ? 'all succeeded' : `${fmt(b.failed)} failed`, seconds: b.seconds, rate: b.itemsPerSecond, unit: 'items/s' });
  }
  return [
    `| | ${columns.map((c) => c.title).join(' | ')} |`,
    `| --- | ${columns.map(() => '---:').join(' | ')} |`,
    `| work | ${columns.map((c) => c.count).join(' | ')} |`,
    `| outcome | ${columns.map((c) => c.status).join(' | ')} |`,
    `| seconds | ${columns.map((c) => fmt(c.seconds, 1)).join(' | ')} |`,
    `| **per second** | ${columns.map((c) => `**${fmt(c.rate)}** ${c.unit}`).join(' | ')} |`,
  ];
}

function checksTable(checks: Check[]): string[] {
  return ['| measure | value | target | |', '| --- | ---: | ---: | --- |', ...checks.map((c) => `| ${c.name} | ${c.value} | ${c.target} | ${c.met ? 'met' : '**not met**'} |`)];
}

const KIND_LABELS: Record<string, string> = {
  dynamoReads: 'DynamoDB read requests',
  dynamoWrites: 'DynamoDB writes (items written)',
  dynamoReadUnits: 'DynamoDB read capacity units',
  dynamoWriteUnits: 'DynamoDB write capacity units',
  dynamoCalls: 'DynamoDB requests timed',
  dynamoMillis: 'DynamoDB milliseconds (request times summed)',
  stateTransitions: 'Step Functions state transitions',
  sqsRequests: 'SQS requests',
  lambdaInvocations: 'Lambda invocations',
  lambdaMillis: 'Lambda milliseconds',
};

function per1000Table(results: BenchResults): string[] {
  const columns: Array<{ title: string; per1000: Record<string, number>; gb?: number; awsGb?: number; redis?: number; core?: number; orchestrated: boolean }> = [];
  const lambda = (per1000: Record<UsageKind, number>): { gb: number; awsGb: number } => ({ gb: gbSeconds(per1000), awsGb: awsGbSecondsPer1000(per1000) });
  for (const r of results.synthetic) columns.push({ title: `SYNTHETIC ${fmt(r.items)}`, per1000: r.per1000, ...lambda(r.per1000), orchestrated: true });
  if (results.latencyRun) columns.push({ title: `SYNTHETIC ${fmt(results.latencyRun.items)} under pollers¹`, per1000: results.latencyRun.per1000, ...lambda(results.latencyRun.per1000), orchestrated: true });
  if (results.billing) {
    const b = results.billing;
    columns.push({ title: 'Daily billing sequence', per1000: b.per1000, ...lambda(b.per1000), core: b.coreBillingRequestsPer1000, orchestrated: true });
  }
  for (const b of results.bullmq) columns.push({ title: `${b.label}²`, per1000: b.per1000, redis: b.redisCommandsPer1000, core: b.coreBillingRequestsPer1000, orchestrated: false });
  const kinds = [...new Set(columns.flatMap((c) => Object.keys(c.per1000)))];
  const cell = (column: (typeof columns)[number], kind: string): string => {
    if (!column.orchestrated && !kind.startsWith('dynamo')) return '—';
    return fmt(column.per1000[kind], 2);
  };
  return [
    `| per 1,000 work items | ${columns.map((c) => c.title).join(' | ')} |`,
    `| --- | ${columns.map(() => '---:').join(' | ')} |`,
    ...kinds.map((kind) => `| ${KIND_LABELS[kind] ?? kind} | ${columns.map((c) => cell(c, kind)).join(' | ')} |`),
    `| Lambda GB-seconds (at 1 GB)³ | ${columns.map((c) => (c.gb === undefined ? '—' : fmt(c.gb, 3))).join(' | ')} |`,
    `| Lambda GB-seconds at AWS's DynamoDB latency (cost model)⁴ | ${columns.map((c) => (c.awsGb === undefined ? '—' : fmt(c.awsGb, 3))).join(' | ')} |`,
    `| core billing HTTP requests | ${columns.map((c) => (c.core === undefined ? '—' : fmt(c.core, 1))).join(' | ')} |`,
    `| Redis commands | ${columns.map((c) => (c.redis === undefined ? '—' : fmt(c.redis))).join(' | ')} |`,
  ];
}

function chartPanels(results: BenchResults): ChartPanel[] {
  const panels: ChartPanel[] = [];
  const largest = largestSynthetic(results);
  const synthetic = [...(largest ? [{ label: `${fmt(largest.items)} items`, samples: largest.samples }] : [])];
  if (results.latencyRun) synthetic.push({ label: `${fmt(results.latencyRun.items)} items under ${results.latencyRun.latency?.pollers ?? 0} pollers`, samples: results.latencyRun.samples });
  if (synthetic.length > 0) panels.push({ title: 'SYNTHETIC runs', series: synthetic });
  if (results.billing) {
    panels.push({
      title: `Daily billing sequence, ${fmt(results.billing.accounts)} accounts`,
      series: [{ label: 'ours (Step Functions + SQS + run store)', samples: results.billing.samples }, ...results.bullmq.map((b) => ({ label: b.label, samples: b.samples }))],
    });
  }
  return panels;
}

/** Writes the markdown report and the SVG chart beside it; returns the JSON summary. */
export function writeReport(results: BenchResults, cost: CostSection, reportPath: string): Record<string, unknown> {
  const summary = summaryOf(results, cost);
  const svgName = `${basename(reportPath, '.md')}-throughput.svg`;
  const panels = chartPanels(results);
  mkdirSync(dirname(reportPath), { recursive: true });
  if (panels.length > 0) writeFileSync(join(dirname(reportPath), svgName), throughputSvg(panels));
  const m = results.machine;
  const minutes = Math.floor(results.benchSeconds / 60);
  const checks = checksOf(results);
  const lines = [
    '# Benchmark',
    '',
    `\`npm run bench\`, measured ${results.date.slice(0, 16).replace('T', ' ')} UTC on ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB memory, Node ${m.node}; load average at the start ${m.loadAtStart.join(' / ')} (other work shares the machine). The whole bench took ${minutes} min ${Math.round(results.benchSeconds - minutes * 60)} s, seeding and start-up included.`,
    '',
    'Everything runs on this one machine: the local runtime (HTTP API, the ASL in the interpreter, the in-process queue and workers) in the bench process, DynamoDB Local on disk in its own Java process, and for the comparison a Redis server. Request counts are metered as the requests go out (a middleware on the DynamoDB client, the local queue and state machine), not estimated. This file and `benchmark-throughput.svg` are written by the bench; the last line it prints is the JSON summary.',
    '',
    '<details><summary>Parameters</summary>',
    '',
    '```json',
    JSON.stringify(results.parameters, null, 2),
    '```',
    '',
    '</details>',
    '',
    '## Results',
    '',
    ...resultsTable(results),
    '',
    '## Targets',
    '',
    ...checksTable(checks),
    '',
    ...writeRateLines(results),
    '## Per 1,000 work items, as metered',
    '',
    ...per1000Table(results),
    '',
    "¹ Includes the DynamoDB reads of the pollers' status requests. The other columns exclude the bench's own progress polling, which reads the run store without counting.",
    '² BullMQ has no Step Functions, SQS or Lambda: its workers are a long-running process (cost: the instance and Redis, by the hour). Its DynamoDB counts come from a ledger metered the same way as the runtime\'s.',
    "³ `lambdaMillis` × 1 GB (the worker's memory; the step functions have 512 MB, so this is an upper bound). The millis are wall-clock time of handlers sharing 2 cores in one process and waiting on DynamoDB Local; on Lambda each invocation has its own CPU, so they overstate Lambda time.",
    `⁴ bench/cost-model.ts's estimate: the measured time scaled by ${AWS_DYNAMO_LATENCY_MS} ms per DynamoDB request over DynamoDB Local's measured time per request (never scaled up); this is what the cost section prices.`,
    '',
    '## Memory',
    '',
    '| process | peak RSS |',
    '| --- | ---: |',
    `| the bench process (node): the local runtime — API, ASL interpreter, queue, workers — and the BullMQ workers and the pollers' thread | ${fmt(results.memory.benchPeakRssMiB)} MiB |`,
    `| DynamoDB Local (java, its own process; VmHWM) | ${results.memory.dynamoLocalPeakRssMiB === undefined ? 'not read' : `${fmt(results.memory.dynamoLocalPeakRssMiB)} MiB`} |`,
    `| redis-server (its own process; VmHWM) | ${results.memory.redisPeakRssMiB === undefined ? 'not run' : `${fmt(results.memory.redisPeakRssMiB)} MiB`} |`,
    '',
    '## The billing sequence per phase',
    '',
    ...phaseLines(results),
    '## API latency under load',
    '',
    ...latencyLines(results.latencyRun),
    '',
    '## Items per second over run time',
    '',
    ...(panels.length > 0
      ? [
          `![Items per second over run time: SYNTHETIC runs; the daily billing sequence, ours and BullMQ](${svgName})`,
          '',
          'Progress (items succeeded + failed) sampled every second from the run store (ours) or the worker (BullMQ); each point is the rate over its interval. The same, for renderers of mermaid:',
          '',
          ...panels.flatMap((panel) => [mermaidChart(panel), '']),
        ]
      : ['No runs.', '']),
    '## The BullMQ comparison',
    '',
    ...bullmqLines(results),
    '',
    '## Cost',
    '',
    cost.markdown.trim() || 'No cost: no run to price.',
    '',
  ];
  writeFileSync(reportPath, lines.join('\n'));
  return summary;
}

/** The report's main tables on stdout, then the JSON summary as the very last line. */
export function printSummary(results: BenchResults, summary: Record<string, unknown>, reportPath: string): void {
  console.log('');
  console.log(resultsTable(results).join('\n'));
  console.log('');
  console.log(checksTable(checksOf(results)).join('\n'));
  console.log('');
  console.log(per1000Table(results).join('\n'));
  console.log('');
  console.log(latencyLines(results.latencyRun).slice(2).join('\n'));
  console.log('');
  console.log(phaseLines(results).join('\n'));
  console.log('');
  console.log(`peak RSS: bench ${fmt(results.memory.benchPeakRssMiB)} MiB, DynamoDB Local ${fmt(results.memory.dynamoLocalPeakRssMiB)} MiB, redis-server ${fmt(results.memory.redisPeakRssMiB)} MiB`);
  console.log(`report: ${reportPath}; bench took ${Math.round(results.benchSeconds)} s`);
  console.log(JSON.stringify(summary));
}
