import { isTerminal } from '../contract/run.types';
import type { RunStore } from './persistence/run-store.port';

/**
 * Aborts an agent step as soon as its run ends elsewhere (a cancel on any instance writes `done`):
 * a step waiting on a model that streams no text writes nothing, so it would otherwise learn of the
 * cancel only when its own write is refused, minutes later, with the billed call still open.
 * Resolves once listening, with the function that stops it.
 */
export async function abortOnEnd(runs: RunStore, sessionId: string, ownerId: string, step: AbortController): Promise<() => void> {
  const check = () =>
    void runs.getRun(sessionId).then(
      (run) => {
        if (!run || isTerminal(run.status) || run.owner !== ownerId) step.abort();
      },
      // Unreadable now: the step's own write finds out.
      () => undefined,
    );
  const stop = await runs
    .follow(sessionId, { onEvent: (event) => event.type === 'done' && step.abort(), onResync: check })
    .catch(() => () => undefined);
  // A cancel written before we listened.
  check();
  return stop;
}
