import type { Logger } from '@nestjs/common';

/**
 * Runs `task` every `ms`, never two at once (a slow round is skipped, not queued), without keeping
 * the process alive. Returns the function that stops it.
 */
export function every(ms: number, task: () => Promise<unknown>, logger: Logger): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    task()
      .catch((err) => logger.warn(`Background task failed: ${String(err)}`))
      .finally(() => (running = false));
  }, ms);
  timer.unref();
  return () => clearInterval(timer);
}
