/** Stops the redis-server the setup started (a REDIS_URL given from outside is left alone). */
export default async function globalTeardown(): Promise<void> {
  const pid = Number(process.env.AURA_TEST_REDIS_PID);
  if (pid) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  }
}
