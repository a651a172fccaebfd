import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock } from '@bg/domain';
import type { VendorCallRecord } from '../port/port.types';
import { VendorError } from '../port/vendor-error';
import { withoutSignal } from './abort';
import { VendorHttp } from './vendor-http';

/** A plain HTTP server recording each request's headers; `/slow` answers after 5 s. */
let server: Server;
let base: string;
const seen: Array<{ method?: string; url?: string; headers: IncomingHttpHeaders }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ method: req.method, url: req.url, headers: req.headers });
    const answer = () => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'vendor-1' }).end('{"ok":true}');
    };
    if (req.url?.startsWith('/slow')) {
      const t = setTimeout(answer, 5_000);
      req.socket.on('close', () => clearTimeout(t));
    } else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  seen.length = 0;
});

function http(clientRequestIdHeader?: string): VendorHttp {
  return new VendorHttp({ vendor: 'test', baseUrl: base, clock: systemClock, clientRequestIdHeader });
}

async function rejection(p: Promise<unknown>): Promise<VendorError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(VendorError);
  return e as VendorError;
}

describe('VendorHttp and the CallContext', () => {
  it('sends nothing until ctx.beforeVendorCall has resolved (the worker holds calls during a Retry-After pause)', async () => {
    const h = http();
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let asked = 0;
    const sent = h.send(
      {
        beforeVendorCall: () => {
          asked++;
          return gate;
        },
      },
      'POST',
      'a',
      { body: {} },
    );
    await new Promise((r) => setImmediate(r));
    expect(asked).toBe(1);
    expect(seen).toEqual([]);
    open();
    await sent;
    expect(seen.map((r) => r.url)).toEqual(['/a']);
    // Aborted while held: nothing is sent at all.
    const ctl = new AbortController();
    const held = h.send({ signal: ctl.signal, beforeVendorCall: async () => ctl.abort(new Error('shutdown')) }, 'POST', 'b', { body: {} });
    expect(await rejection(held)).toMatchObject({ code: 'VENDOR_UNAVAILABLE', mayHaveApplied: false });
    expect(seen.map((r) => r.url)).toEqual(['/a']);
    await h.close();
  });

  it('sends ctx.requestId in x-request-id by default, or in the vendor header it is given', async () => {
    const plain = http();
    const graph = http('client-request-id');
    await plain.send({ requestId: 'req-1' }, 'GET', 'a');
    await graph.send({ requestId: 'req-2' }, 'GET', 'b');
    await plain.send({}, 'GET', 'c');
    expect(seen.map((r) => [r.url, r.headers['x-request-id'], r.headers['client-request-id']])).toEqual([
      ['/a', 'req-1', undefined],
      ['/b', undefined, 'req-2'],
      ['/c', undefined, undefined],
    ]);
    await Promise.all([plain.close(), graph.close()]);
  });

  it('keeps a request-id header the caller set explicitly', async () => {
    const h = http();
    await h.send({ requestId: 'ctx' }, 'GET', 'a', { headers: { 'x-request-id': 'explicit' } });
    expect(seen[0].headers['x-request-id']).toBe('explicit');
    await h.close();
  });

  it('rejects an already-aborted signal with retryable VENDOR_UNAVAILABLE, sending and reporting nothing', async () => {
    const h = http();
    const records: VendorCallRecord[] = [];
    const signal = AbortSignal.abort(new Error('job cancelled'));
    const e = await rejection(h.send({ signal, onVendorCall: (r) => records.push(r) }, 'POST', 'a', { body: {} }));
    expect(e).toMatchObject({ code: 'VENDOR_UNAVAILABLE', vendor: 'test', retryable: true, mayHaveApplied: false });
    expect(e.message).toMatch(/aborted by the caller before any request: job cancelled/);
    expect(seen).toEqual([]);
    expect(records).toEqual([]);
    await h.close();
  });

  it('aborts a request in flight: retryable VENDOR_UNAVAILABLE, a write flagged mayHaveApplied', async () => {
    const h = http();
    const records: VendorCallRecord[] = [];
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 100);
    const e = await rejection(h.send({ signal: controller.signal, onVendorCall: (r) => records.push(r) }, 'POST', 'slow', { body: {} }));
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(e).toMatchObject({ code: 'VENDOR_UNAVAILABLE', retryable: true, mayHaveApplied: true });
    expect(e.message).toMatch(/while in flight/);
    expect(seen).toHaveLength(1);
    expect(records).toEqual([expect.objectContaining({ method: 'POST', path: '/slow', status: 0 })]);
    await h.close();
  });

  it('a signal that is never aborted changes nothing', async () => {
    const h = http();
    const res = await h.send({ signal: new AbortController().signal }, 'GET', 'a');
    expect(res).toMatchObject({ status: 200, body: { ok: true }, requestId: 'vendor-1' });
    await h.close();
  });

  it('withoutSignal keeps the request id and the call hook', () => {
    const onVendorCall = () => undefined;
    const ctx = { requestId: 'r', tenantId: 't', signal: AbortSignal.abort(), onVendorCall };
    expect(withoutSignal(ctx)).toEqual({ requestId: 'r', tenantId: 't', onVendorCall });
    expect(ctx.signal).toBeDefined();
  });
});
