import type { Logger } from '@nestjs/common';
import { ThrottledLog } from './throttled-log';

/**
 * Runs `task` every `ms`, never two at once (a slow round is skipped, not queued), without keeping
 * the process alive. Returns the function that stops it.
 */
export function every(ms: number, task: () => Promise<unknown>, logger: Logger): () => void {
  let running = false;
  // A store outage fails every round the same way: one line per cause every few seconds.
  const failures = new ThrottledLog((line) => logger.warn(line));
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    task()
      .catch((err) => failures.log(String(err), `Background task failed: ${String(err)}`))
      .finally(() => (running = false));
  }, ms);
  timer.unref();
  return () => clearInterval(timer);
}
