import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SECRET_MAX_AGE_SECONDS, SecretsManagerCredentials } from '../../lambdas/adapters/aws/secrets-manager-credentials';

/**
 * Core billing's key through Powertools Parameters, against a Secrets Manager stand-in on
 * loopback (its JSON protocol) that counts the reads and holds whatever the test rotates in.
 */
describe('core billing credentials from Secrets Manager', () => {
  let server: Server;
  let secretString: string;
  const reads: string[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      let text = '';
      request.on('data', (chunk: Buffer) => (text += chunk.toString()));
      request.on('end', () => {
        const { SecretId } = JSON.parse(text) as { SecretId: string };
        reads.push(`${String(request.headers['x-amz-target'])} ${SecretId}`);
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify({ ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${SecretId}`, Name: SecretId, SecretString: secretString }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(() => new Promise((resolve) => server.close(resolve)));
  afterEach(() => {
    vi.useRealTimers();
    reads.length = 0;
  });

  /** A new provider per test: its cache is what is under test. */
  const credentials = (secretId = 'core-billing-key') => {
    const client = new SecretsManagerClient({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    return new SecretsManagerCredentials(new SecretsProvider({ awsSdkV3Client: client }), secretId);
  };

  it('reads the secret once and answers from the cache after that, as JSON or a plain key', async () => {
    secretString = JSON.stringify({ apiKey: 'key-1' });
    const json = credentials();
    expect([await json.apiKey(), await json.apiKey()]).toEqual(['key-1', 'key-1']);
    expect(reads).toEqual(['secretsmanager.GetSecretValue core-billing-key']);

    secretString = ' plain-key \n';
    expect(await credentials('plain').apiKey()).toBe('plain-key');
  });

  it('reads the rotated key at once after a 401, and caches it again', async () => {
    secretString = JSON.stringify({ apiKey: 'old' });
    const keys = credentials();
    expect(await keys.apiKey()).toBe('old');
    secretString = JSON.stringify({ apiKey: 'rotated' });
    expect(await keys.apiKey()).toBe('old');

    keys.invalidate();

    expect([await keys.apiKey(), await keys.apiKey()]).toEqual(['rotated', 'rotated']);
    expect(reads).toHaveLength(2);
  });

  it('reads the secret again once its maximum age has passed', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-11-25T03:00:00Z') });
    secretString = JSON.stringify({ apiKey: 'first' });
    const keys = credentials();
    expect(await keys.apiKey()).toBe('first');
    secretString = JSON.stringify({ apiKey: 'second' });

    vi.setSystemTime(new Date(Date.now() + (SECRET_MAX_AGE_SECONDS - 1) * 1000));
    expect(await keys.apiKey()).toBe('first');
    vi.setSystemTime(new Date(Date.now() + 2_000));
    expect(await keys.apiKey()).toBe('second');
  });

  it('names the secret when it holds no key', async () => {
    secretString = JSON.stringify({ token: 'x' });

    await expect(credentials('misfiled').apiKey()).rejects.toThrow(/secret misfiled holds no core billing API key/);
  });
});
