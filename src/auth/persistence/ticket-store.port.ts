/** Single-use stream tickets: stored with a TTL, consumed atomically. */
export abstract class TicketStore {
  abstract create(ticket: string, payload: string, ttlSeconds: number): Promise<void>;
  /** The ticket's payload while it is valid and unused, without using it. */
  abstract peek(ticket: string): Promise<string | null>;
  /**
   * Returns the ticket's payload and deletes it in one step: a ticket is used once. The payload is
   * then kept as a used ticket's for `keepUsedSeconds`, so a client reconnecting with it after its
   * run has ended can be told to stop (204) instead of refused.
   */
  abstract consume(ticket: string, keepUsedSeconds: number): Promise<string | null>;
  /** A used ticket's payload while it is kept. */
  abstract peekUsed(ticket: string): Promise<string | null>;
}
