import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One request the receiver got, with what the official library made of its signature. */
export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
  status: number;
  /** Which of the route's secrets verify it (Webhook.verify from `standardwebhooks`). */
  verifiedBy: string[];
  message: { type: string; timestamp: string; data: any };
}
export interface Route {
  secrets: string[];
  respond?: (m: Received, nth: number) => { status: number; headers?: Record<string, string> };
}

/**
 * The fake integration: an HTTP server on 127.0.0.1 that verifies every delivery with the official
 * Standard Webhooks library against the secrets its route holds, records it, and answers as told.
 */
export class Receiver {
  readonly received: Received[] = [];
  private readonly routes = new Map<string, Route>();
  private server!: Server;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        const path = req.url ?? '/';
        const route = this.routes.get(path);
        const verifiedBy = (route?.secrets ?? []).filter((s) => {
          try {
            new Webhook(s).verify(body, req.headers as Record<string, string>);
            return true;
          } catch {
            return false;
          }
        });
        const m: Received = { path, headers: req.headers, body, at: Date.now(), status: 0, verifiedBy, message: JSON.parse(body) };
        const nth = this.received.filter((r) => r.path === path && r.message.type === m.message.type).length;
        const answer = route?.respond?.(m, nth) ?? { status: route ? 204 : 404 };
        m.status = answer.status;
        this.received.push(m);
        res.writeHead(answer.status, answer.headers ?? {});
        res.end(answer.status >= 300 ? 'receiver says no' : '');
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  route(name: string, route: Route): string {
    this.routes.set(`/${name}`, route);
    return `http://127.0.0.1:${this.port}/${name}`;
  }

  at(name: string): Received[] {
    return this.received.filter((r) => r.path === `/${name}`);
  }

  /** The messages a route accepted (2xx), in arrival order. */
  accepted(name: string): Received[] {
    return this.at(name).filter((r) => r.status >= 200 && r.status < 300);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}
