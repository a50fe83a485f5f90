import { StoreUnavailableError } from '../common/store-errors';

import type { ChainableCommander } from 'ioredis';

/**
 * ioredis errors that mean "cannot reach Redis right now" (offline queue disabled, reconnecting,
 * failover; a pipeline's commands left unanswered when its connection closed are aborted; in a
 * Cluster, a slot whose master is down until its replica takes over).
 */
function isUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return (
    err.name === 'MaxRetriesPerRequestError' ||
    /Stream isn't writeable|Connection is closed|Command aborted due to connection close|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|LOADING|READONLY|MASTERDOWN|NOSCRIPT|CLUSTERDOWN|TRYAGAIN|Too many Cluster redirections|Cluster is disconnected|Failed to refresh slots cache|None of startup nodes is available/.test(
      err.message,
    )
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

/**
 * Runs a pipeline and answers each command's reply. exec() settles with an error per failed
 * command rather than rejecting, so a reply lost to a closing connection would otherwise read as
 * "no such key" (and a run or request would look gone): any failed command fails the whole call.
 */
export async function execPipeline(pipeline: ChainableCommander): Promise<unknown[]> {
  const results = (await redisCall(() => pipeline.exec())) ?? [];
  return results.map(([err, reply]) => {
    if (err) throw isUnavailable(err) ? new StoreUnavailableError(err.message) : err;
    return reply;
  });
}
