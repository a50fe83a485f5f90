/**
 * The session's outbox, seen from the Redis stores: a script on the session's slot appends what
 * other slots must learn (the tenant's inbox, limits and audit trail, the deadlines, webhooks, the
 * instances' run sets) and returns it; the caller applies it. A crash between the two leaves the
 * records in the session's slot, and the mark set before the write lets the repair sweep of any
 * instance find and apply them. Applying a record twice changes nothing (see ledger-changes.ts).
 */
export abstract class LedgerOutbox {
  /** Before a write that records changes: marks the session for the repair sweep; answers the mark. */
  abstract mark(sessionId: string): Promise<string>;
  /**
   * After the write: applies the records its script returned (JSON, in order), then clears them
   * and the mark (null: the write was not marked, its records were all unkept).
   */
  abstract apply(sessionId: string, records: string[], mark: string | null): Promise<void>;
  /** Whether a run's end must be kept in the outbox: a webhook outbox exists, or may. */
  abstract webhooksMayListen(): boolean;
}
