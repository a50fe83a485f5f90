import { TicketStore } from './ticket-store.port';

export class MemoryTicketStore extends TicketStore {
  private readonly tickets = new Map<string, { payload: string; expiresAtMs: number }>();
  private readonly used = new Map<string, { payload: string; expiresAtMs: number }>();

  async create(ticket: string, payload: string, ttlSeconds: number): Promise<void> {
    const now = Date.now();
    for (const map of [this.tickets, this.used]) for (const [t, entry] of map) if (entry.expiresAtMs < now) map.delete(t);
    this.tickets.set(ticket, { payload, expiresAtMs: now + ttlSeconds * 1000 });
  }

  async peek(ticket: string): Promise<string | null> {
    const entry = this.tickets.get(ticket);
    return entry && entry.expiresAtMs > Date.now() ? entry.payload : null;
  }

  async consume(ticket: string, keepUsedSeconds: number): Promise<string | null> {
    const entry = this.tickets.get(ticket);
    this.tickets.delete(ticket);
    if (!entry || entry.expiresAtMs <= Date.now()) return null;
    this.used.set(ticket, { payload: entry.payload, expiresAtMs: Date.now() + keepUsedSeconds * 1000 });
    return entry.payload;
  }

  async peekUsed(ticket: string): Promise<string | null> {
    const entry = this.used.get(ticket);
    return entry && entry.expiresAtMs > Date.now() ? entry.payload : null;
  }
}
