import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Redis, { RedisOptions } from 'ioredis';
import { freePort, waitFor } from './process';

export const run = promisify(execFile);

/** One redis-server (or sentinel) process this test started, on its own port. */
export class ServerProcess {
  readonly exited: Promise<void>;
  output = '';

  constructor(
    readonly port: number,
    readonly child: ChildProcess,
  ) {
    this.child.stdout?.on('data', (d: Buffer) => (this.output = (this.output + d.toString()).slice(-20000)));
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.alive) this.child.kill(signal);
    await this.exited;
  }
}

/** A short-lived admin client that never retries (a test's own probe of a server). */
export async function withClient<T>(port: number, use: (c: Redis) => Promise<T>, options: RedisOptions = {}): Promise<T> {
  const c = new Redis({ host: '127.0.0.1', port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, ...options });
  c.on('error', () => undefined);
  try {
    await c.connect();
    return await use(c);
  } finally {
    c.disconnect();
  }
}

/**
 * Servers of one test, in one temporary directory, all stopped (SIGKILL: nothing to keep) and the
 * directory removed by stopAll() in the test's afterAll.
 */
export class ServerSet {
  readonly dir = mkdtempSync(join(tmpdir(), 'aura-redis-set-'));
  readonly servers: ServerProcess[] = [];

  /**
   * Starts `redis-server` with the options (after a port, in memory only), or a sentinel with
   * a config file first (a sentinel's: it rewrites it). Resolves once it
   * answers PING (`probe` gives the client options, e.g. TLS, for servers that need them).
   */
  async start(args: string[], opts: { port?: number; configFile?: string; tlsOnly?: boolean; probe?: RedisOptions | null } = {}): Promise<ServerProcess> {
    const port = opts.port ?? (await freePort());
    const argv = [...(opts.configFile ? [opts.configFile] : []), ...(opts.tlsOnly ? ['--port', '0', '--tls-port', String(port)] : ['--port', String(port)]), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir, ...args];
    const server = new ServerProcess(port, spawn('redis-server', argv, { stdio: ['ignore', 'pipe', 'ignore'] }));
    this.servers.push(server);
    if (opts.probe !== null) {
      await waitFor(async () => {
        if (!server.alive) throw new Error(`redis-server ${argv.join(' ')} exited:\n${server.output}`);
        return (await withClient(port, (c) => c.ping(), opts.probe ?? {})) === 'PONG';
      }, 10000, `redis-server on ${port}\n${server.output}`);
    }
    return server;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.kill()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
