/**
 * At most one line per cause per interval: an unreachable Redis makes ioredis, every periodic task
 * and every run's write report the same error on every attempt, which drowned the log (~14 lines a
 * second). The next line of a cause says how many were held back meanwhile.
 */
export class ThrottledLog {
  private readonly causes = new Map<string, { lastMs: number; held: number }>();

  constructor(
    private readonly write: (line: string) => void,
    private readonly intervalMs = 5000,
    private readonly now: () => number = Date.now,
  ) {}

  log(cause: string, line: string): void {
    const t = this.now();
    const seen = this.causes.get(cause);
    if (seen && t - seen.lastMs < this.intervalMs) {
      seen.held++;
      return;
    }
    const held = seen?.held ?? 0;
    this.causes.set(cause, { lastMs: t, held: 0 });
    // Bounded: causes are error messages, few and repeated; drop the oldest if a flood of distinct ones comes.
    if (this.causes.size > 100) this.causes.delete(this.causes.keys().next().value as string);
    this.write(held > 0 ? `${line} (${held} more like it in the last ${Math.round((t - (seen?.lastMs ?? t)) / 1000)} s)` : line);
  }
}
