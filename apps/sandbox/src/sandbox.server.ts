import Fastify, { type FastifyRequest, type FastifyInstance } from 'fastify';
import { loadSandboxCertificate, type FaultSpec, type VendorSandbox } from './support';

export interface SandboxServerOptions {
  port: number;
  host?: string;
  certPath: string;
  vendors: VendorSandbox[];
  logger?: boolean;
}

export interface RunningSandbox {
  app: FastifyInstance;
  /** https://localhost:<port> */
  origin: string;
  port: number;
  close(): Promise<void>;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * The sandbox: one HTTPS server hosting every simulated vendor under its prefix (/graph, /avepoint,
 * /veeam, /azure), plus the control API under /_sandbox used by tests, the benchmark and the demo.
 */
export async function startSandbox(opts: SandboxServerOptions): Promise<RunningSandbox> {
  const cert = loadSandboxCertificate(opts.certPath);
  // forceCloseConnections: close() ends every connection, also one a client aborted mid-request (it may linger open otherwise).
  const app = Fastify({
    https: { key: cert.keyPem, cert: cert.certPem },
    logger: opts.logger ?? false,
    bodyLimit: 10 * 1024 * 1024,
    forceCloseConnections: true,
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  /** Requests whose answer a fault holds (answerDelayMs), until they are answered. */
  const answerDelays = new WeakMap<FastifyRequest, number>();
  for (const vendor of opts.vendors) {
    await app.register(
      async (inst) => {
        // When each request arrived (before any injected latency): the call log keeps it beside the answer time.
        const arrived = new WeakMap<FastifyRequest, Date>();
        inst.addHook('onRequest', async (req) => {
          arrived.set(req, new Date());
        });
        inst.addHook('onRequest', async (req, reply) => {
          const scopeKey = vendor.scopeOf(req);
          if (!scopeKey) return;
          const path = req.url.slice(vendor.prefix.length + 1).split('?')[0];
          const fault = vendor.scopes.get(scopeKey).faults.take(req.method, path);
          if (!fault) return;
          if (fault.answerDelayMs) answerDelays.set(req, fault.answerDelayMs);
          if (fault.latencyMs) await sleep(fault.latencyMs);
          if (fault.status) {
            if (fault.retryAfterSeconds !== undefined) reply.header('retry-after', String(fault.retryAfterSeconds));
            for (const [k, v] of Object.entries(fault.headers ?? {})) reply.header(k, v);
            vendor.writeFault(reply, fault, req);
            return reply;
          }
        });
        const record = (req: FastifyRequest, status: number) => {
          const scopeKey = vendor.scopeOf(req);
          if (!scopeKey) return;
          const [path, qs] = req.url.slice(vendor.prefix.length + 1).split('?');
          const at = new Date();
          vendor.scopes.get(scopeKey).calls.record({
            receivedAt: (arrived.get(req) ?? at).toISOString(),
            at: at.toISOString(),
            method: req.method,
            path,
            status,
            body: req.body,
            query: qs ? Object.fromEntries(new URLSearchParams(qs)) : undefined,
            headers: recordedHeaders(req),
          });
        };
        // answerDelayMs: the handler has run (the vendor did it); only the answer waits.
        inst.addHook('onSend', async (req, _reply, payload) => {
          const delay = answerDelays.get(req);
          if (delay) await sleep(delay);
          return payload;
        });
        inst.addHook('onResponse', async (req, reply) => record(req, reply.statusCode));
        // The client went away before the answer (e.g. a killed worker): recorded as 499, like nginx.
        inst.addHook('onRequestAbort', async (req) => record(req, 499));
        await vendor.register(inst);
      },
      { prefix: `/${vendor.prefix}` },
    );
  }

  registerControlApi(app, opts.vendors);
  await app.listen({ port: opts.port, host: opts.host ?? '0.0.0.0' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return { app, origin: `https://localhost:${port}`, port, close: () => app.close() };
}

/** The headers a call log keeps: all but credentials (the bearer token, cookies). */
function recordedHeaders(req: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name === 'authorization' || name === 'cookie' || value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function registerControlApi(app: FastifyInstance, vendors: VendorSandbox[]): void {
  const byPrefix = new Map(vendors.map((v) => [v.prefix, v]));
  type P = { vendor: string; scope: string };
  const find = (p: P) => {
    const v = byPrefix.get(p.vendor);
    if (!v) throw Object.assign(new Error(`unknown sandbox vendor ${p.vendor}`), { statusCode: 404 });
    return v.scopes.get(p.scope);
  };
  app.get('/_sandbox', async () => ({ vendors: vendors.map((v) => v.prefix) }));
  app.post<{ Params: P; Body: FaultSpec | FaultSpec[] }>('/_sandbox/:vendor/scopes/:scope/faults', async (req) => {
    const scope = find(req.params);
    for (const f of Array.isArray(req.body) ? req.body : [req.body]) scope.faults.add(f);
    return { ok: true };
  });
  app.get<{ Params: P }>('/_sandbox/:vendor/scopes/:scope/faults', async (req) => ({ faults: find(req.params).faults.armed() }));
  app.delete<{ Params: P }>('/_sandbox/:vendor/scopes/:scope/faults', async (req) => {
    find(req.params).faults.clear();
    return { ok: true };
  });
  app.get<{ Params: P }>('/_sandbox/:vendor/scopes/:scope/calls', async (req) => ({ calls: find(req.params).calls.list() }));
  app.delete<{ Params: P }>('/_sandbox/:vendor/scopes/:scope/calls', async (req) => {
    find(req.params).calls.clear();
    return { ok: true };
  });
  app.post<{ Params: P; Body: { advanceMs: number } }>('/_sandbox/:vendor/scopes/:scope/clock', async (req) => {
    const scope = find(req.params);
    scope.clock.advance(Number(req.body?.advanceMs ?? 0));
    return { now: scope.clock.now().toISOString() };
  });
  app.post<{ Params: P }>('/_sandbox/:vendor/scopes/:scope/reset', async (req) => {
    const v = byPrefix.get(req.params.vendor);
    v?.scopes.reset(req.params.scope);
    return { ok: true };
  });
  app.patch<{ Params: P; Body: Record<string, unknown> }>('/_sandbox/:vendor/scopes/:scope/config', async (req) => {
    const scope = find(req.params);
    scope.config = { ...scope.config, ...(req.body ?? {}) };
    return { config: scope.config };
  });
  // The account's state and, where the vendor has one, its seeded directory (ids that exist from the start).
  app.get<{ Params: P }>('/_sandbox/:vendor/scopes/:scope/state', async (req) => ({
    state: find(req.params).state,
    directory: byPrefix.get(req.params.vendor)?.seededDirectory?.(req.params.scope) ?? {},
  }));
}
