import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Env } from './app';
import { TEST_SECRET } from './tokens';

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await Promise.resolve().then(check).catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
}

export interface ServiceOptions {
  openFiles?: number;
  cwd?: string;
}

/** The built service (dist/main.js) as a real child process, as it runs in a pod. */
export class ServiceProcess {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  output = '';

  /**
   * `openFiles`: the limit of descriptors it runs under. `cwd`: where the service looks for a
   * `.env` (by default a directory without one, so a developer's own `.env` in the repository
   * never changes what the tests run).
   */
  constructor(port: number, env: Env, { openFiles, cwd = tmpdir() }: ServiceOptions = {}) {
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    const main = join(__dirname, '..', '..', 'dist', 'main.js');
    // With `openFiles`, under that limit of descriptors (soft and hard: Node raises its soft limit to the hard one; the shell's ulimit, then exec: same process).
    const [cmd, args] = openFiles ? ['bash', ['-c', `ulimit -n ${openFiles} && exec "$0" "$1"`, process.execPath, main]] : [process.execPath, [main]];
    this.child = spawn(cmd, args, {
      env: { PATH: process.env.PATH ?? '', JWT_SECRET: TEST_SECRET, LOG_LEVEL: 'warn', DEMO_STEP_DELAY_MS: '20', ...env, PORT: String(port) },
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  /** On a free port, or on `port` (an instance restarted where the gateway expects it). */
  static async start(env: Env, port?: number, options: ServiceOptions = {}): Promise<ServiceProcess> {
    const svc = await ServiceProcess.launch(env, port, options);
    await waitFor(async () => (await fetch(`${svc.url}/health/ready`)).ok, 15000, `${svc.url} to be ready\n${svc.output}`);
    return svc;
  }

  /** Started, without waiting for it to be ready (a test of what it does when it cannot be). */
  static async launch(env: Env, port?: number, options: ServiceOptions = {}): Promise<ServiceProcess> {
    return new ServiceProcess(port ?? (await freePort()), env, options);
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

/** A private redis-server this test can stop and restart (same port, state kept in an append-only file). */
export class RedisProcess {
  private child?: ChildProcess;
  private constructor(
    readonly port: number,
    private readonly dir: string,
    /**
     * true: every write kept (append-only file). false: nothing is kept across a restart, like a
     * failover without persistence. 'snapshot': only what the last SAVE wrote (an RDB file).
     */
    private readonly persist: boolean | 'snapshot',
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(dir: string, persist: boolean | 'snapshot' = true): Promise<RedisProcess> {
    const r = new RedisProcess(await freePort(), dir, persist);
    await r.restart();
    return r;
  }

  async restart(): Promise<void> {
    const persistence = this.persist === true ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no', '--dbfilename', 'dump.rdb'];
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--dir', this.dir], { stdio: 'ignore' });
    await waitFor(async () => {
      const { default: Redis } = await import('ioredis');
      const c = new Redis(this.url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      c.on('error', () => undefined);
      try {
        await c.connect();
        return (await c.ping()) === 'PONG';
      } finally {
        c.disconnect();
      }
    }, 10000, 'redis-server');
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await gone;
  }
}
