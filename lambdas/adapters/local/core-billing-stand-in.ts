import { timingSafeEqual } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, truncateSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { CoreTransaction, CoreTransactionResult } from '../../ports/core-billing';

export interface CoreBillingStandInOptions {
  /** 0 picks a free port. */
  port: number;
  host?: string;
  /** The bearer token the endpoint expects. */
  apiKey: string;
  /** The bearer token the control API expects. */
  controlToken: string;
  /** Accepted transactions are appended here (JSON lines) and read back at start, so dedupe survives a restart. */
  storePath?: string;
}

export interface Rejection {
  code: string;
  message: string;
}

export interface Outage {
  /** What failing requests answer; with delayMs alone the requests are slow, not failing. */
  status?: number;
  /** Failing requests left; absent: until `untilMs` or until cleared. */
  remainingRequests?: number;
  untilMs?: number;
  /** Wait before answering (the request is still processed: a client that timed out sends it again). */
  delayMs?: number;
}

export interface AcceptedTransaction {
  coreRef: string;
  clientId: string;
  receivedAt: string;
  transaction: CoreTransaction;
}

export interface StandInCounters {
  requests: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  failedRequests: number;
}

const TransactionSchema = z.object({
  idempotencyKey: z.string().min(1).max(300),
  transactionId: z.string().min(1),
  accountId: z.string().min(1),
  usageDate: z.string(),
  usageType: z.string(),
  quantity: z.number(),
  amountMinor: z.number().int(),
  currency: z.string(),
  version: z.number().int().min(1),
});
const BatchSchema = z.object({ clientId: z.string().min(1), transactions: z.array(TransactionSchema).min(1).max(1000) });
const RejectionBodySchema = z.object({ code: z.string().min(1).max(100).optional(), message: z.string().max(500).optional() }).strict();
const OutageBodySchema = z
  .object({
    status: z.number().int().min(400).max(599).optional(),
    requests: z.number().int().min(1).optional(),
    seconds: z.number().positive().optional(),
    delayMs: z.number().int().min(0).max(120_000).optional(),
  })
  .strict();

const MAX_BODY_BYTES = 10 * 1024 * 1024;

/**
 * Core billing's side of SYNC_TRANSACTIONS, on loopback: the deployed contract (POST
 * /v1/transactions/batch), deduped by idempotency key, and told through its control API to reject
 * accounts or fail for a while, so the sync-error and retry paths run over real HTTP.
 */
export class CoreBillingStandIn {
  private readonly accepted = new Map<string, AcceptedTransaction>();
  private readonly rejections = new Map<string, Rejection>();
  private outage: Outage | undefined;
  private readonly counters: StandInCounters = { requests: 0, accepted: 0, duplicates: 0, rejected: 0, failedRequests: 0 };

  private constructor(
    private readonly server: Server,
    private readonly options: CoreBillingStandInOptions,
    readonly url: string,
  ) {}

  static async start(options: CoreBillingStandInOptions): Promise<CoreBillingStandIn> {
    // The server needs its handler before the stand-in (which needs the server's port) exists.
    const late: { standIn?: CoreBillingStandIn } = {};
    const server = createServer((request, response) => {
      void late.standIn?.handle(request, response);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const standIn = new CoreBillingStandIn(server, options, `http://${options.host ?? '127.0.0.1'}:${port}`);
    try {
      standIn.load();
    } catch (error) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      throw error;
    }
    late.standIn = standIn;
    return standIn;
  }

  /** The bearer token of the control API. */
  get controlToken(): string {
    return this.options.controlToken;
  }

  /** What the core billing client is configured with. */
  get endpoint(): string {
    return `${this.url}/v1`;
  }

  rejectAccount(accountId: string, rejection: Partial<Rejection> = {}): void {
    this.rejections.set(accountId, {
      code: rejection.code ?? 'ACCOUNT_REJECTED',
      message: rejection.message ?? `core billing does not accept transactions for account ${accountId}`,
    });
  }

  clearRejections(accountIds?: readonly string[]): void {
    if (!accountIds) this.rejections.clear();
    else for (const accountId of accountIds) this.rejections.delete(accountId);
  }

  /** Fail (or slow down) the transactions endpoint for a number of requests, a time, or until cleared. */
  startOutage(outage: { status?: number; requests?: number; seconds?: number; delayMs?: number }): void {
    this.outage = {
      ...(outage.status !== undefined || outage.delayMs === undefined ? { status: outage.status ?? 503 } : {}),
      ...(outage.requests !== undefined ? { remainingRequests: outage.requests } : {}),
      ...(outage.seconds !== undefined ? { untilMs: Date.now() + outage.seconds * 1000 } : {}),
      ...(outage.delayMs !== undefined ? { delayMs: outage.delayMs } : {}),
    };
  }

  endOutage(): void {
    this.outage = undefined;
  }

  /** Accepted transactions, optionally of one account, in the order received. */
  transactions(accountId?: string): AcceptedTransaction[] {
    const all = [...this.accepted.values()];
    return accountId ? all.filter((entry) => entry.transaction.accountId === accountId) : all;
  }

  stats(): StandInCounters & { stored: number } {
    return { ...this.counters, stored: this.accepted.size };
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /**
   * Reads back what was accepted. Every entry ends with a newline; text after the last one is an
   * append cut short (the process was killed while writing a batch, before it answered, so the
   * client sends that batch again): it is cut off, and the file goes on from the last whole entry.
   */
  private load(): void {
    const path = this.options.storePath;
    if (!path || !existsSync(path)) return;
    const text = readFileSync(path, 'utf8');
    const complete = text.slice(0, text.lastIndexOf('\n') + 1);
    if (complete.length < text.length) truncateSync(path, Buffer.byteLength(complete, 'utf8'));
    for (const [index, line] of complete.split('\n').entries()) {
      if (!line.trim()) continue;
      let entry: AcceptedTransaction;
      try {
        entry = JSON.parse(line) as AcceptedTransaction;
      } catch {
        throw new Error(`core billing stand-in: line ${index + 1} of ${path} is not JSON; fix or delete the file`);
      }
      this.accepted.set(entry.transaction.idempotencyKey, entry);
    }
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      const url = new URL(request.url ?? '/', this.url);
      const body = await readBody(request);
      if (url.pathname === '/v1/transactions/batch' && request.method === 'POST') return await this.receive(request, body, response);
      // Token and loopback Host: any local process, or a page that rebinds its DNS name to
      // 127.0.0.1, could otherwise fake outages and read every tenant's transactions.
      if (url.pathname.startsWith('/control')) {
        if (!isLoopbackHost(request.headers.host)) {
          send(response, 403, { error: { code: 'FORBIDDEN', message: 'the control API answers only requests addressed to 127.0.0.1, localhost or [::1]' } });
          return;
        }
        if (!sameSecret(request.headers.authorization, `Bearer ${this.options.controlToken}`)) {
          send(response, 401, { error: { code: 'UNAUTHORIZED', message: 'missing or wrong control token (coreBillingControlToken in DATA_DIR/runtime.json)' } });
          return;
        }
        return this.control(request.method ?? 'GET', url, body, response);
      }
      send(response, 404, { error: { code: 'NOT_FOUND', message: `${request.method} ${url.pathname} is not a route of the core billing stand-in` } });
    } catch (error) {
      send(response, 400, { error: { code: 'BAD_REQUEST', message: (error as Error).message } });
    }
  }

  private async receive(request: IncomingMessage, body: string, response: ServerResponse): Promise<void> {
    this.counters.requests++;
    if (request.headers.authorization !== `Bearer ${this.options.apiKey}`) {
      send(response, 401, { error: { code: 'UNAUTHORIZED', message: 'missing or wrong API key' } });
      return;
    }
    const outage = this.activeOutage();
    if (outage?.remainingRequests !== undefined) outage.remainingRequests--;
    if (outage?.delayMs) await new Promise((resolve) => setTimeout(resolve, outage.delayMs));
    if (outage?.status) {
      this.counters.failedRequests++;
      send(response, outage.status, { error: { code: 'CORE_OUTAGE', message: 'core billing stand-in: simulated outage' } });
      return;
    }
    const parsed = BatchSchema.safeParse(JSON.parse(body || 'null'));
    if (!parsed.success) {
      send(response, 400, { error: { code: 'INVALID_BATCH', message: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ') } });
      return;
    }
    const stored: AcceptedTransaction[] = [];
    const results = parsed.data.transactions.map((transaction) => this.accept(parsed.data.clientId, transaction, stored));
    if (this.options.storePath && stored.length > 0) {
      mkdirSync(dirname(this.options.storePath), { recursive: true });
      appendFileSync(this.options.storePath, stored.map((entry) => `${JSON.stringify(entry)}\n`).join(''));
    }
    send(response, 200, { results });
  }

  private accept(clientId: string, transaction: CoreTransaction, stored: AcceptedTransaction[]): CoreTransactionResult {
    const { idempotencyKey } = transaction;
    const known = this.accepted.get(idempotencyKey);
    if (known) {
      this.counters.duplicates++;
      return { idempotencyKey, status: 'ACCEPTED', coreRef: known.coreRef };
    }
    const rejection = this.rejections.get(transaction.accountId);
    if (rejection) {
      // A rejection stores nothing: the same key is accepted once the cause is fixed.
      this.counters.rejected++;
      return { idempotencyKey, status: 'REJECTED', code: rejection.code, message: rejection.message };
    }
    this.counters.accepted++;
    const entry: AcceptedTransaction = { coreRef: `CB-${String(this.accepted.size + 1).padStart(9, '0')}`, clientId, receivedAt: new Date().toISOString(), transaction };
    this.accepted.set(idempotencyKey, entry);
    stored.push(entry);
    return { idempotencyKey, status: 'ACCEPTED', coreRef: entry.coreRef };
  }

  private activeOutage(): Outage | undefined {
    const outage = this.outage;
    if (!outage) return undefined;
    const over = (outage.remainingRequests !== undefined && outage.remainingRequests <= 0) || (outage.untilMs !== undefined && Date.now() >= outage.untilMs);
    if (over) this.outage = undefined;
    return over ? undefined : outage;
  }

  /**
   * GET /control (rejections, outage, counters); PUT|DELETE /control/rejections/{account}
   * ({"code"?, "message"?}), DELETE /control/rejections; PUT /control/outage ({"status"?,
   * "requests"?, "seconds"?, "delayMs"?}), DELETE /control/outage; GET /control/transactions?accountId=&limit=.
   */
  private control(method: string, url: URL, body: string, response: ServerResponse): void {
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const [, resource, accountId] = parts;
    if (parts.length === 1 && method === 'GET') {
      send(response, 200, { rejections: Object.fromEntries(this.rejections), outage: this.activeOutage() ?? null, ...this.stats() });
    } else if (resource === 'rejections' && accountId && method === 'PUT') {
      this.rejectAccount(accountId, RejectionBodySchema.parse(body ? JSON.parse(body) : {}));
      send(response, 200, { accountId, ...this.rejections.get(accountId) });
    } else if (resource === 'rejections' && method === 'DELETE') {
      this.clearRejections(accountId ? [accountId] : undefined);
      send(response, 204);
    } else if (resource === 'outage' && parts.length === 2 && method === 'PUT') {
      this.startOutage(OutageBodySchema.parse(body ? JSON.parse(body) : {}));
      send(response, 200, { outage: this.outage });
    } else if (resource === 'outage' && parts.length === 2 && method === 'DELETE') {
      this.endOutage();
      send(response, 204);
    } else if (resource === 'transactions' && parts.length === 2 && method === 'GET') {
      const limit = Math.min(Number(url.searchParams.get('limit') ?? 100) || 100, 10_000);
      const items = this.transactions(url.searchParams.get('accountId') ?? undefined);
      send(response, 200, { total: items.length, items: items.slice(0, limit) });
    } else {
      send(response, 404, { error: { code: 'NOT_FOUND', message: `${method} ${url.pathname} is not a control route` } });
    }
  }
}

/** A Host header naming a loopback address (any port): a rebound DNS name is refused. */
function isLoopbackHost(host: string | undefined): boolean {
  const name = /^(\[[^\]]*\]|[^:]*)(?::\d+)?$/.exec(host ?? '')?.[1]?.toLowerCase();
  return name === '127.0.0.1' || name === 'localhost' || name === '[::1]';
}

function sameSecret(given: string | undefined, expected: string): boolean {
  const [a, b] = [Buffer.from(given ?? ''), Buffer.from(expected)];
  return a.length === b.length && timingSafeEqual(a, b);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(response: ServerResponse, status: number, body?: unknown): void {
  if (response.headersSent || response.destroyed) return;
  response.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
  response.end(body === undefined ? undefined : JSON.stringify(body));
}
