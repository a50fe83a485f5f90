/** Seconds before attempt n+1 (n = attempts made): about 1 s, 5 s, 30 s, 2 min, 10 min, then hourly. */
const STEPS_S = [1, 5, 30, 120, 600];

/** Delay before the next attempt, with ±20 % jitter so receivers coming back are not hit by every retry at once. */
export function retryDelayMs(attemptsMade: number, random: () => number = Math.random): number {
  const base = (STEPS_S[attemptsMade - 1] ?? 3600) * 1000;
  return Math.round(base * (0.8 + 0.4 * random()));
}
