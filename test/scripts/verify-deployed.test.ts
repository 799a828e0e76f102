import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalRuntime } from '../../lambdas/composition/local-runtime';
import { parseVerifyArgs, sigV4Signer, UsageError } from '../../scripts/verify-deployed';
import { ADMIN_TOKEN, api, startTestRuntime } from '../support/local-runtime';

const run = promisify(execFile);
const DEPLOYED = 'https://abc123defg.execute-api.eu-west-1.amazonaws.com/dev';

describe('verify:deployed arguments', () => {
  it('takes the API and the client, 10,000,000 items and 240 minutes unless told otherwise', () => {
    const args = parseVerifyArgs(['--api', `${DEPLOYED}/`, '--client', 'acme']);

    expect(args).toEqual({ api: DEPLOYED, client: 'acme', items: 10_000_000, 'max-minutes': 240 });
  });

  it('takes the items, a token (or JSM_TOKEN), a region and a time limit', () => {
    const args = parseVerifyArgs(['--api', 'http://127.0.0.1:3000', '--client', 'acme', '--items', '1000', '--region', 'us-east-2', '--max-minutes', '5'], { JSM_TOKEN: 'tok' });

    expect(args).toEqual({ api: 'http://127.0.0.1:3000', client: 'acme', items: 1000, token: 'tok', region: 'us-east-2', 'max-minutes': 5 });
  });

  it.each([
    [[], ['--api', '--client']],
    [['--api', 'ftp://host', '--client', 'acme'], ['--api']],
    [['--api', DEPLOYED, '--client', 'Acme Corp'], ['--client']],
    [['--api', DEPLOYED, '--client', 'acme', '--items', '10000001'], ['--items']],
    [['--api', DEPLOYED, '--client', 'acme', '--items', '0'], ['--items']],
    [['--api', DEPLOYED, '--client', 'acme', '--items', 'many'], ['--items']],
  ])('refuses %j, naming %j', (argv, named) => {
    const refused = (() => {
      try {
        parseVerifyArgs(argv);
      } catch (error) {
        return error;
      }
      return undefined;
    })();

    expect(refused).toBeInstanceOf(UsageError);
    const message = (refused as UsageError).message;
    expect(message).toMatch(/^usage: npm run verify:deployed/);
    for (const flag of named) expect(message).toContain(`${flag}:`);
  });

  it('refuses an option it does not know', () => {
    expect(() => parseVerifyArgs(['--api', DEPLOYED, '--client', 'acme', '--item', '5'])).toThrow(UsageError);
  });
});

describe('verify:deployed signing', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('signs for execute-api in the region the API’s URL names, with the default credential chain', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY');
    const sign = await sigV4Signer(parseVerifyArgs(['--api', DEPLOYED, '--client', 'acme']), {});

    const headers = await sign('POST', new URL(`${DEPLOYED}/v1/clients/acme/schedules`), { 'content-type': 'application/json' }, '{}');

    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=content-type;host;(x-amz-content-sha256;)?x-amz-date, Signature=[0-9a-f]{64}$/,
    );
    expect(headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    expect(headers).not.toHaveProperty('host');
  });
});

describe('npm run verify:deployed against the local runtime', () => {
  let runtime: LocalRuntime;

  beforeAll(async () => {
    runtime = await startTestRuntime();
    expect((await api(runtime, 'PUT', '/v1/clients/verify', { name: 'Verify', timezone: 'UTC' })).status).toBe(201);
  });

  afterAll(async () => {
    await runtime?.stop();
  });

  async function command(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const { JSM_TOKEN: _token, ...env } = process.env;
    try {
      const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'scripts/verify-deployed.ts', ...args], { env });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  }

  it('runs SYNTHETIC items on a schedule of its own to COMPLETED, printing items/s, and exits 0', async () => {
    const { code, stdout, stderr } = await command(['--api', runtime.url, '--client', 'verify', '--items', '1200', '--token', ADMIN_TOKEN]);

    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^COMPLETED: 1200 of 1200 items in [\d.]+ s, \d+ items\/s$/m);
    const [, runId, scheduleId] = /^Run (\S+) of schedule (\S+):/m.exec(stdout)!;
    const { body: runView } = await api(runtime, 'GET', `/v1/clients/verify/runs/${runId}`);
    expect(runView).toMatchObject({ scheduleId, status: 'COMPLETED', stats: { items: { total: 1200, succeeded: 1200 } } });
    const { body: schedule } = await api(runtime, 'GET', `/v1/clients/verify/schedules/${scheduleId}`);
    expect(schedule).toMatchObject({ frequency: { type: 'MANUAL' }, jobs: [{ type: 'SYNTHETIC', settings: { items: 1200 } }] });
  });

  it('exits non-zero, with the API’s answer, when the run cannot start', async () => {
    const { code, stdout, stderr } = await command(['--api', runtime.url, '--client', 'nobody', '--items', '10', '--token', ADMIN_TOKEN]);

    expect(code).toBe(1);
    expect(stdout).not.toContain('COMPLETED');
    expect(stderr).toContain('404');
  });

  it('exits 2 with the usage on a wrong command line', async () => {
    const { code, stderr } = await command(['--client', 'verify']);

    expect(code).toBe(2);
    expect(stderr).toContain('usage: npm run verify:deployed');
  });
});
