import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Clock } from '../../ports/clock';
import { systemClock } from '../../ports/clock';
import type { CoreBillingCredentials } from './http-core-billing';

/**
 * Core billing's API key from AWS Secrets Manager: the secret is either the key itself or JSON
 * `{ "apiKey": "..." }`. Read once per container and kept for a few minutes, so a worker does not
 * call Secrets Manager per batch yet picks up a rotated key soon (at once after a 401).
 */
export class SecretsManagerCredentials implements CoreBillingCredentials {
  private cached: { apiKey: string; readAtMs: number } | undefined;

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretId: string,
    private readonly options: { ttlMs?: number; clock?: Clock } = {},
  ) {}

  async apiKey(): Promise<string> {
    const now = (this.options.clock ?? systemClock).now().getTime();
    if (this.cached && now - this.cached.readAtMs < (this.options.ttlMs ?? 5 * 60_000)) return this.cached.apiKey;
    const result = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }));
    const apiKey = apiKeyOf(result.SecretString);
    if (!apiKey) throw new Error(`secret ${this.secretId} holds no core billing API key (a string, or JSON {"apiKey": "..."})`);
    this.cached = { apiKey, readAtMs: now };
    return apiKey;
  }

  invalidate(): void {
    this.cached = undefined;
  }
}

function apiKeyOf(secret: string | undefined): string | undefined {
  if (!secret) return undefined;
  try {
    const parsed = JSON.parse(secret) as unknown;
    if (parsed && typeof parsed === 'object' && typeof (parsed as { apiKey?: unknown }).apiKey === 'string') return (parsed as { apiKey: string }).apiKey;
    return undefined;
  } catch {
    return secret.trim() || undefined;
  }
}
