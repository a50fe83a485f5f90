import { TicketStore } from './ticket-store.port';

export class MemoryTicketStore extends TicketStore {
  private readonly tickets = new Map<string, { payload: string; expiresAtMs: number }>();

  async create(ticket: string, payload: string, ttlSeconds: number): Promise<void> {
    const now = Date.now();
    for (const [t, entry] of this.tickets) if (entry.expiresAtMs < now) this.tickets.delete(t);
    this.tickets.set(ticket, { payload, expiresAtMs: now + ttlSeconds * 1000 });
  }

  async peek(ticket: string): Promise<string | null> {
    const entry = this.tickets.get(ticket);
    return entry && entry.expiresAtMs > Date.now() ? entry.payload : null;
  }

  async consume(ticket: string): Promise<string | null> {
    const entry = this.tickets.get(ticket);
    this.tickets.delete(ticket);
    return entry && entry.expiresAtMs > Date.now() ? entry.payload : null;
  }
}
