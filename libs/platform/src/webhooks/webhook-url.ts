import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * Address ranges a webhook may never reach (SSRF): loopback, private, link-local (cloud metadata
 * 169.254.169.254 and fd00:ec2::254 included), carrier-grade NAT, multicast, reserved and the IPv6
 * ranges that embed or tunnel IPv4. IPv4-mapped IPv6 (::ffff:a.b.c.d) is matched against the IPv4 rules
 * by BlockList itself; NAT64 and 6to4 carry an IPv4 address that `blockedReason` checks as well.
 */
const RANGES: Array<[string, number, 'ipv4' | 'ipv6', string]> = [
  ['0.0.0.0', 8, 'ipv4', 'unspecified ("this network")'],
  ['10.0.0.0', 8, 'ipv4', 'private'],
  ['100.64.0.0', 10, 'ipv4', 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'ipv4', 'loopback'],
  ['169.254.0.0', 16, 'ipv4', 'link-local / cloud metadata'],
  ['172.16.0.0', 12, 'ipv4', 'private'],
  ['192.0.0.0', 24, 'ipv4', 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'ipv4', 'documentation'],
  ['192.168.0.0', 16, 'ipv4', 'private'],
  ['198.18.0.0', 15, 'ipv4', 'benchmarking'],
  ['198.51.100.0', 24, 'ipv4', 'documentation'],
  ['203.0.113.0', 24, 'ipv4', 'documentation'],
  ['224.0.0.0', 4, 'ipv4', 'multicast'],
  ['240.0.0.0', 4, 'ipv4', 'reserved / broadcast'],
  ['::', 96, 'ipv6', 'unspecified, loopback or IPv4-compatible'],
  ['100::', 64, 'ipv6', 'discard-only'],
  ['2001::', 32, 'ipv6', 'Teredo'],
  ['2001:db8::', 32, 'ipv6', 'documentation'],
  ['fc00::', 7, 'ipv6', 'unique local (private)'],
  ['fe80::', 10, 'ipv6', 'link-local'],
  ['fec0::', 10, 'ipv6', 'site-local'],
  ['ff00::', 8, 'ipv6', 'multicast'],
];

const lists = RANGES.map(([net, prefix, family, label]) => {
  const list = new BlockList();
  list.addSubnet(net, prefix, family);
  return { list, label };
});

/** The eight 16-bit groups of an IPv6 address (a trailing dotted IPv4 part counts as two). */
function ipv6Groups(ip: string): number[] {
  const groups = (s: string) =>
    (s ? s.split(':') : []).flatMap((g) => {
      if (!g.includes('.')) return [parseInt(g, 16)];
      const [a, b, c, d] = g.split('.').map(Number);
      return [(a << 8) | b, (c << 8) | d];
    });
  const gap = ip.indexOf('::');
  if (gap < 0) return groups(ip);
  const head = groups(ip.slice(0, gap));
  const tail = groups(ip.slice(gap + 2));
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/** The IPv4 address an IPv6 address carries through NAT64 (64:ff9b::/96) or 6to4 (2002::/16), if any. */
function embeddedIpv4(ip: string): string | undefined {
  const g = ipv6Groups(ip);
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) return v4(g[6], g[7]);
  if (g[0] === 0x2002) return v4(g[1], g[2]);
  return undefined;
}

/**
 * Why an address must not receive webhooks ("loopback", "private" ...), or undefined when it may.
 * Anything that is not a valid IP address is refused as well.
 */
export function blockedReason(address: string): string | undefined {
  const ip = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(ip);
  if (family === 0) return 'not an IP address';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const hit = lists.find((l) => l.list.check(ip, type));
  if (hit) return hit.label;
  if (family === 6) {
    const inner = embeddedIpv4(ip);
    const innerReason = inner ? blockedReason(inner) : undefined;
    if (innerReason) return `${innerReason} (embedded IPv4 ${inner})`;
  }
  return undefined;
}

/** Raised (as a connect error) when a webhook host resolves to an address it may not reach. */
export class WebhookAddressRefused extends Error {
  readonly code = 'WEBHOOK_ADDRESS_REFUSED';
  constructor(
    readonly host: string,
    readonly address: string,
    readonly reason: string,
  ) {
    super(`refused: ${host} resolves to ${address} (${reason})`);
    this.name = 'WebhookAddressRefused';
  }
}

export type LookupAll = (hostname: string) => Promise<LookupAddress[]>;

const systemLookupAll: LookupAll = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses)));
  });

export interface WebhookUrlPolicy {
  /** WEBHOOK_ALLOW_LOCAL_URLS: private and loopback addresses are allowed (development, tests). */
  allowLocal: boolean;
  /** Only https (production without WEBHOOK_ALLOW_LOCAL_URLS). */
  requireHttps: boolean;
}

/** https is required in production unless local URLs are explicitly allowed; http is accepted elsewhere. */
export function webhookUrlPolicy(config: { NODE_ENV: string; WEBHOOK_ALLOW_LOCAL_URLS: boolean }): WebhookUrlPolicy {
  return {
    allowLocal: config.WEBHOOK_ALLOW_LOCAL_URLS,
    requireHttps: config.NODE_ENV === 'production' && !config.WEBHOOK_ALLOW_LOCAL_URLS,
  };
}

/**
 * Checks a webhook URL before it is stored: scheme, no credentials, and every address its host resolves
 * to (an IP literal is checked as is). Returns the reason it is refused, or undefined when it is accepted.
 * The delivery connects through `guardedLookup`, which repeats the address check, so a DNS answer that
 * changes after this check (rebinding) is still refused.
 */
export async function webhookUrlProblem(
  raw: string,
  policy: WebhookUrlPolicy,
  lookupAll: LookupAll = systemLookupAll,
): Promise<string | undefined> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol !== 'https:' && (url.protocol !== 'http:' || policy.requireHttps))
    return policy.requireHttps ? 'must be an https URL' : 'must be an http or https URL';
  if (url.username || url.password) return 'must not contain credentials';
  if (policy.allowLocal) return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) {
    const reason = blockedReason(host);
    return reason ? `must not point to a blocked address: ${host} (${reason})` : undefined;
  }
  let addresses: LookupAddress[];
  try {
    addresses = await lookupAll(host);
  } catch {
    return `the host ${host} does not resolve`;
  }
  if (!addresses.length) return `the host ${host} does not resolve`;
  for (const a of addresses) {
    const reason = blockedReason(a.address);
    if (reason) return `must not resolve to a blocked address: ${host} -> ${a.address} (${reason})`;
  }
  return undefined;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for net/tls.connect (undici's `connect.lookup`) that refuses blocked addresses: every
 * address the name resolves to must pass, and the socket connects only to those it returned. Connecting
 * to an IP literal does not call lookup, so the sender checks literal hosts itself (`blockedReason`).
 */
export function guardedLookup(allowLocal: boolean, lookupAll: LookupAll = systemLookupAll) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    lookupAll(hostname)
      .then((all) => {
        const family = options.family === 4 || options.family === 'IPv4' ? 4 : options.family === 6 || options.family === 'IPv6' ? 6 : 0;
        const addresses = family ? all.filter((a) => a.family === family) : all;
        if (!addresses.length) throw Object.assign(new Error(`${hostname} does not resolve`), { code: 'ENOTFOUND' });
        if (!allowLocal) {
          for (const a of addresses) {
            const reason = blockedReason(a.address);
            if (reason) throw new WebhookAddressRefused(hostname, a.address, reason);
          }
        }
        if (options.all) callback(null, addresses);
        else callback(null, addresses[0].address, addresses[0].family);
      })
      .catch((e: NodeJS.ErrnoException) => callback(e, ''));
  };
}
