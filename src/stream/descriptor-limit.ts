import { readFileSync } from 'node:fs';

/** The process's soft limit on open files, from /proc/self/limits; null where that cannot be read (not Linux). */
export function openFileSoftLimit(limitsFile = '/proc/self/limits'): number | null {
  try {
    const line = readFileSync(limitsFile, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft && /^\d+$/.test(soft) ? Number(soft) : null;
  } catch {
    return null;
  }
}

/**
 * How many streams an instance holds before it refuses new ones: each is a socket, and the rest of
 * the process (probes, decisions, Redis, logs) must keep descriptors to work with. Out of them,
 * accept() fails for everyone and /health/live stops answering.
 */
export function streamCapacity(softLimit: number | null): number {
  if (softLimit === null) return Number.POSITIVE_INFINITY;
  return Math.max(0, softLimit - Math.max(128, Math.ceil(softLimit / 10)));
}
