import type { LookupAddress } from 'node:dns';
import { WebhookAddressRefused, blockedReason, guardedLookup, webhookUrlPolicy, webhookUrlProblem, type LookupAll } from './webhook-url';

const stub =
  (answers: Record<string, string[]>): LookupAll =>
  async (host) => {
    const list = answers[host];
    if (!list) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

const strict = { allowLocal: false, requireHttps: false };

describe('blockedReason', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local / cloud metadata'],
    ['0.0.0.0', 'unspecified ("this network")'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.100.100.200', 'carrier-grade NAT'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved / broadcast'],
    ['::1', 'unspecified, loopback or IPv4-compatible'],
    ['::', 'unspecified, loopback or IPv4-compatible'],
    ['fe80::1', 'link-local'],
    ['fc00::1', 'unique local (private)'],
    ['fd00:ec2::254', 'unique local (private)'],
    ['[::1]', 'unspecified, loopback or IPv4-compatible'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local / cloud metadata'],
    ['::ffff:10.1.2.3', 'private'],
    ['64:ff9b::a9fe:a9fe', 'link-local / cloud metadata (embedded IPv4 169.254.169.254)'],
    ['2002:7f00:1::', 'loopback (embedded IPv4 127.0.0.1)'],
    ['localhost', 'not an IP address'],
  ])('refuses %s (%s)', (ip, reason) => {
    expect(blockedReason(ip)).toBe(reason);
  });

  it.each([
    '93.184.216.34',
    '8.8.8.8',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::',
  ])('allows public %s', (ip) => {
    expect(blockedReason(ip)).toBeUndefined();
  });
});

describe('webhookUrlProblem', () => {
  const lookup = stub({
    'hooks.example.com': ['93.184.216.34', '2606:2800:220:1::1'],
    'sneaky.example.com': ['93.184.216.34', '10.0.0.7'],
    localhost: ['127.0.0.1', '::1'],
  });

  it.each([
    ['http://127.0.0.1/hook', 'must not point to a blocked address: 127.0.0.1 (loopback)'],
    ['http://169.254.169.254/latest/meta-data', 'must not point to a blocked address: 169.254.169.254 (link-local / cloud metadata)'],
    ['http://10.0.0.1/', 'must not point to a blocked address: 10.0.0.1 (private)'],
    ['http://[::1]:8080/', 'must not point to a blocked address: ::1 (unspecified, loopback or IPv4-compatible)'],
    ['http://[::ffff:127.0.0.1]/', 'must not point to a blocked address: ::ffff:7f00:1 (loopback)'],
    ['http://2130706433/', 'must not point to a blocked address: 127.0.0.1 (loopback)'],
    ['http://0x7f.1/', 'must not point to a blocked address: 127.0.0.1 (loopback)'],
    ['http://localhost:3000/', 'must not resolve to a blocked address: localhost -> 127.0.0.1 (loopback)'],
    ['https://sneaky.example.com/', 'must not resolve to a blocked address: sneaky.example.com -> 10.0.0.7 (private)'],
    ['https://nowhere.example.com/', 'the host nowhere.example.com does not resolve'],
    ['ftp://hooks.example.com/', 'must be an http or https URL'],
    ['https://user:pw@hooks.example.com/', 'must not contain credentials'],
    ['not a url', 'must be an absolute URL'],
  ])('refuses %s', async (url, problem) => {
    expect(await webhookUrlProblem(url, strict, lookup)).toBe(problem);
  });

  it('accepts a public https URL and, outside production, a public http one', async () => {
    expect(await webhookUrlProblem('https://hooks.example.com/bg?x=1', strict, lookup)).toBeUndefined();
    expect(await webhookUrlProblem('http://hooks.example.com/bg', strict, lookup)).toBeUndefined();
  });

  it('requires https in production unless local URLs are allowed, and then allows local addresses', async () => {
    const prod = webhookUrlPolicy({ NODE_ENV: 'production', WEBHOOK_ALLOW_LOCAL_URLS: false });
    expect(prod).toEqual({ allowLocal: false, requireHttps: true });
    expect(await webhookUrlProblem('http://hooks.example.com/', prod, lookup)).toBe('must be an https URL');
    const local = webhookUrlPolicy({ NODE_ENV: 'production', WEBHOOK_ALLOW_LOCAL_URLS: true });
    expect(await webhookUrlProblem('http://127.0.0.1:9000/', local, lookup)).toBeUndefined();
    expect(webhookUrlPolicy({ NODE_ENV: 'development', WEBHOOK_ALLOW_LOCAL_URLS: false })).toEqual({
      allowLocal: false,
      requireHttps: false,
    });
  });

  it('resolves with the system resolver by default (localhost is loopback)', async () => {
    expect(await webhookUrlProblem('http://localhost:1/', strict)).toMatch(
      /^must not resolve to a blocked address: localhost -> (127\.0\.0\.1 \(loopback\)|::1 \(unspecified, loopback or IPv4-compatible\))$/,
    );
  });
});

describe('guardedLookup (the connect-time check)', () => {
  function resolve(lookup: ReturnType<typeof guardedLookup>, host: string, all: boolean, family?: number) {
    return new Promise<{ err: Error | null; address: string | LookupAddress[]; family?: number }>((done) => {
      lookup(host, { all, family }, (err, address, fam) => done({ err, address, family: fam }));
    });
  }

  it('refuses a name that now resolves to loopback although it resolved publicly when the URL was checked (DNS rebinding)', async () => {
    let answer = '93.184.216.34';
    const rebinding: LookupAll = async () => [{ address: answer, family: 4 }];
    expect(await webhookUrlProblem('https://rebind.example.com/', strict, rebinding)).toBeUndefined();
    answer = '127.0.0.1';
    const { err } = await resolve(guardedLookup(false, rebinding), 'rebind.example.com', true);
    expect(err).toBeInstanceOf(WebhookAddressRefused);
    expect(err!.message).toBe('refused: rebind.example.com resolves to 127.0.0.1 (loopback)');
  });

  it('refuses when any of the addresses is blocked, and answers both lookup shapes otherwise', async () => {
    const lookup = guardedLookup(false, stub({ mixed: ['93.184.216.34', '192.168.0.2'], ok: ['93.184.216.34', '2606:2800:220:1::1'] }));
    expect((await resolve(lookup, 'mixed', false)).err?.message).toBe('refused: mixed resolves to 192.168.0.2 (private)');
    expect(await resolve(lookup, 'ok', true)).toEqual({
      err: null,
      address: [
        { address: '93.184.216.34', family: 4 },
        { address: '2606:2800:220:1::1', family: 6 },
      ],
      family: undefined,
    });
    expect(await resolve(lookup, 'ok', false)).toEqual({ err: null, address: '93.184.216.34', family: 4 });
    expect(await resolve(lookup, 'ok', false, 6)).toEqual({ err: null, address: '2606:2800:220:1::1', family: 6 });
  });

  it('lets local addresses through when allowed', async () => {
    const { err, address } = await resolve(guardedLookup(true, stub({ localhost: ['127.0.0.1'] })), 'localhost', false);
    expect([err, address]).toEqual([null, '127.0.0.1']);
  });
});
