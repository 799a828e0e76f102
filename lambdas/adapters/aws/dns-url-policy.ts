import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import type { UrlPolicy } from '../../ports/notifications';

/**
 * Addresses a webhook may never reach deployed: private, loopback, link-local, unique-local,
 * reserved. One list per family: a BlockList matches an IPv4 address against IPv6 rules as
 * IPv4-mapped, so ::ffff:0:0/96 in a shared list would refuse every IPv4 address.
 */
const NOT_PUBLIC_V4 = new BlockList();
const NOT_PUBLIC_V6 = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NOT_PUBLIC_V4.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['::ffff:0:0', 96],
  ['64:ff9b::', 96],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  NOT_PUBLIC_V6.addSubnet(network, prefix, 'ipv6');
}

const LOOPBACK_V4 = new BlockList();
LOOPBACK_V4.addSubnet('127.0.0.0', 8, 'ipv4');

export interface DnsUrlPolicySettings {
  /**
   * The local runtime's setting: http, and hosts that resolve only to loopback, are allowed, so a
   * receiver on the same machine can be subscribed. Deployed it is off: https to public addresses only.
   */
  allowLoopbackHttp: boolean;
  /** Resolves a host to every address it has (node's dns.lookup with all: true). */
  resolve?: (host: string) => Promise<string[]>;
}

const systemResolve = async (host: string): Promise<string[]> => (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);

/**
 * The SSRF check: every address the host resolves to must be public (one private answer among
 * public ones is enough to refuse: a later lookup may pick it). Asked again before each delivery,
 * so a name that is re-pointed at a private address after subscribing is refused then.
 */
export class DnsUrlPolicy implements UrlPolicy {
  constructor(private readonly settings: DnsUrlPolicySettings) {}

  async refusal(raw: string): Promise<string | undefined> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return 'must be an absolute URL';
    }
    const local = this.settings.allowLoopbackHttp;
    if (url.protocol !== 'https:' && !(local && url.protocol === 'http:')) return local ? 'must be an http or https URL' : 'must be an https URL';
    if (url.username || url.password) return 'must not carry credentials';
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    let addresses: string[];
    try {
      addresses = isIP(host) ? [host] : await (this.settings.resolve ?? systemResolve)(host);
    } catch {
      return `its host ${host} does not resolve`;
    }
    if (addresses.length === 0) return `its host ${host} does not resolve`;
    if (local && addresses.every(isLoopback)) return undefined;
    const blocked = addresses.find((address) => !isPublic(address));
    if (blocked) return `its host ${host} resolves to ${blocked}, a private, loopback or link-local address`;
    if (url.protocol !== 'https:') return 'must be an https URL unless it is on this machine';
    return undefined;
  }
}

function isPublic(address: string): boolean {
  return isIP(address) === 6 ? !NOT_PUBLIC_V6.check(address, 'ipv6') : !NOT_PUBLIC_V4.check(address, 'ipv4');
}

function isLoopback(address: string): boolean {
  return isIP(address) === 6 ? address === '::1' : LOOPBACK_V4.check(address, 'ipv4');
}
