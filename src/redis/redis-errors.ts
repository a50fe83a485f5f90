import { StoreUnavailableError } from '../common/store-errors';

/** ioredis errors that mean "cannot reach Redis right now" (offline queue disabled, reconnecting, failover). */
function isUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return (
    err.name === 'MaxRetriesPerRequestError' ||
    /Stream isn't writeable|Connection is closed|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|LOADING|READONLY|MASTERDOWN|NOSCRIPT/.test(err.message)
  );
}

/** Runs a Redis call, turning an outage into StoreUnavailableError; anything else (a script error) is a bug and passes through. */
export async function redisCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (isUnavailable(err)) throw new StoreUnavailableError((err as Error).message);
    throw err;
  }
}
