// Child processes of the bench: start, wait ready, measure, kill (also on exit and SIGINT).
import { spawn } from 'node:child_process';
import { createWriteStream, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { httpGet, sleep } from './util.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const GC_PROBE = path.join(HERE, 'gc-probe.cjs');

const children = new Set();
export function track(child) {
  children.add(child);
}
export function untrack(child) {
  children.delete(child);
}
/** SIGKILL every child still alive (synchronous: safe in an 'exit' handler). */
export function killAllSync() {
  for (const c of children) {
    try {
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  children.clear();
}
let handlersInstalled = false;
export function installCleanupHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAllSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      process.stderr.write(`\n${sig}: stopping all children\n`);
      killAllSync();
      process.exit(130);
    });
  }
  process.on('uncaughtException', (e) => {
    process.stderr.write(`uncaught: ${e.stack || e}\n`);
    killAllSync();
    process.exit(1);
  });
}

/** Escapes a string for a bash single-quoted word. */
const sq = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

/**
 * Starts `node [nodeArgs] script [args]` with env through `bash -c 'ulimit -n L; exec node ...'`
 * (so the pid is node's), logs to logFile, waits for GET /health/ready == 200.
 * Returns {name, pid, port, url, child, stop(), fdLimit}.
 */
export async function startInstance({ name, script, args = [], nodeArgs = [], env, port, cwd, logFile, fdLimit = 200000, readyTimeoutMs = 60000, ipc = false }) {
  const nodeCmd = ['node', ...nodeArgs, script, ...args].map(sq).join(' ');
  const cmd = `ulimit -n ${fdLimit} 2>/dev/null || ulimit -n $(ulimit -Hn); exec ${nodeCmd}`;
  const stdio = ['ignore', 'pipe', 'pipe'];
  if (ipc) stdio.push('ipc');
  const child = spawn('bash', ['-c', cmd], { cwd, env: { ...env, ...(port ? { PORT: String(port) } : {}) }, stdio });
  track(child);
  let tail = '';
  const log = logFile ? createWriteStream(logFile) : null;
  const onOut = (chunk) => {
    tail = (tail + chunk.toString('utf8')).slice(-4000);
    if (log) log.write(chunk);
  };
  child.stdout.on('data', onOut);
  child.stderr.on('data', onOut);
  let exitInfo = null;
  const exited = new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      exitInfo = { code, signal };
      untrack(child);
      resolve(exitInfo);
    }),
  );
  const inst = {
    name,
    pid: child.pid,
    port,
    url: port ? `http://127.0.0.1:${port}` : null,
    child,
    logFile,
    tail: () => tail,
    exited,
    isAlive: () => exitInfo === null,
    exitInfo: () => exitInfo,
    async stop(graceMs = 3000) {
      if (exitInfo) return exitInfo;
      child.kill('SIGTERM');
      const t = setTimeout(() => exitInfo || child.kill('SIGKILL'), graceMs);
      const r = await exited;
      clearTimeout(t);
      if (log) log.end();
      return r;
    },
  };
  if (port) {
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      if (exitInfo) throw new Error(`${name} exited before ready (${JSON.stringify(exitInfo)}): ${tail.trim().split('\n').slice(-5).join(' | ')}`);
      try {
        const r = await httpGet(`${inst.url}/health/ready`, { timeoutMs: 1000 });
        if (r.status === 200) break;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) {
        await inst.stop(500);
        throw new Error(`${name} not ready within ${readyTimeoutMs} ms: ${tail.trim().split('\n').slice(-5).join(' | ')}`);
      }
      await sleep(100);
    }
  }
  inst.fdLimit = readFdLimit(child.pid);
  return inst;
}

/** VmRSS of a pid in bytes (from /proc/<pid>/status), or NaN. */
export function readRss(pid) {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Soft (or hard) "Max open files" of a pid ('self' for this process). */
export function readFdLimit(pid, hard = false) {
  try {
    const m = /Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
    const v = m && m[hard ? 2 : 1];
    return v ? (v === 'unlimited' ? Infinity : Number(v)) : NaN;
  } catch {
    return NaN;
  }
}

/** Number of open fds of a pid. */
export function countFds(pid) {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return NaN;
  }
}

/**
 * Memory of an instance started with `--expose-gc --require gc-probe.cjs`: sends SIGWINCH, the probe
 * runs a full GC and writes process.memoryUsage() to <probeDir>/mem-<pid>.json. Falls back to
 * VmRSS plus the Prometheus /metrics heap when the probe does not answer.
 * Returns {rss, heapUsed, source}.
 */
export async function measureMemory(inst, probeDir, timeoutMs = 10000) {
  const file = path.join(probeDir, `mem-${inst.pid}.json`);
  try {
    const sentAt = Date.now();
    process.kill(inst.pid, 'SIGWINCH');
    const deadline = sentAt + timeoutMs;
    while (Date.now() < deadline) {
      await sleep(50);
      let m = null;
      try {
        m = JSON.parse(readFileSync(file, 'utf8'));
      } catch {
        continue; // not written yet, or caught mid-write
      }
      if (m && m.t >= sentAt) {
        await sleep(200); // let the allocator settle after the GC before reading the kernel's RSS
        return { rss: readRss(inst.pid), heapUsed: m.heapUsed, probeRss: m.rss, external: m.external, source: 'gc-probe (full GC)' };
      }
    }
  } catch {
    /* fall through */
  }
  const rss = readRss(inst.pid);
  let heapUsed = NaN;
  try {
    const r = await httpGet(`${inst.url}/metrics`, { timeoutMs: 5000 });
    const m = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})?\s+([0-9.e+]+)/m.exec(r.body);
    if (m) heapUsed = Number(m[1]);
  } catch {
    /* no metrics */
  }
  return { rss, heapUsed, source: '/proc VmRSS + /metrics (no GC)' };
}

/**
 * Local TCP ports of `pid`'s sockets connected to remotePort (from /proc/<pid>/fd and
 * /proc/<pid>/net/tcp{,6}). Used to attribute CLIENT LIST entries to an instance exactly.
 */
export function localPortsTo(pid, remotePort) {
  const inodes = new Set();
  let fds;
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return new Set();
  }
  for (const fd of fds) {
    try {
      const l = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (l.startsWith('socket:[')) inodes.add(l.slice(8, -1));
    } catch {
      /* closed meanwhile */
    }
  }
  const ports = new Set();
  const remHex = `:${remotePort.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const f of ['tcp', 'tcp6']) {
    let text;
    try {
      text = readFileSync(`/proc/${pid}/net/${f}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      // sl local_address rem_address st ... uid timeout inode
      const parts = line.trim().split(/\s+/);
      if (parts.length < 10 || !parts[2].endsWith(remHex)) continue;
      if (inodes.has(parts[9])) ports.add(parseInt(parts[1].split(':').pop(), 16));
    }
  }
  return ports;
}
