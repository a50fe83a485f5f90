/**
 * The store could not be reached (Redis down, reconnecting, read-only after a failover). Nothing
 * was changed: every change is one atomic step. Callers retry; HTTP answers 503.
 */
export class StoreUnavailableError extends Error {
  constructor(cause: string) {
    super(`Store unavailable: ${cause}`);
    this.name = 'StoreUnavailableError';
  }
}
