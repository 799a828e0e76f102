import type { UsageKind } from '../lambdas/ports/usage-meter';

/**
 * The AWS cost of a million work items, from the requests the adapters counted per 1,000 items
 * (UsageMeter) and AWS list prices, next to the naive design of one Standard execution per work
 * item. docs/cost-and-scaling.md explains the model; `npm run bench` prints it with measured counts.
 */

/** Per 1,000 work items, as the bench measures them (a meter delta scaled to 1,000 items). */
export type UsagePer1000 = Record<UsageKind, number>;

/**
 * On-demand list prices, US East (N. Virginia), us-east-1, as written down on 2026-11-25 from
 * the AWS pricing pages (Step Functions, Lambda, SQS, DynamoDB; DynamoDB's on-demand prices are
 * those in effect since the 2024-11-01 reduction). Free tiers are ignored: a billing platform
 * runs well past them. The build machine has no internet; check the pages before quoting.
 */
export const PRICES = {
  region: 'us-east-1',
  writtenDown: '2026-11-25',
  /** Standard workflows, per state transition ($0.025 per 1,000). */
  stateTransition: 0.025 / 1_000,
  /** Lambda requests ($0.20 per million). */
  lambdaRequest: 0.2 / 1_000_000,
  /** Lambda duration on Arm (Graviton), first 7.5 billion GB-seconds a month. */
  lambdaGbSecondArm: 0.0000133334,
  /** SQS standard queue requests after the first million ($0.40 per million; one request per 64 KB chunk). */
  sqsRequest: 0.4 / 1_000_000,
  /** DynamoDB on-demand write request units ($0.625 per million). */
  dynamoWriteUnit: 0.625 / 1_000_000,
  /** DynamoDB on-demand read request units ($0.125 per million). */
  dynamoReadUnit: 0.125 / 1_000_000,
} as const;

/**
 * Memory of the worker Lambda (lib/constructs/orchestration.ts); the step Lambdas have 512 MB,
 * but every measured millisecond is priced at the worker's 1,024 MB, which overstates.
 */
export const LAMBDA_MEMORY_GB = 1;

/**
 * The local interpreter counts the states a Map child enters; AWS may also bill each child
 * execution's start. One more transition per Lambda invocation (every Map child invokes the
 * worker once; the step Lambdas are counted too, which overstates) stays on the safe side.
 */
function billedTransitions(usage: UsagePer1000): number {
  return usage.stateTransitions + usage.lambdaInvocations;
}

/**
 * The naive design: a Standard execution per work item (ProcessItem Lambda task → PutItem of the
 * item's outcome → Succeed: 3 transitions), started by a parent execution's Map with one
 * StartExecution task per item (1 transition). Counted in its favour otherwise: one invocation
 * with our measured GB-seconds per item, one write unit for its outcome record, and the job's
 * own reads and writes, as ours; no retries, no Choice states, no run records.
 */
const NAIVE = { transitionsPerItem: 4, invocationsPerItem: 1, outcomeWriteUnitsPerItem: 1 } as const;

export const COST_TARGETS = { maxUsdPerMillion: 2, minTimesCheaperThanNaive: 50 } as const;

export interface CostLine {
  service: string;
  /** Billed units per 1,000,000 work items. */
  units: number;
  unit: string;
  usd: number;
}

export interface CostEstimate {
  lines: CostLine[];
  usdPerMillion: number;
}

/** Lambda GB-seconds per 1,000 items from the measured milliseconds. */
export function gbSecondsPer1000(usage: UsagePer1000): number {
  return (usage.lambdaMillis / 1000) * LAMBDA_MEMORY_GB;
}

/**
 * What a DynamoDB request is assumed to take on AWS, in milliseconds: DynamoDB answers in single
 * digits for single-item calls; 10 covers batch gets of 100 keys and conditional puts alike.
 */
export const AWS_DYNAMO_LATENCY_MS = 10;

/**
 * Lambda GB-seconds per 1,000 items as AWS would bill them: the handlers measured locally spend
 * their time waiting on DynamoDB Local (a Java process doing a few hundred writes per second on
 * shared cores), so their time is scaled by DynamoDB's latency over DynamoDB Local's, as measured
 * on the same requests. Never scaled up; without timed requests, the measured time stands.
 */
export function awsGbSecondsPer1000(usage: UsagePer1000): number {
  if (!(usage.dynamoCalls > 0)) return gbSecondsPer1000(usage);
  const localLatency = usage.dynamoMillis / usage.dynamoCalls;
  return gbSecondsPer1000(usage) * Math.min(1, AWS_DYNAMO_LATENCY_MS / localLatency);
}

/**
 * What this design costs per 1,000,000 work items with the measured counts. `orchestration`, when
 * given, supplies the per-batch counts (transitions, invocations, SQS requests) measured at scale:
 * a run's fixed states (BeginRun, each job's Begin/Collect/Finalize) are spread over its items,
 * so a run of a few thousand items overstates them for a million.
 */
export function costPerMillion(usage: UsagePer1000, orchestration: UsagePer1000 = usage): CostEstimate {
  const perMillion = (n: number): number => n * 1000;
  return estimate([
    line('Step Functions transitions', perMillion(billedTransitions(orchestration)), 'transitions', PRICES.stateTransition),
    line('Lambda requests', perMillion(orchestration.lambdaInvocations), 'invocations', PRICES.lambdaRequest),
    line('Lambda duration', perMillion(awsGbSecondsPer1000(usage)), 'GB-seconds', PRICES.lambdaGbSecondArm),
    line('SQS requests', perMillion(orchestration.sqsRequests), 'requests', PRICES.sqsRequest),
    line('DynamoDB writes', perMillion(writeUnits(usage)), 'write units', PRICES.dynamoWriteUnit),
    line('DynamoDB reads', perMillion(readUnits(usage)), 'read units', PRICES.dynamoReadUnit),
  ]);
}

/**
 * The naive design doing the same job: `jobUsage` is what the job itself reads and writes per
 * 1,000 items (a billing run's counts less the orchestration's, measured on SYNTHETIC).
 */
export function naiveCostPerMillion(jobUsage: { writeUnits: number; readUnits: number; gbSeconds: number }): CostEstimate {
  const million = 1_000_000;
  const perMillion = (n: number): number => Math.max(0, n) * 1000;
  return estimate([
    line('Step Functions transitions', million * NAIVE.transitionsPerItem, 'transitions', PRICES.stateTransition),
    line('Lambda requests', million * NAIVE.invocationsPerItem, 'invocations', PRICES.lambdaRequest),
    line('Lambda duration', perMillion(jobUsage.gbSeconds), 'GB-seconds', PRICES.lambdaGbSecondArm),
    line('SQS requests', 0, 'requests', PRICES.sqsRequest),
    line('DynamoDB writes', million * NAIVE.outcomeWriteUnitsPerItem + perMillion(jobUsage.writeUnits), 'write units', PRICES.dynamoWriteUnit),
    line('DynamoDB reads', perMillion(jobUsage.readUnits), 'read units', PRICES.dynamoReadUnit),
  ]);
}

/**
 * The cost section of the bench report. `synthetic` (an empty job: the orchestration alone) and
 * `billing` (the daily billing sequence: orchestration plus the jobs' own ledger reads and
 * writes) are meter deltas per 1,000 work items.
 */
export function costSection(input: { synthetic?: UsagePer1000; billing?: UsagePer1000 }): { markdown: string; summary: Record<string, unknown> } {
  const ours = input.billing ?? input.synthetic;
  if (!ours) return { markdown: '', summary: {} };
  const oursCost = costPerMillion(ours, input.synthetic ?? ours);
  const orchestration = input.synthetic ? costPerMillion(input.synthetic) : undefined;
  // The job's own work: what the billing run used beyond the orchestration's share.
  const jobUsage = {
    writeUnits: writeUnits(ours) - (input.synthetic ? writeUnits(input.synthetic) : 0),
    readUnits: readUnits(ours) - (input.synthetic ? readUnits(input.synthetic) : 0),
    gbSeconds: awsGbSecondsPer1000(ours),
  };
  const naive = naiveCostPerMillion(jobUsage);
  const timesCheaper = round(naive.usdPerMillion / oursCost.usdPerMillion, 1);
  const workload = input.billing ? 'daily billing sequence' : 'SYNTHETIC';
  const targetsMet = oursCost.usdPerMillion < COST_TARGETS.maxUsdPerMillion && timesCheaper >= COST_TARGETS.minTimesCheaperThanNaive;

  const columns = [
    ...(orchestration && input.billing ? [{ title: 'orchestration alone (SYNTHETIC)', cost: orchestration }] : []),
    { title: `this design, ${workload}`, cost: oursCost },
    { title: 'naive: one Standard execution per item', cost: naive },
  ];
  const rows = oursCost.lines.map((l, i) => `| ${l.service} | ${columns.map((c) => `${fmtUnits(c.cost.lines[i]!.units)} ${c.cost.lines[i]!.unit} → $${fmtUsd(c.cost.lines[i]!.usd)}`).join(' | ')} |`);
  const markdown = [
    `Per 1,000,000 work items, on-demand list prices of ${PRICES.region} as written down on ${PRICES.writtenDown}`,
    `(bench/cost-model.ts; Lambda on Arm at ${LAMBDA_MEMORY_GB * 1024} MB, one more transition per invocation for Map child starts).`,
    `Lambda duration: the measured handler time scaled to ${AWS_DYNAMO_LATENCY_MS} ms per DynamoDB request (measured locally: ${fmtMs(ours)}).`,
    ...(input.billing && input.synthetic ? ['Transitions, invocations and SQS requests of the billing column: per batch, as measured on the SYNTHETIC run of the same engine at scale.'] : []),
    '',
    `| | ${columns.map((c) => c.title).join(' | ')} |`,
    `| --- | ${columns.map(() => '---:').join(' | ')} |`,
    ...rows,
    `| **total** | ${columns.map((c) => `**$${fmtUsd(c.cost.usdPerMillion)}**`).join(' | ')} |`,
    '',
    `This design: **$${fmtUsd(oursCost.usdPerMillion)} per million** (target < $${COST_TARGETS.maxUsdPerMillion}), ` +
      `**${timesCheaper}× cheaper** than the naive design (target ≥ ${COST_TARGETS.minTimesCheaperThanNaive}×): ${targetsMet ? 'met' : 'NOT met'}.`,
  ].join('\n');
  return {
    markdown,
    summary: {
      region: PRICES.region,
      pricesWrittenDown: PRICES.writtenDown,
      workload,
      usdPerMillion: round(oursCost.usdPerMillion, 3),
      lambdaGbSecondsPer1000: { measured: round(gbSecondsPer1000(ours), 3), scaledToAws: round(awsGbSecondsPer1000(ours), 3), awsDynamoLatencyMs: AWS_DYNAMO_LATENCY_MS },
      ...(orchestration ? { orchestrationUsdPerMillion: round(orchestration.usdPerMillion, 3) } : {}),
      naiveUsdPerMillion: round(naive.usdPerMillion, 2),
      timesCheaperThanNaive: timesCheaper,
      targets: COST_TARGETS,
      targetsMet,
    },
  };
}

/** Capacity units where the adapters measured them; otherwise one unit per counted request. */
function writeUnits(usage: UsagePer1000): number {
  return usage.dynamoWriteUnits > 0 ? usage.dynamoWriteUnits : usage.dynamoWrites;
}

function readUnits(usage: UsagePer1000): number {
  return usage.dynamoReadUnits > 0 ? usage.dynamoReadUnits : usage.dynamoReads;
}

function line(service: string, units: number, unit: string, price: number): CostLine {
  return { service, units, unit, usd: units * price };
}

function estimate(lines: CostLine[]): CostEstimate {
  return { lines, usdPerMillion: lines.reduce((sum, l) => sum + l.usd, 0) };
}

function fmtMs(usage: UsagePer1000): string {
  if (!(usage.dynamoCalls > 0)) return 'not timed';
  const local = usage.dynamoMillis / usage.dynamoCalls;
  return `${local.toFixed(1)} ms per request; ${round(gbSecondsPer1000(usage), 2)} GB-s per 1,000 items as measured, ${round(awsGbSecondsPer1000(usage), 2)} scaled`;
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function fmtUsd(n: number): string {
  return n >= 10 ? n.toFixed(2) : n >= 0.01 ? n.toFixed(3) : n.toFixed(4);
}

function fmtUnits(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
