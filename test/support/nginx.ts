import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './process';

/** The project's gateway config, exactly as docker-compose mounts it. */
export const GATEWAY_CONF = join(__dirname, '..', '..', 'docker', 'nginx', 'default.conf');

/**
 * Debian's nginx running docker/nginx/default.conf unchanged except for what only Docker knows: the
 * listen port and the two upstream addresses (aura-1:3000 and aura-2:3000 become local ports).
 * The file is included in a minimal nginx.conf, as /etc/nginx/nginx.conf includes conf.d/.
 */
export class NginxGateway {
  private constructor(
    readonly url: string,
    private readonly dir: string,
    private readonly child: ChildProcess,
    private readonly exited: Promise<void>,
    private readonly output: () => string,
  ) {}

  static async start(upstreamPorts: [number, number]): Promise<NginxGateway> {
    const nginx = process.env.AURA_TEST_NGINX;
    if (!nginx) throw new Error('AURA_TEST_NGINX is not set: run the tests through jest (test/support/global-setup.ts)');
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'aura-nginx-'));
    for (const d of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, d));

    let site = readFileSync(GATEWAY_CONF, 'utf8');
    const swaps: [RegExp, string][] = [
      [/^(\s*)listen 8080;/m, `$1listen 127.0.0.1:${port};`],
      [/\baura-1:3000\b/, `127.0.0.1:${upstreamPorts[0]}`],
      [/\baura-2:3000\b/, `127.0.0.1:${upstreamPorts[1]}`],
    ];
    for (const [pattern, value] of swaps) {
      if (!pattern.test(site)) throw new Error(`${GATEWAY_CONF} no longer has ${pattern}: update test/support/nginx.ts`);
      site = site.replace(pattern, value);
    }
    const root = typeof process.getuid === 'function' && process.getuid() === 0;
    writeFileSync(
      join(dir, 'nginx.conf'),
      [
        // As root, nginx would switch its worker to `nobody`, which cannot use this private directory.
        root ? 'user root;' : '',
        'worker_processes 1;',
        'daemon off;',
        `pid ${dir}/nginx.pid;`,
        `error_log ${dir}/error.log warn;`,
        'events { worker_connections 1024; }',
        'http {',
        `  access_log ${dir}/access.log;`,
        `  client_body_temp_path ${dir}/client_body; proxy_temp_path ${dir}/proxy;`,
        `  fastcgi_temp_path ${dir}/fastcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;`,
        '  default_type application/octet-stream;',
        site,
        '}',
        '',
      ].join('\n'),
    );
    let output = '';
    const child = spawn(nginx, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const url = `http://127.0.0.1:${port}`;
    const gw = new NginxGateway(url, dir, child, exited, () => output);
    try {
      await waitFor(async () => {
        if (child.exitCode !== null) throw new Error('exited');
        await fetch(`${url}/nothing-here`);
        return true;
      }, 10000, `nginx on ${url}`);
    } catch (err) {
      await gw.stop();
      throw new Error(`nginx did not start: ${String(err)}\n${output}\n${gw.errorLog()}`);
    }
    return gw;
  }

  /** nginx's error log so far (upstream failures show up here). */
  errorLog(): string {
    try {
      return readFileSync(join(this.dir, 'error.log'), 'utf8') + this.output();
    } catch {
      return this.output();
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await this.exited;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
