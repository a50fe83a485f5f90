import { isTerminal } from '../contract/run.types';
import type { RunStore } from './persistence/run-store.port';

/**
 * Aborts an agent step as soon as its run ends elsewhere (a cancel on any instance writes `done`):
 * a step waiting on a model that streams no text writes nothing, so it would otherwise learn of the
 * cancel only when its own write is refused, minutes later, with the billed call still open.
 * Listening starts in the background, so the step does not wait for it; returns the function that
 * stops it.
 */
export function abortOnEnd(runs: RunStore, sessionId: string, ownerId: string, step: AbortController): () => void {
  let stopped = false;
  let unsubscribe: (() => void) | undefined;
  const check = () =>
    void runs.getRun(sessionId).then(
      (run) => {
        if (!stopped && (!run || isTerminal(run.status) || run.owner !== ownerId)) step.abort();
      },
      // Unreadable now: the step's own write finds out.
      () => undefined,
    );
  runs
    .follow(sessionId, { onEvent: (event) => event.type === 'done' && step.abort(), onResync: check })
    .then((stop) => {
      if (stopped) return stop();
      unsubscribe = stop;
      // A cancel written before we listened.
      check();
    })
    .catch(() => undefined);
  return () => {
    stopped = true;
    unsubscribe?.();
  };
}
