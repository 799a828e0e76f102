import type { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { CoreBillingCredentials } from './http-core-billing';

/** A worker reads the key once per container and this often after that; a 401 reads it at once. */
export const SECRET_MAX_AGE_SECONDS = 300;

/**
 * Core billing's API key from AWS Secrets Manager through Powertools Parameters (its cache keeps
 * the worker from calling Secrets Manager per batch): the secret is either the key itself or
 * JSON `{ "apiKey": "..." }`. After a 401 the next read bypasses the cache: the key was rotated.
 */
export class SecretsManagerCredentials implements CoreBillingCredentials {
  private stale = false;

  constructor(
    private readonly secrets: SecretsProvider,
    private readonly secretId: string,
  ) {}

  async apiKey(): Promise<string> {
    const forceFetch = this.stale;
    const secret = await this.secrets.get(this.secretId, { maxAge: SECRET_MAX_AGE_SECONDS, forceFetch });
    if (forceFetch) this.stale = false;
    const apiKey = typeof secret === 'string' ? apiKeyOf(secret) : undefined;
    if (!apiKey) throw new Error(`secret ${this.secretId} holds no core billing API key (a string, or JSON {"apiKey": "..."})`);
    return apiKey;
  }

  invalidate(): void {
    this.stale = true;
  }
}

function apiKeyOf(secret: string): string | undefined {
  try {
    const parsed = JSON.parse(secret) as unknown;
    if (parsed && typeof parsed === 'object' && typeof (parsed as { apiKey?: unknown }).apiKey === 'string') return (parsed as { apiKey: string }).apiKey;
    return undefined;
  } catch {
    return secret.trim() || undefined;
  }
}
