/**
 * The store could not be reached (Redis down, reconnecting, read-only after a failover). Nothing
 * was changed: every change is one atomic step. Callers retry; HTTP answers 503.
 */
export class StoreUnavailableError extends Error {
  /** What a 503 says to the client. */
  readonly answer: string = 'Redis is unavailable; nothing was changed. Try again shortly.';

  constructor(cause: string) {
    super(`Store unavailable: ${cause}`);
    this.name = 'StoreUnavailableError';
  }
}

/**
 * The change was made but fewer Redis replicas than REDIS_WAIT_REPLICAS hold it in time: not
 * answered as done, because a failover now could lose it. A retry finds it (e.g. a decision: 409).
 */
export class NotReplicatedError extends StoreUnavailableError {
  override readonly answer = 'Stored, but not yet on the Redis replicas it must reach; read it back before retrying.';

  constructor(cause: string) {
    super(cause);
    this.name = 'NotReplicatedError';
  }
}
