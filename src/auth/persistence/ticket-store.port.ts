/** Single-use stream tickets: stored with a TTL, consumed atomically. */
export abstract class TicketStore {
  abstract create(ticket: string, payload: string, ttlSeconds: number): Promise<void>;
  /** The ticket's payload while it is valid and unused, without using it. */
  abstract peek(ticket: string): Promise<string | null>;
  /** Returns the ticket's payload and deletes it in one step: a ticket is used once. */
  abstract consume(ticket: string): Promise<string | null>;
}
