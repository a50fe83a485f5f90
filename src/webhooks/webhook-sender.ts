import { Webhook } from 'standardwebhooks';
import type { OutboxEvent } from './webhook-outbox.port';

export type DeliveryOutcome = 'delivered' | 'failed' | 'timeout';

/** The body a receiver gets: `{type, timestamp, data}`, data as the script stored it. */
export function webhookBody(event: OutboxEvent): string {
  return `{"type":${JSON.stringify(event.type)},"timestamp":${JSON.stringify(new Date(event.atMs).toISOString())},"data":${event.data}}`;
}

/**
 * Signs (Standard Webhooks, the specification's own library) and posts one event to one receiver.
 * Redirects are not followed and the answer's body is not read: a receiver can only make its own
 * delivery fail, never hold it longer than the timeout nor fill this process's memory.
 */
export class WebhookSender {
  private readonly signer: Webhook;

  constructor(
    secret: string,
    private readonly timeoutMs: number,
  ) {
    this.signer = new Webhook(secret);
  }

  async send(url: string, event: OutboxEvent): Promise<{ outcome: DeliveryOutcome; status?: number }> {
    const body = webhookBody(event);
    const now = new Date();
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'aura-webhooks',
      'webhook-id': event.id,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': this.signer.sign(event.id, now, body),
    };
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.timeoutMs);
    try {
      const res = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: abort.signal });
      await res.body?.cancel().catch(() => undefined);
      return { outcome: res.status >= 200 && res.status < 300 ? 'delivered' : 'failed', status: res.status };
    } catch {
      return { outcome: abort.signal.aborted ? 'timeout' : 'failed' };
    } finally {
      clearTimeout(timer);
    }
  }
}
