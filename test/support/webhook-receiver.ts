import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export const WEBHOOK_TEST_SECRET = `whsec_${Buffer.from('aura-webhook-test-secret-0123456789').toString('base64')}`;

export interface Delivery {
  id: string;
  /** Verified with standardwebhooks' Webhook.verify; a delivery that fails it is never recorded here. */
  body: { type: string; timestamp: string; data: { tenantId: string; sessionId: string; userId: string; request?: Record<string, unknown>; status?: string } };
  at: number;
  /** What the receiver answered: a status, or 'hang'. */
  answered?: number | 'hang';
}

/**
 * A real HTTP receiver. `answer` decides each delivery's fate: a status, or 'hang' (never answers).
 * Every delivery is verified against the signing secret; `rejected` counts those that fail.
 */
export class WebhookReceiver {
  readonly deliveries: Delivery[] = [];
  rejected = 0;
  answer: (d: Delivery) => number | 'hang' = () => 200;
  /** The body it answers with (a receiver that sends too much). */
  body: () => string = () => '';
  private readonly webhook = new Webhook(WEBHOOK_TEST_SECRET);
  private readonly hung: ServerResponse[] = [];

  private constructor(private readonly server: Server) {}

  static async start(): Promise<WebhookReceiver> {
    let self: WebhookReceiver | undefined;
    const server = createServer((req, res) => self!.handle(req, res));
    self = new WebhookReceiver(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return self;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  of(sessionId: string, type?: string): Delivery[] {
    return this.deliveries.filter((d) => d.body.data.sessionId === sessionId && (!type || d.body.type === type));
  }

  async close(): Promise<void> {
    this.hung.splice(0).forEach((r) => r.destroy());
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString();
      let body: Delivery['body'];
      try {
        body = this.webhook.verify(raw, req.headers as Record<string, string>) as Delivery['body'];
      } catch {
        this.rejected++;
        res.writeHead(400).end();
        return;
      }
      const delivery: Delivery = { id: String(req.headers['webhook-id']), body, at: Date.now() };
      this.deliveries.push(delivery);
      const answer = this.answer(delivery);
      delivery.answered = answer;
      if (answer === 'hang') this.hung.push(res);
      else res.writeHead(answer, answer >= 300 && answer < 400 ? { location: this.url } : {}).end(this.body());
    });
  }
}
