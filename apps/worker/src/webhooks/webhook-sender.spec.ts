import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { eventMessageBody, signedHeaders } from './webhook-message';
import { WebhookSender } from './webhook-sender';

/** A real HTTP receiver on 127.0.0.1 that records what reached it. */
function receiver(handle: (req: IncomingMessage, body: string, res: ServerResponse) => void) {
  const received: Array<{ headers: IncomingMessage['headers']; body: string }> = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      handle(req, body, res);
    });
  });
  return new Promise<{ port: number; received: typeof received; close: () => Promise<void> }>((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        received,
        close: () =>
          new Promise((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      }),
    );
  });
}

describe('WebhookSender', () => {
  const senders: WebhookSender[] = [];
  const make = (opts: ConstructorParameters<typeof WebhookSender>[0]) => {
    const s = new WebhookSender(opts);
    senders.push(s);
    return s;
  };
  afterAll(async () => {
    for (const s of senders) await s.onApplicationShutdown();
  });

  it('posts a signed message the official library verifies with either secret, and keeps the answer', async () => {
    const r = await receiver((_req, _body, res) => {
      res.writeHead(202, { 'content-type': 'text/plain' });
      res.end('accepted '.repeat(200));
    });
    try {
      const secrets = ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'whsec_dGhlIG9sZCBzZWNyZXQgc3RpbGwgc2lnbnM='];
      const body = eventMessageBody({
        id: 'evt-1',
        type: 'restore_job.queued',
        tenantId: 't',
        resourceType: 'restore_job',
        resourceId: 'r',
        occurredAt: '2025-01-01T00:00:00.000Z',
        data: { status: 'queued' },
      });
      const result = await make({ allowLocal: true, timeoutMs: 2000 }).send(
        `http://127.0.0.1:${r.port}/hook`,
        body,
        signedHeaders(secrets, 'evt-1', new Date(), body),
      );
      expect(result).toMatchObject({ statusCode: 202, excerpt: 'accepted '.repeat(200).slice(0, 500) });
      const got = r.received[0];
      expect(got.headers).toMatchObject({
        'content-type': 'application/json',
        'user-agent': 'backup-gateway-webhooks/1',
        'webhook-id': 'evt-1',
      });
      expect(got.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/=]+ v1,[A-Za-z0-9+/=]+$/);
      for (const s of secrets)
        expect(new Webhook(s).verify(got.body, got.headers as Record<string, string>)).toEqual({
          type: 'restore_job.queued',
          timestamp: '2025-01-01T00:00:00.000Z',
          data: expect.objectContaining({ id: 'evt-1' }),
        });
      expect(() => new Webhook('whsec_b3RoZXIgc2VjcmV0').verify(got.body, got.headers as Record<string, string>)).toThrow(
        'No matching signature found',
      );
    } finally {
      await r.close();
    }
  });

  it('refuses loopback — as an IP literal and as a name — before sending anything when local URLs are not allowed', async () => {
    const r = await receiver((_req, _body, res) => res.end('ok'));
    try {
      const sender = make({ allowLocal: false, timeoutMs: 2000 });
      expect(await sender.send(`http://127.0.0.1:${r.port}/`, '{}', {})).toMatchObject({
        refused: true,
        error: 'refused: 127.0.0.1 (loopback)',
      });
      expect(await sender.send(`http://[::ffff:127.0.0.1]:${r.port}/`, '{}', {})).toMatchObject({
        refused: true,
        error: 'refused: ::ffff:7f00:1 (loopback)',
      });
      const byName = await sender.send(`http://localhost:${r.port}/`, '{}', {});
      expect(byName).toMatchObject({ refused: true, error: expect.stringMatching(/^refused: localhost resolves to (127\.0\.0\.1|::1) /) });
      expect(byName.statusCode).toBeUndefined();
      expect(r.received).toHaveLength(0);
    } finally {
      await r.close();
    }
  });

  it('refuses at connect time a name that resolves to loopback now (DNS rebinding after the URL check)', async () => {
    const r = await receiver((_req, _body, res) => res.end('ok'));
    try {
      const sender = make({ allowLocal: false, timeoutMs: 2000, lookupAll: async () => [{ address: '127.0.0.1', family: 4 }] });
      expect(await sender.send(`http://rebind.example.com:${r.port}/`, '{}', {})).toMatchObject({
        refused: true,
        error: 'refused: rebind.example.com resolves to 127.0.0.1 (loopback)',
      });
      expect(r.received).toHaveLength(0);
    } finally {
      await r.close();
    }
  });

  it('times out a receiver that does not answer, and reads Retry-After', async () => {
    const r = await receiver((req, _body, res) => {
      if (req.url === '/slow') return;
      res.writeHead(429, { 'retry-after': '7' });
      res.end();
    });
    try {
      const sender = make({ allowLocal: true, timeoutMs: 300 });
      const slow = await sender.send(`http://127.0.0.1:${r.port}/slow`, '{}', {});
      expect(slow).toMatchObject({ error: 'timed out after 300 ms' });
      expect(slow.durationMs).toBeGreaterThanOrEqual(250);
      expect(await sender.send(`http://127.0.0.1:${r.port}/busy`, '{}', {})).toMatchObject({ statusCode: 429, retryAfterMs: 7000 });
    } finally {
      await r.close();
    }
  });

  it('reports a refused connection as a transport error', async () => {
    const r = await receiver((_req, _body, res) => res.end());
    const port = r.port;
    await r.close();
    const result = await make({ allowLocal: true, timeoutMs: 1000 }).send(`http://127.0.0.1:${port}/`, '{}', {});
    expect(result.statusCode).toBeUndefined();
    expect(result.error).toMatch(/ECONNREFUSED/);
  });
});
