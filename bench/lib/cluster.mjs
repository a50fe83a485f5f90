// A private 6-node Redis Cluster for the bench (3 masters, 3 replicas), as the tests start one.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { track, untrack } from './proc.mjs';
import { freePort, sleep } from './util.mjs';

const run = promisify(execFile);

/** Starts the nodes, joins them with `redis-cli --cluster create`, waits for cluster_state:ok. Returns {nodeList, masters(), stop()}. */
export async function startCluster() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'aura-bench-cluster-'));
  const nodes = [];
  for (let i = 0; i < 6; i++) {
    const port = await freePort();
    const bus = await freePort();
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '2000', '--cluster-port', String(bus), '--save', '', '--appendonly', 'no', '--dir', dir, '--maxclients', '20000'];
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    track(child);
    child.on('exit', () => untrack(child));
    nodes.push({ port, child, pid: child.pid });
  }
  const admins = nodes.map((n) => new Redis({ port: n.port, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 200 }));
  for (const a of admins) {
    for (let t = 0; ; t++) {
      try {
        await a.connect();
        break;
      } catch {
        if (t > 50) throw new Error('a cluster node did not start');
        await sleep(100);
      }
    }
  }
  await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '1', '--cluster-yes']);
  for (let t = 0; ; t++) {
    const infos = await Promise.all(admins.map((a) => a.cluster('INFO')));
    if (infos.every((i) => /cluster_state:ok/.test(i))) break;
    if (t > 100) throw new Error('the cluster did not become ok');
    await sleep(200);
  }
  /** The masters now: [{port, pid, admin}]. */
  const masters = async () => {
    const out = [];
    for (const [i, a] of admins.entries()) if (/role:master/.test(await a.info('replication'))) out.push({ port: nodes[i].port, pid: nodes[i].pid, admin: a });
    return out;
  };
  return {
    nodeList: nodes.map((n) => `127.0.0.1:${n.port}`).join(','),
    pids: nodes.map((n) => n.pid),
    masters,
    stop: async () => {
      admins.forEach((a) => a.disconnect());
      nodes.forEach((n) => n.child.kill('SIGKILL'));
      await sleep(200);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
