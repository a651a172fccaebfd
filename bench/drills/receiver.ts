// The drills' webhook receiver: an HTTP server in the drill process that verifies every delivery with
// the official Standard Webhooks library against the route's secret and counts deliveries per event.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Delivery {
  route: string;
  messageId: string;
  eventId: string;
  resourceId: string;
  type: string;
  occurredAt: string;
  /** Receipt time (ms since epoch, this process's clock). */
  at: number;
  verified: boolean;
  /** What the receiver answered (0: it was "down" and dropped the connection). */
  status: number;
}

export class WebhookReceiver {
  readonly deliveries: Delivery[] = [];
  private readonly secrets = new Map<string, string>();
  private server!: Server;
  port = 0;
  /** While false, every request is answered 503 (the receiver is "down" but still counts attempts). */
  up = true;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const route = (req.url ?? '/').slice(1);
        const secret = this.secrets.get(route);
        let verified = false;
        try {
          if (secret) {
            new Webhook(secret).verify(body, req.headers as Record<string, string>);
            verified = true;
          }
        } catch {
          verified = false;
        }
        let m: { type?: string; data?: { id?: string; resourceId?: string; occurredAt?: string } } = {};
        try {
          m = JSON.parse(body);
        } catch {
          /* counted as unverified */
        }
        const status = this.up ? 204 : 503;
        this.deliveries.push({
          route,
          messageId: String(req.headers['webhook-id'] ?? ''),
          eventId: m.data?.id ?? '',
          resourceId: m.data?.resourceId ?? '',
          type: m.type ?? '',
          occurredAt: m.data?.occurredAt ?? '',
          at: Date.now(),
          verified,
          status,
        });
        res.writeHead(status);
        res.end();
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  url(route: string): string {
    return `http://127.0.0.1:${this.port}/${route}`;
  }

  setSecret(route: string, secret: string): void {
    this.secrets.set(route, secret);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}
