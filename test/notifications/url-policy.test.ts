import { describe, expect, it } from 'vitest';
import { DnsUrlPolicy } from '../../lambdas/adapters/aws/dns-url-policy';

/** A resolver that answers from a table, as a DNS name pointed at such addresses would. */
const resolving = (answers: Record<string, string[]>) => async (host: string) => answers[host] ?? [];

describe('the webhook URL policy (SSRF)', () => {
  const deployed = new DnsUrlPolicy({
    allowLoopbackHttp: false,
    resolve: resolving({ 'hooks.example.com': ['93.184.216.34'], 'sneaky.example.com': ['93.184.216.34', '10.0.0.7'], 'v6.example.com': ['2606:2800:220:1::1'] }),
  });

  it.each([
    ['https://127.0.0.1/hooks', '127.0.0.1'],
    ['https://10.20.30.40/hooks', '10.20.30.40'],
    ['https://172.16.0.1/hooks', '172.16.0.1'],
    ['https://192.168.1.1/hooks', '192.168.1.1'],
    ['https://169.254.169.254/latest/meta-data', '169.254.169.254'],
    ['https://[::1]/hooks', '::1'],
    ['https://[fd00::1]/hooks', 'fd00::1'],
    ['https://[fe80::1]/hooks', 'fe80::1'],
    ['https://[::ffff:127.0.0.1]/hooks', '::ffff:7f00:1'],
    ['https://[::ffff:10.0.0.1]/hooks', '::ffff:a00:1'],
    ['https://sneaky.example.com/hooks', '10.0.0.7'],
  ])('refuses %s deployed, naming the address', async (url, address) => {
    expect(await deployed.refusal(url)).toContain(`resolves to ${address}`);
  });

  it('refuses a host name that resolves to loopback (localhost, through the system resolver)', async () => {
    const system = new DnsUrlPolicy({ allowLoopbackHttp: false });

    expect(await system.refusal('https://localhost:8443/hooks')).toMatch(/resolves to (127\.0\.0\.1|::1)/);
  });

  it('refuses http, credentials and names that do not resolve deployed; accepts https to public addresses', async () => {
    expect(await deployed.refusal('http://hooks.example.com/hooks')).toBe('must be an https URL');
    expect(await deployed.refusal('https://user:pw@hooks.example.com/hooks')).toBe('must not carry credentials');
    expect(await deployed.refusal('https://nowhere.example.com/hooks')).toContain('does not resolve');
    expect(await deployed.refusal('not a url')).toBe('must be an absolute URL');
    expect(await deployed.refusal('https://hooks.example.com/hooks')).toBeUndefined();
    expect(await deployed.refusal('https://v6.example.com/hooks')).toBeUndefined();
  });

  it('allows http to loopback only with the local setting, and still refuses private addresses then', async () => {
    const local = new DnsUrlPolicy({ allowLoopbackHttp: true });

    expect(await local.refusal('http://127.0.0.1:3001/hooks')).toBeUndefined();
    expect(await local.refusal('http://localhost:3001/hooks')).toBeUndefined();
    expect(await local.refusal('http://10.0.0.1/hooks')).toContain('resolves to 10.0.0.1');
    expect(await local.refusal('http://169.254.169.254/')).toContain('resolves to 169.254.169.254');
  });
});
