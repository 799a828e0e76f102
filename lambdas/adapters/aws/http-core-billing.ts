import { z } from 'zod';
import { fullJitterMs, sleep } from './backoff';
import {
  CoreBillingRefusedError,
  CoreBillingUnavailableError,
  type CoreBillingClient,
  type CoreTransaction,
  type CoreTransactionResult,
} from '../../ports/core-billing';

/** Where the API key core billing expects comes from: a secret deployed, a constant locally. */
export interface CoreBillingCredentials {
  apiKey(): Promise<string>;
  /** Forget a cached key: core answered 401, the secret may have been rotated. */
  invalidate(): void;
}

export function staticCredentials(apiKey: string): CoreBillingCredentials {
  return { apiKey: async () => apiKey, invalidate: () => undefined };
}

export interface HttpCoreBillingOptions {
  /** Base URL of core billing's API; transactions go to `<endpoint>/transactions/batch`. */
  endpoint: string;
  credentials: CoreBillingCredentials;
  /**
   * How long one attempt may take. A worker sends a batch in chunks of 50 transactions; with
   * every attempt of every chunk timing out, a 500-item batch still ends well inside the
   * deployed worker's 5-minute timeout: 10 chunks × 4 attempts × 5 s + backoff.
   * @default 5000
   */
  timeoutMs?: number;
  /** @default 4 */
  maxAttempts?: number;
  /** First backoff; doubled per attempt, with full jitter, capped at 4 s. @default 250 */
  backoffMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const ResultSchema = z.discriminatedUnion('status', [
  z.object({ idempotencyKey: z.string(), status: z.literal('ACCEPTED'), coreRef: z.string() }),
  z.object({ idempotencyKey: z.string(), status: z.literal('REJECTED'), code: z.string().min(1), message: z.string() }),
]);
const ResponseSchema = z.object({ results: z.array(ResultSchema) });

const MAX_BACKOFF_MS = 4_000;

/**
 * Core billing over HTTPS: one POST per batch, the API key as a bearer token. Retries 5xx, 429,
 * timeouts, connection failures and unreadable answers (Retry-After honoured up to the cap), which
 * is safe because core dedupes by idempotency key; any other 4xx is final.
 */
export class HttpCoreBilling implements CoreBillingClient {
  private readonly url: string;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly backoffMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: HttpCoreBillingOptions) {
    this.url = `${options.endpoint.replace(/\/+$/, '')}/transactions/batch`;
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.maxAttempts = options.maxAttempts ?? 4;
    this.backoffMs = options.backoffMs ?? 250;
    this.sleep = options.sleep ?? sleep;
  }

  async sendTransactions(clientId: string, transactions: readonly CoreTransaction[]): Promise<CoreTransactionResult[]> {
    if (transactions.length === 0) return [];
    const body = JSON.stringify({ clientId, transactions });
    const started = Date.now();
    let lastProblem = '';
    let retryAfterMs: number | undefined;
    let credentialsRefreshed = false;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (attempt > 1) await this.sleep(Math.min(MAX_BACKOFF_MS, retryAfterMs ?? fullJitterMs(attempt - 1, { baseMs: this.backoffMs, capMs: MAX_BACKOFF_MS })));
      retryAfterMs = undefined;
      let apiKey: string;
      try {
        apiKey = await this.options.credentials.apiKey();
      } catch (error) {
        lastProblem = `could not read the credentials: ${(error as Error).message}`;
        continue;
      }
      let response: Response;
      try {
        response = await fetch(this.url, {
          method: 'POST',
          headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (error) {
        const name = (error as Error).name;
        lastProblem = name === 'TimeoutError' || name === 'AbortError' ? `no answer within ${this.timeoutMs} ms` : `connection failed (${causeOf(error)})`;
        continue;
      }
      const text = await response.text().catch(() => '');
      // Once, with freshly read credentials: the secret may have been rotated.
      if (response.status === 401 && !credentialsRefreshed) {
        credentialsRefreshed = true;
        this.options.credentials.invalidate();
        attempt--;
        continue;
      }
      if (response.status >= 500 || response.status === 429) {
        lastProblem = `answered ${response.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
        retryAfterMs = retryAfterOf(response.headers.get('retry-after'));
        continue;
      }
      if (response.status >= 400) {
        throw new CoreBillingRefusedError(`Core billing at ${this.url} refused the request with ${response.status}: ${text.slice(0, 300)}`, response.status);
      }
      const parsed = ResponseSchema.safeParse(parseJson(text));
      if (!parsed.success) {
        lastProblem = `answered ${response.status} with a body that is not a batch result: ${text.slice(0, 200)}`;
        continue;
      }
      return parsed.data.results;
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    throw new CoreBillingUnavailableError(`Core billing at ${this.url} failed ${this.maxAttempts} attempts in ${seconds} s; last: ${lastProblem}`);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

function retryAfterOf(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}
