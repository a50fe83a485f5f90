import { isTerminal } from '../contract/run.types';
import type { RunStore } from './persistence/run-store.port';

/**
 * Aborts an agent step as soon as its run ends elsewhere (a cancel on any instance writes `done`):
 * a step waiting on a model that streams no text writes nothing, so it would otherwise learn of the
 * cancel only when its own write is refused, minutes later, with the billed call still open.
 * Listening starts in the background after `afterMs`, so the step does not wait for it and the
 * many short steps (the demo agent's, a tool's) cost no subscription and no read; a cancel before
 * then is seen by the first read. Returns the function that stops it.
 */
export const WATCH_STEPS_AFTER_MS = 500;

/**
 * `wroteText`: the step has written a batch of text by then. Such a step needs no first read: its
 * next batch finds a cancel written meanwhile (the log refuses a seq the cancel took).
 */
export function abortOnEnd(runs: RunStore, sessionId: string, ownerId: string, step: AbortController, afterMs = WATCH_STEPS_AFTER_MS, wroteText: () => boolean = () => false): () => void {
  let stopped = false;
  let unsubscribe: (() => void) | undefined;
  const timer = setTimeout(() => watch(), afterMs);
  const check = () =>
    void runs.holder(sessionId).then(
      (run) => {
        if (!stopped && (!run || isTerminal(run.status) || run.owner !== ownerId)) step.abort();
      },
      // Unreadable now: the step's own write finds out.
      () => undefined,
    );
  const watch = () =>
    runs
      .follow(sessionId, { onEvent: (event) => event.type === 'done' && step.abort(), onResync: check })
      .then((stop) => {
        if (stopped) return stop();
        unsubscribe = stop;
        // A cancel written before we listened.
        if (!wroteText()) check();
      })
      .catch(() => undefined);
  return () => {
    stopped = true;
    clearTimeout(timer);
    unsubscribe?.();
  };
}
