// A private redis-server for the bench (or BENCH_REDIS_URL), plus CLIENT LIST helpers.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { Redis } from 'ioredis';
import { freePort, sleep } from './util.mjs';
import { track, untrack } from './proc.mjs';

const BENCH_CLIENT_NAME = 'aura-bench';

/**
 * Starts `redis-server` on a free 127.0.0.1 port with persistence off and a high maxclients
 * (through bash so `ulimit -n` can be raised first), or uses BENCH_REDIS_URL when set.
 * Returns {url, port, pid, external, admin (ioredis), stop()}.
 */
export async function startRedis({ logFile, fdLimit = 200000 } = {}) {
  const externalUrl = process.env.BENCH_REDIS_URL;
  if (externalUrl) {
    const admin = new Redis(externalUrl, { connectionName: BENCH_CLIENT_NAME, lazyConnect: true, maxRetriesPerRequest: 2 });
    admin.on('error', (e) => console.error(`[bench] BENCH_REDIS_URL: ${e.message}`));
    await admin.connect();
    const port = Number(new URL(externalUrl).port || 6379);
    return { url: externalUrl, port, pid: null, external: true, admin, stop: async () => admin.disconnect() };
  }
  const port = await freePort();
  const cmd = `ulimit -n ${fdLimit} 2>/dev/null || ulimit -n $(ulimit -Hn); exec redis-server --port ${port} --bind 127.0.0.1 --save "" --appendonly no --maxclients 100000 --tcp-backlog 4096`;
  const child = spawn('bash', ['-c', cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
  if (logFile) {
    const log = createWriteStream(logFile);
    child.stdout.pipe(log);
    child.stderr.pipe(log);
  } else {
    child.stdout.resume();
    child.stderr.resume();
  }
  track(child);
  let exited = false;
  child.on('exit', () => {
    exited = true;
    untrack(child);
  });
  const url = `redis://127.0.0.1:${port}`;
  const admin = new Redis(url, { connectionName: BENCH_CLIENT_NAME, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  admin.on('error', () => {}); // connection refused while redis-server starts: retried below
  const deadline = Date.now() + 10000;
  for (;;) {
    if (exited) throw new Error(`redis-server exited at start (see ${logFile})`);
    try {
      await admin.connect();
      if ((await admin.ping()) === 'PONG') break;
    } catch {
      admin.disconnect();
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('redis-server not answering PING within 10 s');
    }
    await sleep(100);
  }
  const maxclients = (await admin.config('GET', 'maxclients'))[1];
  return {
    url,
    port,
    pid: child.pid,
    external: false,
    admin,
    maxclients: Number(maxclients),
    stop: async () => {
      admin.disconnect();
      if (exited) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await gone;
      clearTimeout(t);
    },
  };
}

/** Parses CLIENT LIST into [{id, addr, laddr, name, port, cmd, ...}]. */
export async function clientList(admin) {
  const text = await admin.client('LIST');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const o = {};
      for (const kv of line.split(' ')) {
        const i = kv.indexOf('=');
        if (i > 0) o[kv.slice(0, i)] = kv.slice(i + 1);
      }
      o.port = Number((o.addr || '').split(':').pop());
      return o;
    });
}

/** The clients that are not the bench's own connection(s). */
export async function foreignClients(admin) {
  return (await clientList(admin)).filter((c) => c.name !== BENCH_CLIENT_NAME);
}
