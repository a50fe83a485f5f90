#!/usr/bin/env node
// Aura benchmark orchestrator (issue 6). Plain Node ESM, no build step. See bench/README.md.
//
//   npm run bench                           # build, then service vs both floors, N = 1k, 5k, 20k;
//                                           # writes bench/results.md (roughly 10-20 minutes)
//   npm run bench -- --quick                # smoke run (same as BENCH_QUICK=1): N = 200, 200
//                                           # approvals, 3 s throughput, 20 LLM runs x 3 s of
//                                           # tokens; stdout only (< 2 minutes)
//   BENCH_TARGETS=service BENCH_SCENARIOS=tokens node bench/run.mjs --quick   # the token scenario alone
//   node bench/run.mjs [--quick]            # the same without `npm run build`
//   BENCH_TARGETS=baseline,baseline node bench/run.mjs   # the raw floor against itself
//
// Targets: `service` (dist/main.js), and three floors, all bench/baseline/server.mjs:
//   baseline  the raw floor (FLOOR_MODE=raw): raw node:http, events written straight to the response;
//   durable   the durable floor (FLOOR_MODE=durable): the same server, but every event is appended to
//             the session's Redis Stream and published (XADD {seq}-0 MAXLEN ~ + PUBLISH, pipelined),
//             and each stream is a watcher following its session's channel on the one shared
//             subscriber, as in the service.
//   nest      the Nest floor (FLOOR_MODE=durable FLOOR_HTTP=nest): the durable floor served by a bare
//             NestJS app (Express adapter, a guard, an @Sse handler returning an Observable, @Post
//             handlers), the stack the contract prescribes, without the service's own work.
// service/baseline = what the service costs over the cheapest server; durable/baseline = what
// durability costs; nest/durable = what the framework costs; service/nest = what the service's own
// work costs (validation, store scripts, logging, metrics...).
//
// Token scenario (issue 14, service only): the service with AGENT=openai against the scripted model
// server bench/lib/llm-server.mjs; BENCH_TOKEN_RUNS runs at once stream BENCH_TOKEN_RATE tokens/s for
// BENCH_TOKEN_SECONDS, watched with deltas=true: deltas/s, delivery latency, Redis commands per delta
// (INFO commandstats), CPU of service, model server and Redis.
//
// For each target: a private redis-server, instances A and B (child processes, fresh for every N),
// and a separate load process (bench/load.mjs) that holds the SSE connections. Prints a table and
// writes bench/results.md (not in quick mode). Every wait is bounded; children are killed on exit
// and on SIGINT.
//
// Flags: --quick (= BENCH_QUICK=1).
// Environment (all optional):
//   BENCH_QUICK            0                  1 = smoke run: the defaults marked "quick" below, and
//                                            no results.md unless BENCH_OUT is set
//   BENCH_TARGETS          service,baseline,durable,nest   targets, in order; ratio columns: the
//                                            first against each other one, plus durable/baseline
//                                            and nest/durable
//   BENCH_N                1000,5000,20000    paused-run counts (quick: 200)
//   BENCH_RATE             200                approvals per second sent to instance B
//   BENCH_APPROVALS        2000               approvals sampled per N (capped at N; quick: 200)
//   BENCH_OPEN_CONCURRENCY 256                streams being opened at once (until their hitl)
//   BENCH_TP_CONCURRENCY   200                concurrent streams in the throughput scenario
//   BENCH_TP_SECONDS       15                 throughput window (quick: 3), after a 1 s warm-up
//   BENCH_DELAY_MS         0                  DEMO_STEP_DELAY_MS of the instances
//   BENCH_HEARTBEAT_SECONDS 15                SSE_HEARTBEAT_SECONDS of the instances
//   BENCH_WARMUP_RUNS      100                complete runs through A and B before measuring
//   BENCH_FD_LIMIT         200000             `ulimit -n` for every child (capped at the hard limit)
//   BENCH_FD_HEADROOM      100                fds kept free per process: N is capped at limit - this
//   BENCH_LOCAL_ADDRS      127.0.0.1          client source addresses (round robin)
//   BENCH_REDIS_URL        (private server)   use this Redis instead (never FLUSHALLed)
//   BENCH_SERVICE_CMD      dist/main.js       the service entry point
//   BENCH_OUT              bench/results.md   where to write the report ('' = do not write;
//                                            quick: '' unless set)
//   BENCH_WAIT_QUIET_S     0                  before each scenario, wait up to this long for the
//                                            rest of the machine to use < 20% of a core
//   BENCH_TIMEOUT_S        3600               hard limit for the whole run (quick: 600)
//   BENCH_SCENARIOS        paused,throughput,tokens,framework   which scenarios to run (tokens: service only;
//                                            framework: once, raw node:http vs a bare Nest @Sse route)
//   BENCH_TOKEN_RUNS       200                token scenario: concurrent LLM-agent runs (quick: 20)
//   BENCH_TOKEN_RATE       50                 tokens/s the scripted model streams per run
//   BENCH_TOKEN_SECONDS    10                 length of the model's one text turn (quick: 3)
//   BENCH_STREAM_FLUSH_MS  50                 STREAM_FLUSH_MS of the service in the token scenario
//   BENCH_IDLE_SECONDS     10                 paused runs: CPU of A measured over this long with all N paused
//                                            and nothing else going on (heartbeats, leases, sweeps, GC; quick: 2)
//   BENCH_CAPACITY_RUNS    200,400,800        capacity scenario: the token scenario at each of these run counts
//                                            (one node; quick: 20,40); the report names the most with p99 <= 250 ms
// Scenario `cluster`: the token scenario once more on a private 6-node Redis Cluster (3 masters,
// bench/lib/cluster.mjs), with INFO commandstats per master: each master's share of the commands.
import os from 'node:os';
import path from 'node:path';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { startRedis, foreignClients } from './lib/redis.mjs';
import { startCluster } from './lib/cluster.mjs';
import { startInstance, measureMemory, localPortsTo, countFds, installCleanupHandlers, killAllSync, readFdLimit, GC_PROBE } from './lib/proc.mjs';
import { freePort, sleep, withTimeout } from './lib/util.mjs';
import { signJwt } from './lib/jwt.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const E = process.env;
const QUICK = /^(1|true|yes)$/i.test(E.BENCH_QUICK || '') || process.argv.includes('--quick');
for (const a of process.argv.slice(2)) {
  if (a !== '--quick') {
    console.error(`unknown argument ${a} (flags: --quick; everything else is set through BENCH_* variables, see the top of bench/run.mjs)`);
    process.exit(2);
  }
}
const num = (v, d) => (v === undefined || v === '' ? d : Number(v));

const C = {
  targets: (E.BENCH_TARGETS || 'service,baseline,durable,nest').split(',').map((s) => s.trim()).filter(Boolean),
  ns: QUICK ? [200] : (E.BENCH_N || '1000,5000,20000').split(',').map(Number).filter((n) => n > 0),
  rate: num(E.BENCH_RATE, 200),
  approvals: num(E.BENCH_APPROVALS, QUICK ? 200 : 2000),
  openConcurrency: num(E.BENCH_OPEN_CONCURRENCY, 256),
  tpConcurrency: num(E.BENCH_TP_CONCURRENCY, 200),
  tpSeconds: num(E.BENCH_TP_SECONDS, QUICK ? 3 : 15),
  delayMs: num(E.BENCH_DELAY_MS, 0),
  heartbeatS: num(E.BENCH_HEARTBEAT_SECONDS, 15),
  warmupRuns: num(E.BENCH_WARMUP_RUNS, QUICK ? 50 : 100),
  fdLimit: num(E.BENCH_FD_LIMIT, 200000),
  fdHeadroom: num(E.BENCH_FD_HEADROOM, 100),
  localAddrs: (E.BENCH_LOCAL_ADDRS || '127.0.0.1').split(',').map((s) => s.trim()).filter(Boolean),
  serviceCmd: E.BENCH_SERVICE_CMD || 'dist/main.js',
  // a quick run is a smoke test: it prints, and leaves results.md (full runs only) alone
  out: E.BENCH_OUT === undefined ? (QUICK ? '' : path.join(HERE, 'results.md')) : E.BENCH_OUT,
  timeoutS: num(E.BENCH_TIMEOUT_S, QUICK ? 600 : 3600),
  waitQuietS: num(E.BENCH_WAIT_QUIET_S, 0),
  scenarios: (E.BENCH_SCENARIOS || 'paused,throughput,tokens,cluster,capacity,framework').split(',').map((s) => s.trim()).filter(Boolean),
  tokenRuns: num(E.BENCH_TOKEN_RUNS, QUICK ? 20 : 200),
  tokenRate: num(E.BENCH_TOKEN_RATE, 50),
  tokenSeconds: num(E.BENCH_TOKEN_SECONDS, QUICK ? 3 : 10),
  flushMs: num(E.BENCH_STREAM_FLUSH_MS, 50),
  idleS: num(E.BENCH_IDLE_SECONDS, QUICK ? 2 : 10),
  capacityRuns: (E.BENCH_CAPACITY_RUNS || (QUICK ? '20,40' : '200,400,800')).split(',').map(Number).filter((n) => n > 0),
};
for (const sc of C.scenarios) {
  if (!['paused', 'throughput', 'tokens', 'cluster', 'capacity', 'framework'].includes(sc)) {
    console.error(`unknown scenario ${sc} in BENCH_SCENARIOS (paused, throughput, tokens, cluster, capacity, framework)`);
    process.exit(2);
  }
}

// Without CAP_SYS_RESOURCE `ulimit -n` cannot go above the hard limit: every child gets
// min(BENCH_FD_LIMIT, hard limit), and N is capped so that A (and the client) stay below it.
const FD_HARD = readFdLimit('self', true);
const FD_EFFECTIVE = Math.min(C.fdLimit, Number.isFinite(FD_HARD) ? FD_HARD : C.fdLimit);
const N_MAX = FD_EFFECTIVE - C.fdHeadroom;

// logs of every child, memory probe files, profiles: bench/out/ (git-ignored)
mkdirSync(path.join(HERE, 'out'), { recursive: true });
const workDir = mkdtempSync(path.join(HERE, 'out', `run-${new Date().toISOString().replace(/[:.]/g, '-')}-`));
const log = (...a) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a);

installCleanupHandlers();
setTimeout(() => {
  log(`hard limit BENCH_TIMEOUT_S=${C.timeoutS} reached: killing everything`);
  killAllSync();
  process.exit(3);
}, C.timeoutS * 1000).unref();

// ---------------------------------------------------------------- targets
const SECRET = randomBytes(32).toString('hex');
const TENANT = 'bench-tenant';
const TOKEN = signJwt(SECRET, { sub: 'bench-user', tenantId: TENANT, ttlSeconds: 6 * 3600 });

function targetDef(kind) {
  const common = {
    PATH: E.PATH,
    HOME: E.HOME || '/root',
    LANG: E.LANG || 'C.UTF-8',
    NODE_ENV: 'production',
    JWT_SECRET: SECRET,
    HITL_TIMEOUT_SECONDS: '3600',
    SSE_HEARTBEAT_SECONDS: String(C.heartbeatS),
    DEMO_STEP_DELAY_MS: String(C.delayMs),
    LOG_LEVEL: 'warn',
    EVENTS_BROADCAST: 'false',
    BENCH_PROBE_DIR: workDir,
    // One user holds every paused run of the bench: it measures capacity, not the limits policy.
    MAX_ACTIVE_RUNS_PER_USER: '1000000',
    MAX_ACTIVE_RUNS_PER_TENANT: '1000000',
    MAX_STREAMS_PER_USER: '1000000',
  };
  if (kind === 'service') {
    const script = path.resolve(ROOT, C.serviceCmd);
    return { kind, script, cwd: ROOT, env: common, available: existsSync(script) ? null : `${C.serviceCmd} not found (run npm run build)` };
  }
  // the floors: one server, FLOOR_MODE picks raw or durable and FLOOR_HTTP node:http or Nest (bench/baseline/server.mjs)
  const floor = (mode, http) => ({ kind, script: path.join(HERE, 'baseline', 'server.mjs'), cwd: ROOT, env: { ...common, FLOOR_MODE: mode, FLOOR_HTTP: http }, available: null });
  if (kind === 'baseline') return floor('raw', 'node');
  if (kind === 'durable') return floor('durable', 'node');
  if (kind === 'nest') return floor('durable', 'nest');
  throw new Error(`unknown target ${kind} (service | baseline | durable | nest)`);
}

// ---------------------------------------------------------------- load process
let load = null;
async function startLoad() {
  const inst = await startInstance({
    name: 'load',
    script: path.join(HERE, 'load.mjs'),
    nodeArgs: ['--max-old-space-size=8192', ...(E.BENCH_LOAD_NODE_ARGS ? E.BENCH_LOAD_NODE_ARGS.split(' ') : [])],
    env: { PATH: E.PATH, HOME: E.HOME || '/root' },
    cwd: ROOT,
    logFile: path.join(workDir, 'load.log'),
    fdLimit: FD_EFFECTIVE,
    ipc: true,
  });
  let seq = 0;
  const pending = new Map();
  const ready = new Promise((resolve) => {
    inst.child.on('message', (m) => {
      if (m && m.ready) return resolve();
      const p = pending.get(m && m.id);
      if (!p) return;
      pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(m.error));
    });
  });
  inst.child.on('exit', (code, sig) => {
    for (const p of pending.values()) p.reject(new Error(`load process exited (${code ?? sig}): ${inst.tail().slice(-500)}`));
    pending.clear();
  });
  await withTimeout(ready, 10000, 'load process ready');
  inst.call = (cmd, args, timeoutMs) => {
    const id = ++seq;
    const p = new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
    inst.child.send({ id, cmd, args });
    return withTimeout(p, timeoutMs, `load ${cmd}`).catch((e) => {
      pending.delete(id);
      throw e;
    });
  };
  return inst;
}

// ---------------------------------------------------------------- helpers
async function redisConnsOf(redis, inst) {
  const clients = await foreignClients(redis.admin);
  const ports = localPortsTo(inst.pid, redis.port);
  const mine = clients.filter((c) => ports.has(c.port));
  return { count: mine.length, names: mine.map((c) => c.name || '-'), cmds: mine.map((c) => c.cmd), allForeign: clients.length };
}

async function startPair(def, redis, tag) {
  const [pa, pb] = [await freePort(), await freePort()];
  const common = { script: def.script, nodeArgs: ['--expose-gc', '--require', GC_PROBE], cwd: def.cwd, fdLimit: FD_EFFECTIVE, readyTimeoutMs: 60000 };
  const env = { ...def.env, REDIS_URL: redis.url };
  const A = await startInstance({ ...common, name: `${def.kind}-A`, env, port: pa, logFile: path.join(workDir, `${tag}-A.log`) });
  let B;
  try {
    B = await startInstance({ ...common, name: `${def.kind}-B`, env, port: pb, logFile: path.join(workDir, `${tag}-B.log`) });
  } catch (e) {
    await A.stop();
    throw e;
  }
  await load.call('init', { aPort: pa, bPort: pb, token: TOKEN, tenantId: TENANT, localAddresses: C.localAddrs }, 10000);
  return { A, B };
}

async function stopPair(pair) {
  if (!pair) return;
  try {
    await load.call('closeAll', {}, 20000);
  } catch (e) {
    log(`closeAll: ${e.message}`);
  }
  await sleep(300);
  await Promise.all([pair.A.stop(), pair.B.stop()]);
}

async function warmup(tag) {
  const w = await load.call('warmupRuns', { count: C.warmupRuns, concurrency: 20, prefix: `${tag}-warm`, timeoutMs: 60000 }, 70000);
  if (w.finished < w.count || w.errorCount) log(`warm-up: ${w.finished}/${w.count} finished, errors: ${w.errors.join('; ')}`);
  return w;
}

function deadOrAlive(pair) {
  const dead = [pair.A, pair.B].filter((i) => !i.isAlive());
  return dead.length ? dead.map((i) => `${i.name} died ${JSON.stringify(i.exitInfo())}: ${i.tail().trim().split('\n').slice(-3).join(' | ')}`).join('; ') : null;
}

// ---------------------------------------------------------------- scenarios
/** Waits (at most BENCH_WAIT_QUIET_S) until other processes use < 20% of a core over 2 s. */
async function waitQuiet(tag) {
  if (!(C.waitQuietS > 0)) return null;
  const until = Date.now() + C.waitQuietS * 1000;
  let other;
  for (;;) {
    const snap = cpuSnap({ load: load.pid });
    await sleep(2000);
    other = cpuSince(snap).other;
    if (other < 20) return other;
    if (Date.now() > until) {
      log(`${tag}: machine still busy (${other}% of a core) after ${C.waitQuietS} s: measuring anyway`);
      return other;
    }
  }
}

async function scenarioPaused(def, redis, nRequested, tag) {
  await waitQuiet(tag);
  const n = Math.min(nRequested, N_MAX);
  const res = { n: nRequested, nUsed: n };
  if (n < nRequested) {
    res.capped = `N=${nRequested} capped to ${n}: file-descriptor limit ${FD_EFFECTIVE} per process (hard limit ${FD_HARD}; raising it needs CAP_SYS_RESOURCE) minus ${C.fdHeadroom} headroom`;
    log(`${tag}: ${res.capped}`);
  }
  let pair;
  try {
    if (!redis.external) await redis.admin.flushall();
    pair = await startPair(def, redis, tag);
    const { A, B } = pair;
    res.fdLimit = A.fdLimit;
    res.warmup = await warmup(tag);
    await sleep(500);
    res.connsIdleA = await redisConnsOf(redis, A);
    res.connsIdleB = await redisConnsOf(redis, B);
    res.memBefore = await measureMemory(A, workDir);
    res.idleCpuBeforePct = await idleCpu(A.pid);
    log(`${tag}: opening ${n} streams on A (${def.kind}, pid ${A.pid}), ${C.openConcurrency} at a time`);
    const cpu0 = cpuSnap({ A: A.pid, B: B.pid, load: load.pid, redis: redis.pid });
    res.open = await load.call('open', { n, concurrency: C.openConcurrency, prefix: `${tag}-p`, timeoutMs: Math.max(60000, n * 20) }, Math.max(60000, n * 20) + 15000);
    res.cpuOpen = cpuSince(cpu0);
    log(`${tag}: opened ${res.open.opened}/${n} in ${(res.open.ms / 1000).toFixed(2)} s, cpu% ${JSON.stringify(res.cpuOpen)}${res.open.failed ? `, failed ${res.open.failed}: ${res.open.errors.join('; ')}` : ''}`);
    await sleep(1000);
    res.memAfter = await measureMemory(A, workDir);
    res.fdsA = countFds(A.pid);
    res.connsPausedA = await redisConnsOf(redis, A);
    res.connsPausedB = await redisConnsOf(redis, B);
    res.loadStats = await load.call('stats', {}, 5000);
    // What holding them costs when nothing happens: heartbeats, the lease, the expiry sweep, GC.
    res.idleCpuPct = await idleCpu(A.pid);
    const opened = res.open.opened;
    res.rssPerRun = opened ? (res.memAfter.rss - res.memBefore.rss) / opened : NaN;
    res.heapPerRun = opened ? (res.memAfter.heapUsed - res.memBefore.heapUsed) / opened : NaN;
    const k = Math.min(C.approvals, opened);
    if (k > 0) {
      log(`${tag}: approving ${k} of ${opened} paused runs on B at ${C.rate}/s`);
      const sendMs = (k / C.rate) * 1000;
      const cpu1 = cpuSnap({ A: A.pid, B: B.pid, load: load.pid, redis: redis.pid });
      res.approve = await load.call('approve', { rate: C.rate, count: k, timeoutMs: sendMs + 30000, doneTimeoutMs: 20000 }, sendMs + 60000);
      res.cpuApprove = cpuSince(cpu1);
      const l = res.approve.latency;
      log(`${tag}: approve->resume p50 ${l.p50?.toFixed(2)} ms, p99 ${l.p99?.toFixed(2)} ms, max ${l.max?.toFixed(2)} ms; resumed ${res.approve.resumed}/${k}, done ${res.approve.completed}/${k}`);
    }
    res.connsAfterA = await redisConnsOf(redis, A);
    res.died = deadOrAlive(pair);
  } catch (e) {
    res.error = String(e.message || e);
    if (pair) res.died = deadOrAlive(pair);
    log(`${tag}: ERROR ${res.error}${res.died ? ` (${res.died})` : ''}`);
  } finally {
    await stopPair(pair);
  }
  return res;
}

/** CPU of a process (% of one core, two decimals' worth) over BENCH_IDLE_SECONDS of doing nothing asked. */
async function idleCpu(pid) {
  const ticks = cpuTicks(pid);
  const t0 = Date.now();
  await sleep(C.idleS * 1000);
  return ((cpuTicks(pid) - ticks) / 100 / ((Date.now() - t0) / 1000)) * 100;
}

function cpuTicks(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime (fields 14, 15)
  } catch {
    return NaN;
  }
}

/** Busy jiffies of the whole machine (all cpus, /proc/stat: everything but idle and iowait). */
function machineBusy() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return f[0] + f[1] + f[2] + f[5] + f[6] + f[7]; // user nice system irq softirq steal
  } catch {
    return NaN;
  }
}

/**
 * CPU use (% of one core) of named pids between cpuSnap() and cpuSince(), plus `other`: the rest
 * of the machine (anything not ours: another build or test run skews every figure).
 */
function cpuSnap(pids) {
  return { t: Date.now(), pids, busy: machineBusy(), ticks: Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpuTicks(p)])) };
}
function cpuSince(snap) {
  const secs = (Date.now() - snap.t) / 1000;
  const hz = 100; // USER_HZ
  const out = {};
  let ours = 0;
  for (const [k, p] of Object.entries(snap.pids)) {
    const d = cpuTicks(p) - snap.ticks[k];
    if (Number.isFinite(d)) ours += d;
    out[k] = Math.round((d / hz / secs) * 100);
  }
  out.other = Math.max(0, Math.round(((machineBusy() - snap.busy - ours) / hz / secs) * 100));
  return out;
}

async function scenarioThroughput(def, redis, tag) {
  await waitQuiet(tag);
  const res = {};
  let pair;
  try {
    if (!redis.external) await redis.admin.flushall();
    pair = await startPair(def, redis, tag);
    res.warmup = await warmup(tag);
    const cpu0 = cpuSnap({ A: pair.A.pid, B: pair.B.pid, load: load.pid, redis: redis.pid });
    log(`${tag}: throughput, ${C.tpConcurrency} concurrent streams for ${C.tpSeconds} s (delay ${C.delayMs} ms)`);
    res.tp = await load.call('throughput', { concurrency: C.tpConcurrency, durationMs: C.tpSeconds * 1000, warmupMs: 1000, prefix: `${tag}-t` }, C.tpSeconds * 1000 + 30000);
    res.cpu = cpuSince(cpu0);
    log(`${tag}: ${res.tp.eventsPerSec.toFixed(0)} events/s, ${res.tp.runsPerSec.toFixed(0)} runs/s, cpu% ${JSON.stringify(res.cpu)}${res.tp.errorCount ? `, errors: ${res.tp.errors.join('; ')}` : ''}`);
    res.died = deadOrAlive(pair);
  } catch (e) {
    res.error = String(e.message || e);
    if (pair) res.died = deadOrAlive(pair);
    log(`${tag}: ERROR ${res.error}`);
  } finally {
    await stopPair(pair);
  }
  return res;
}

/** INFO commandstats as {command: calls} (commands run inside scripts are counted too). */
async function commandStats(admin) {
  const out = {};
  for (const line of (await admin.info('commandstats')).split('\n')) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (m) out[m[1]] = Number(m[2]);
  }
  return out;
}
function commandsSince(before, after) {
  const d = {};
  for (const [k, v] of Object.entries(after)) {
    const x = v - (before[k] || 0);
    if (x > 0) d[k] = x;
  }
  if (d.info) d.info -= 1; // the bench's own INFO before the window
  if (!d.info) delete d.info;
  return d;
}

/**
 * Token scenario (service only): the service with AGENT=openai against the scripted model server
 * (bench/lib/llm-server.mjs), BENCH_TOKEN_RUNS runs at once, each one text-only model turn of
 * BENCH_TOKEN_SECONDS at BENCH_TOKEN_RATE tokens/s, watched with deltas=true. One instance: the
 * stream and the run are on it (nothing is approved).
 */
async function scenarioTokens(def, redis, tag, { runs = C.tokenRuns, cluster = null, modelFloorToo = true } = {}) {
  await waitQuiet(tag);
  const res = { runs, rate: C.tokenRate, seconds: C.tokenSeconds, flushMs: C.flushMs, cluster: Boolean(cluster) };
  let model;
  let A;
  try {
    if (!cluster && !redis.external) await redis.admin.flushall();
    model = await startInstance({ name: 'llm', script: path.join(HERE, 'lib', 'llm-server.mjs'), env: { PATH: E.PATH, LLM_TOKENS_PER_SEC: String(C.tokenRate), LLM_SECONDS: String(C.tokenSeconds) }, port: await freePort(), cwd: ROOT, fdLimit: FD_EFFECTIVE, logFile: path.join(workDir, `${tag}-llm.log`) });
    const env = {
      ...def.env,
      ...(cluster ? { REDIS_CLUSTER_NODES: cluster.nodeList } : { REDIS_URL: redis.url }),
      AGENT: 'openai',
      LLM_BASE_URL: `http://127.0.0.1:${model.port}/v1`,
      LLM_MODEL: 'bench-model',
      LLM_TIMEOUT_MS: '30000',
      STREAM_FLUSH_MS: String(C.flushMs),
    };
    if (cluster) delete env.REDIS_URL;
    A = await startInstance({ name: `${def.kind}-A`, script: def.script, nodeArgs: ['--expose-gc', '--require', GC_PROBE], cwd: def.cwd, fdLimit: FD_EFFECTIVE, readyTimeoutMs: 60000, env, port: await freePort(), logFile: path.join(workDir, `${tag}-A.log`) });
    await load.call('init', { aPort: A.port, bPort: A.port, token: TOKEN, tenantId: TENANT, localAddresses: C.localAddrs }, 10000);
    const warm = Math.min(20, runs);
    res.warmup = await load.call('tokens', { concurrency: warm, prefix: `${tag}-warm`, prompt: `bench tokens_per_sec=${C.tokenRate} seconds=1`, timeoutMs: 30000 }, 40000);
    if (res.warmup.done < warm) log(`${tag}: warm-up ${res.warmup.done}/${warm} done: ${res.warmup.errors.join('; ')}`);
    await sleep(500);
    log(`${tag}: ${runs} LLM runs at once, ${C.tokenRate} tokens/s for ${C.tokenSeconds} s each, deltas=true, STREAM_FLUSH_MS=${C.flushMs}${cluster ? ', on a 6-node cluster' : ''}`);
    const modelStats = async () => {
      try {
        return JSON.parse(await (await fetch(`${model.url}/stats`)).text());
      } catch {
        return null;
      }
    };
    await fetch(`${model.url}/stats/reset`, { method: 'POST' }).catch(() => {});
    const model0 = await modelStats();
    // Every master's INFO commandstats (one node: the one server), and the CPU of every Redis process.
    const nodes = cluster ? await cluster.masters() : [{ port: redis.port, pid: redis.pid, admin: redis.admin }];
    const stats0 = await Promise.all(nodes.map((n) => commandStats(n.admin)));
    const redisPids = cluster ? Object.fromEntries(cluster.pids.map((p, i) => [`redis${i}`, p])) : { redis: redis.pid };
    const cpu0 = cpuSnap({ service: A.pid, model: model.pid, load: load.pid, ...redisPids });
    const timeoutMs = C.tokenSeconds * 1000 * 3 + 30000;
    res.tok = await load.call('tokens', { concurrency: runs, prefix: `${tag}-r`, prompt: `bench tokens_per_sec=${C.tokenRate} seconds=${C.tokenSeconds}`, timeoutMs }, timeoutMs + 10000);
    const cpu = cpuSince(cpu0);
    const stats1 = await Promise.all(nodes.map((n) => commandStats(n.admin)));
    const perNode = nodes.map((n, i) => commandsSince(stats0[i], stats1[i]));
    res.commands = {};
    for (const c of perNode) for (const [k, v] of Object.entries(c)) res.commands[k] = (res.commands[k] || 0) + v;
    const totals = perNode.map((c) => Object.values(c).reduce((a, b) => a + b, 0));
    res.commandsTotal = totals.reduce((a, b) => a + b, 0);
    res.masters = nodes.map((n, i) => ({ port: n.port, commands: totals[i], share: res.commandsTotal ? totals[i] / res.commandsTotal : NaN }));
    res.redisCpu = Object.keys(redisPids).reduce((a, k) => a + (cpu[k] || 0), 0);
    res.cpu = { service: cpu.service, model: cpu.model, redis: res.redisCpu, load: cpu.load, other: cpu.other };
    res.commandsPerDelta = res.tok.deltaFrames ? res.commandsTotal / res.tok.deltaFrames : NaN;
    res.evalPerDelta = res.tok.deltaFrames ? ((res.commands.evalsha || 0) + (res.commands.eval || 0)) / res.tok.deltaFrames : NaN;
    const model1 = await modelStats();
    res.tokensSent = model0 && model1 ? model1.tokensSent - model0.tokensSent : NaN;
    res.modelCallsAtOnce = model1 ? model1.maxActive : NaN; // < runs: the service did not stream them all at once
    res.commandsPerToken = res.tok.tokens ? res.commandsTotal / res.tok.tokens : NaN;
    // Redis CPU time (ms, all its processes) per 1 000 tokens delivered.
    res.redisCpuMsPer1000Tokens = res.tok.tokens ? ((res.redisCpu / 100) * (res.tok.ms / 1000) * 1000 * 1000) / res.tok.tokens : NaN;
    const t = res.tok;
    log(`${tag}: ${t.done}/${t.runs} done, ${fmt(t.deltasPerSec, 0)} deltas/s (${fmt(t.tokensPerDelta, 2)} tokens each), latency p50 ${fmt(t.latency.p50, 1)} ms p99 ${fmt(t.latency.p99, 1)} ms (once all streamed: p99 ${fmt(t.latencyAllStreaming?.p99, 1)} ms), ${fmt(res.commandsPerDelta, 2)} Redis commands per delta, masters' shares ${res.masters.map((x) => fmt(x.share * 100, 0) + '%').join('/')}, Redis CPU ${fmt(res.redisCpuMsPer1000Tokens, 1)} ms per 1000 tokens, cpu% ${JSON.stringify(res.cpu)}${t.errorCount ? `, errors: ${t.errors.join('; ')}` : ''}`);
    res.died = [A, model].filter((i) => !i.isAlive()).map((i) => `${i.name} died ${JSON.stringify(i.exitInfo())}: ${i.tail().trim().split('\n').slice(-3).join(' | ')}`).join('; ') || null;
    await A.stop();
    A = null;
    if (modelFloorToo) res.modelFloor = await modelFloor(model, tag);
  } catch (e) {
    res.error = String(e.message || e);
    log(`${tag}: ERROR ${res.error}`);
  } finally {
    try {
      await load.call('closeAll', {}, 20000);
    } catch (e) {
      log(`closeAll: ${e.message}`);
    }
    await Promise.all([A?.stop(), model?.stop()]);
  }
  return res;
}

/** Capacity (issue 27): the token scenario at each of BENCH_CAPACITY_RUNS on one node, without the model floor. */
async function scenarioCapacity(def, redis, tag) {
  const out = [];
  for (const runs of C.capacityRuns) out.push(await scenarioTokens(def, redis, `${tag}-${runs}`, { runs, modelFloorToo: false }));
  return out;
}

/** The token scenario on a private 6-node cluster (3 masters), for the spread over the masters (issue 27). */
async function scenarioClusterTokens(def, tag) {
  let cluster;
  try {
    cluster = await startCluster();
    return await scenarioTokens(def, null, tag, { cluster, modelFloorToo: false });
  } catch (e) {
    log(`${tag}: ERROR ${e.message}`);
    return { error: String(e.message || e) };
  } finally {
    await cluster?.stop();
  }
}

/**
 * The model-stream floor: the same turns read with no service around them
 * (bench/baseline/model-probe.mjs), once through the OpenAI client stream the LLM agent uses and
 * once through node:http with JSON.parse, so the report can tell what reading the model costs.
 */
async function modelFloor(model, tag) {
  const out = {};
  for (const mode of ['sdk', 'http']) {
    await waitQuiet(`${tag}-${mode}`);
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [path.join(HERE, 'baseline', 'model-probe.mjs')], {
        cwd: ROOT,
        env: { PATH: E.PATH, PROBE_MODE: mode, RUNS: String(C.tokenRuns), LLM_URL: `${model.url}/v1`, PROMPT: `bench tokens_per_sec=${C.tokenRate} seconds=${C.tokenSeconds}` },
        timeout: C.tokenSeconds * 1000 * 4 + 60000,
      });
      out[mode] = JSON.parse(stdout.trim().split('\n').at(-1));
      const r = out[mode];
      log(`${tag}: model stream alone (${mode}): ${r.tokens} tokens, latency p50 ${fmt(r.latency.p50, 1)} ms p99 ${fmt(r.latency.p99, 1)} ms, CPU ${fmt(r.cpuPct, 0)}% of a core`);
    } catch (e) {
      out[mode] = { error: String(e.message || e).split('\n')[0] };
      log(`${tag}: model stream alone (${mode}): ERROR ${out[mode].error}`);
    }
  }
  return out;
}

// ---------------------------------------------------------------- report
/**
 * What an open SSE stream costs with nothing else, in the same run: bench/baseline/sse-probe.cjs as
 * raw node:http and as a bare NestJS @Sse route (no guard, logger, Redis or run), each holding the
 * largest N of open streams, memory read as for the paused runs. Tells how much of the service's
 * memory per paused run the framework path the contract mandates costs before any work of ours.
 */
async function scenarioFramework() {
  const n = Math.min(Math.max(...C.ns), N_MAX);
  const out = { n, modes: {} };
  for (const mode of ['raw', 'nest']) {
    const tag = `framework-${mode}`;
    await waitQuiet(tag);
    let inst;
    const res = (out.modes[mode] = {});
    try {
      const port = await freePort();
      inst = await startInstance({
        name: tag,
        script: path.join(HERE, 'baseline', 'sse-probe.cjs'),
        nodeArgs: ['--expose-gc', '--require', GC_PROBE],
        env: { PATH: E.PATH, HOME: E.HOME || '/root', NODE_ENV: 'production', PROBE_MODE: mode, BENCH_PROBE_DIR: workDir },
        port,
        cwd: ROOT,
        fdLimit: FD_EFFECTIVE,
        logFile: path.join(workDir, `${tag}.log`),
      });
      await load.call('init', { aPort: port, bPort: port, token: TOKEN, tenantId: TENANT, localAddresses: C.localAddrs }, 10000);
      // Warm up the route (code, caches) the way the instances are warmed up before the paused runs.
      await load.call('open', { n: 100, concurrency: 20, prefix: `${tag}-warm`, timeoutMs: 30000 }, 40000);
      await load.call('closeAll', {}, 20000);
      await load.call('init', { aPort: port, bPort: port, token: TOKEN, tenantId: TENANT, localAddresses: C.localAddrs }, 10000);
      await sleep(500);
      res.memBefore = await measureMemory(inst, workDir);
      res.open = await load.call('open', { n, concurrency: C.openConcurrency, prefix: `${tag}-p`, timeoutMs: Math.max(60000, n * 20) }, Math.max(60000, n * 20) + 15000);
      await sleep(1000);
      res.memAfter = await measureMemory(inst, workDir);
      const opened = res.open.opened;
      res.rssPerStream = opened ? (res.memAfter.rss - res.memBefore.rss) / opened : NaN;
      res.heapPerStream = opened ? (res.memAfter.heapUsed - res.memBefore.heapUsed) / opened : NaN;
      log(`${tag}: ${opened}/${n} streams open: RSS ${fmt(res.rssPerStream / 1024, 1)} KB, heap ${fmt(res.heapPerStream / 1024, 1)} KB per stream`);
    } catch (e) {
      res.error = String(e.message || e);
      log(`${tag}: ERROR ${res.error}`);
    } finally {
      try {
        await load.call('closeAll', {}, 20000);
      } catch {
        /* the load process reports its own errors */
      }
      if (inst) await inst.stop();
    }
  }
  return out;
}

/** What one instance of the service would need for 100 000 paused runs, from the per-run figures at the largest N. */
function estimateSection(results, labels) {
  const si = labels.findIndex((l) => l.startsWith('service'));
  if (si < 0) return null;
  const nMax = Math.max(...C.ns);
  const p = results[si].paused.find((x) => x.n === nMax);
  if (!p || !p.memAfter || !Number.isFinite(p.rssPerRun)) return null;
  const n = p.open.opened;
  const target = 100000;
  const gb = (b) => fmt(b / 2 ** 30, 2);
  const rss = p.memBefore.rss + p.rssPerRun * target;
  const heap = p.memBefore.heapUsed + p.heapPerRun * target;
  // The part that grows with the runs, scaled; the instance's own (lease, sweeps) once.
  const idle = p.idleCpuBeforePct + ((p.idleCpuPct - p.idleCpuBeforePct) / n) * target;
  const openS = target / (n / (p.open.ms / 1000));
  return [
    `From the service's figures at N=${n} (linear in the number of paused runs; the descriptor limit must allow ${target} sockets):`,
    '',
    `- memory: ${gb(rss)} GiB RSS (${gb(p.memBefore.rss)} GiB at rest + ${fmt(p.rssPerRun / 1024, 1)} KB x ${target}), of which ${gb(heap)} GiB V8 heap: start Node with \`--max-old-space-size\` above ${Math.ceil((heap / 2 ** 20) * 1.25 / 256) * 256} (MB)`,
    `- CPU while they wait: ${fmt(idle, 0)}% of a core (idle over ${C.idleS} s: ${fmt(p.idleCpuBeforePct, 2)}% with no run, ${fmt(p.idleCpuPct, 2)}% with ${n} paused: heartbeats every SSE_HEARTBEAT_SECONDS=${C.heartbeatS} s, the instance lease, the expiry sweep, GC; the difference scaled to ${target})`,
    `- opening them at this run's open rate: ${fmt(openS / 60, 1)} min`,
  ].join('\n');
}

/** The framework scenario against the service's paused runs at the same N. */
function frameworkSection(framework, results, labels) {
  if (!framework) return null;
  const { raw, nest } = framework.modes;
  const si = labels.findIndex((l) => l.startsWith('service'));
  const sp = si >= 0 ? results[si].paused.find((x) => x.nUsed === framework.n || x.n === framework.n) : null;
  const kb = (v) => fmt(v / 1024, 1);
  const x = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b ? `${fmt(a / b, 2)}x` : 'n/a');
  const rows = [
    ['| | RSS per open stream (KB) | heap per open stream (KB) | RSS vs raw | heap vs raw |', '|---|---:|---:|---:|---:|'],
    [`| raw node:http (\`sse-probe.cjs\`, \`PROBE_MODE=raw\`) | ${kb(raw?.rssPerStream)} | ${kb(raw?.heapPerStream)} | 1.00x | 1.00x |`],
    [`| bare NestJS @Sse route (\`PROBE_MODE=nest\`) | ${kb(nest?.rssPerStream)} | ${kb(nest?.heapPerStream)} | ${x(nest?.rssPerStream, raw?.rssPerStream)} | ${x(nest?.heapPerStream, raw?.heapPerStream)} |`],
  ];
  if (sp) rows.push([`| the service, per paused run at N=${sp.n} (table above) | ${kb(sp.rssPerRun)} | ${kb(sp.heapPerRun)} | ${x(sp.rssPerRun, raw?.rssPerStream)} | ${x(sp.heapPerRun, raw?.heapPerStream)} |`]);
  const errors = [raw, nest].filter((m) => m?.error).map((m) => `- error: ${m.error}`);
  return `${framework.n} streams held open on each, one event sent on each, memory read after a full GC as for the paused runs.\n\n${rows.flat().join('\n')}${errors.length ? `\n\n${errors.join('\n')}` : ''}`;
}

function machine() {
  const sh = (cmd, args) => {
    try {
      return execFileSync(cmd, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return null;
    }
  };
  let portRange = null;
  try {
    portRange = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  } catch {
    /* not linux */
  }
  const commit = sh('git', ['rev-parse', '--short', 'HEAD']);
  const dirty = sh('git', ['status', '--porcelain']);
  return {
    date: new Date().toISOString(),
    cores: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    totalMemGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    kernel: `${os.type()} ${os.release()}`,
    redis: sh('redis-server', ['--version'])?.match(/v=(\S+)/)?.[1] || null,
    commit: commit ? `${commit}${dirty ? ' (+ uncommitted changes)' : ''}` : 'none (no commits yet)',
    portRange,
  };
}

const fmt = (v, d = 1) => (v === undefined || v === null || Number.isNaN(v) ? 'n/a' : typeof v === 'number' ? v.toFixed(d) : String(v));

function buildRows(results, labels) {
  const rows = []; // {metric, values[], ratio?: bool, d}
  const get = (t, f) => {
    try {
      return f(results[t]);
    } catch {
      return undefined;
    }
  };
  const add = (metric, f, d = 1, ratio = true) => rows.push({ metric, values: labels.map((_, i) => get(i, f)), d, ratio });
  for (const n of C.ns) {
    const p = (r) => r.paused.find((x) => x.n === n);
    add(`N=${n}: paused runs opened`, (r) => (p(r).capped ? `${p(r).open.opened} (capped)` : p(r).open.opened), 0, false);
    add(`N=${n}: time to open all (s)`, (r) => p(r).open.ms / 1000, 2);
    add(`N=${n}: open rate (runs/s)`, (r) => p(r).open.opened / (p(r).open.ms / 1000), 0);
    add(`N=${n}: CPU% while opening A / load / other`, (r) => `${p(r).cpuOpen.A} / ${p(r).cpuOpen.load} / ${p(r).cpuOpen.other}`, 0, false);
    add(`N=${n}: RSS per paused run (KB)`, (r) => p(r).rssPerRun / 1024, 1);
    add(`N=${n}: heap per paused run (KB)`, (r) => p(r).heapPerRun / 1024, 1);
    add(`N=${n}: RSS of A, paused (MB)`, (r) => p(r).memAfter.rss / 2 ** 20, 0);
    add(`N=${n}: CPU% of A idle, before / with them paused (${C.idleS} s each)`, (r) => `${fmt(p(r).idleCpuBeforePct, 2)} / ${fmt(p(r).idleCpuPct, 2)}`, 0, false);
    add(`N=${n}: Redis conns of A idle / paused`, (r) => `${p(r).connsIdleA.count} / ${p(r).connsPausedA.count}`, 0, false);
    add(`N=${n}: approve->resume p50 (ms)`, (r) => p(r).approve.latency.p50, 2);
    add(`N=${n}: approve->resume p99 (ms)`, (r) => p(r).approve.latency.p99, 2);
    add(`N=${n}: approve->resume max (ms)`, (r) => p(r).approve.latency.max, 2);
    add(`N=${n}: approve HTTP p50 (ms)`, (r) => p(r).approve.approveHttp.p50, 2);
    add(`N=${n}: resumed / done / sampled`, (r) => `${p(r).approve.resumed} / ${p(r).approve.completed} / ${p(r).approve.approvals}`, 0, false);
  }
  add(`throughput: events/s (${C.tpConcurrency} streams)`, (r) => r.throughput.tp.eventsPerSec, 0);
  add('throughput: runs/s', (r) => r.throughput.tp.runsPerSec, 0);
  add('throughput: events per run', (r) => r.throughput.tp.eventsPerRun, 1, false);
  add('throughput: run p50 (ms)', (r) => r.throughput.tp.runLatency.p50, 1);
  add('throughput: CPU% A / B / load / redis / other', (r) => `${r.throughput.cpu.A} / ${r.throughput.cpu.B} / ${r.throughput.cpu.load} / ${r.throughput.cpu.redis} / ${r.throughput.cpu.other}`, 0, false);
  return rows;
}

/**
 * The ratio columns: the first target against each other one, then durable/baseline (what
 * durability costs on its own) and nest/durable (what the framework costs) when neither is first.
 */
function ratioPairs(labels) {
  const pairs = labels.slice(1).map((_, i) => [0, i + 1]);
  const [b, d, n] = ['baseline', 'durable', 'nest'].map((k) => labels.indexOf(k));
  if (d > 0 && b > 0) pairs.push([d, b]);
  if (n > 0 && d > 0) pairs.push([n, d]);
  return pairs;
}

function table(rows, labels) {
  const pairs = ratioPairs(labels);
  const head = ['metric', ...labels, ...pairs.map(([a, b]) => `ratio ${labels[a]}/${labels[b]}`)];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const r of rows) {
    const cells = r.values.map((v) => fmt(v, r.d));
    for (const [i, j] of pairs) {
      const [a, b] = [r.values[i], r.values[j]];
      cells.push(r.ratio && typeof a === 'number' && typeof b === 'number' && b !== 0 && Number.isFinite(a / b) ? `${(a / b).toFixed(2)}x` : '');
    }
    lines.push(`| ${r.metric} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

function targetsCheck(results, labels) {
  const find = (k) => {
    const i = labels.findIndex((l) => l.startsWith(k));
    return i >= 0 ? results[i] : null;
  };
  const [s, b, d, n] = ['service', 'baseline', 'durable', 'nest'].map(find);
  if (!s || !b) return null;
  const nMax = Math.max(...C.ns);
  const nMin = Math.min(...C.ns);
  const at = (r, k) => r.paused.find((x) => x.n === k);
  const out = [];
  const ratio = (a, b2, digits = 2) => `${fmt(a, digits)} vs ${fmt(b2, digits)} = ${fmt(a / b2, 2)}x`;
  // Issue 14's table: each figure of the service as a ratio to the floors measured in this run. A
  // ratio target is also applied to the Nest floor: where the bare framework misses it too, the
  // service cannot meet it while it serves the contract's @Sse route.
  const check = (what, f, floorToo = true) => {
    let line;
    try {
      const [ok, detail] = f(s);
      line = `- ${ok ? 'PASS' : 'FAIL'} ${what}: ${detail}`;
    } catch {
      out.push(`- n/a  ${what}: not measured in this run`);
      return;
    }
    if (n && floorToo) {
      try {
        const [ok, detail] = f(n);
        line += `; the Nest floor: ${detail}, ${ok ? 'within the target' : 'beyond the target on its own'}`;
      } catch {
        /* the Nest floor did not measure it */
      }
    }
    out.push(line);
  };
  const byN = (get, limit, atLeast, digits, unit) => (r) => {
    const [a, z] = [get(at(r, nMax)), get(at(b, nMax))];
    return [atLeast ? a / z >= limit : a / z <= limit, `${ratio(a, z, digits)} (${unit})`];
  };
  check(`RSS per paused run at N=${nMax} <= 2x the raw floor`, byN((p) => p.rssPerRun / 1024, 2, false, 1, 'KB'));
  check(`heap per paused run at N=${nMax} <= 2.5x the raw floor`, byN((p) => p.heapPerRun / 1024, 2.5, false, 1, 'KB'));
  check(`RSS per paused run flat from N=${nMin} to N=${nMax} (within 15%)`, (r) => {
    if (nMin === nMax) throw new Error('needs two N');
    const [lo, hi] = [at(r, nMin).rssPerRun, at(r, nMax).rssPerRun];
    const change = (hi - lo) / lo;
    return [Math.abs(change) <= 0.15, `${fmt(lo / 1024, 1)} -> ${fmt(hi / 1024, 1)} KB (${change >= 0 ? '+' : ''}${fmt(change * 100, 0)}%)`];
  });
  check(`approve->resume p50 at N=${nMax} <= 1.5x the raw floor`, byN((p) => p.approve.latency.p50, 1.5, false, 2, 'ms'));
  check(`approve->resume p99 at N=${nMax} <= 2x the raw floor`, byN((p) => p.approve.latency.p99, 2, false, 2, 'ms'));
  check(`open rate at N=${nMax} >= 0.6x the raw floor`, byN((p) => p.open.opened / (p.open.ms / 1000), 0.6, true, 0, 'runs/s'));
  const tp = (r) => r.throughput.tp.eventsPerSec;
  check('throughput >= 0.5x the raw floor', (r) => [tp(r) / tp(b) >= 0.5, `${ratio(tp(r), tp(b), 0)} (events/s)`]);
  if (d) check('throughput >= 0.9x the durable floor', (r) => [tp(r) / tp(d) >= 0.9, `${ratio(tp(r), tp(d), 0)} (events/s)`]);
  check(
    'Redis connections per instance <= 3 at every N',
    (r) => {
      const counts = r.paused.flatMap((x) => [x.connsIdleA.count, x.connsPausedA.count]);
      return [Math.max(...counts) <= 3, `idle/paused per N: ${r.paused.map((x) => `${x.n}: ${x.connsIdleA.count}/${x.connsPausedA.count}`).join(', ')}`];
    },
    false,
  );
  return out.join('\n');
}

/**
 * Splits the service's cost over the raw floor, for the figures that matter at the largest N:
 * durable/baseline is what durability costs (the log, the publish, the watcher on the shared
 * subscriber); with the Nest floor, nest/durable is what the framework costs and service/nest what
 * the service's own work costs; without it, service/durable is both.
 */
function costSplit(results, labels) {
  const [si, di, bi, ni] = ['service', 'durable', 'baseline', 'nest'].map((k) => labels.indexOf(k));
  if (si < 0 || di < 0 || bi < 0) return null;
  const nMax = Math.max(...C.ns);
  const p = (r) => r.paused.find((x) => x.n === nMax);
  const metrics = [
    [`RSS per paused run at N=${nMax}`, (r) => p(r).rssPerRun / 1024, 'KB', 1],
    [`heap per paused run at N=${nMax}`, (r) => p(r).heapPerRun / 1024, 'KB', 1],
    [`open rate at N=${nMax}`, (r) => p(r).open.opened / (p(r).open.ms / 1000), 'runs/s', 0],
    [`approve->resume p50 at N=${nMax}`, (r) => p(r).approve.latency.p50, 'ms', 2],
    [`approve->resume p99 at N=${nMax}`, (r) => p(r).approve.latency.p99, 'ms', 2],
    ['throughput', (r) => r.throughput.tp.eventsPerSec, 'events/s', 0],
  ];
  const x = (a, b) => (b ? `${fmt(a / b, 2)}x` : 'n/a');
  const value = (i, f) => {
    try {
      const v = i >= 0 ? f(results[i]) : NaN;
      return Number.isFinite(v) ? v : NaN;
    } catch {
      return NaN;
    }
  };
  const out = [];
  for (const [name, f, unit, d] of metrics) {
    const [sv, dv, bv, nv] = [si, di, bi, ni].map((i) => value(i, f));
    if (![sv, dv, bv].every(Number.isFinite)) {
      out.push(`- ${name}: n/a`);
      continue;
    }
    if (Number.isFinite(nv)) {
      out.push(
        `- ${name}: service ${fmt(sv, d)}, Nest floor ${fmt(nv, d)}, durable floor ${fmt(dv, d)}, raw floor ${fmt(bv, d)} ${unit}: ` +
          `durability ${x(dv, bv)} (durable/baseline), framework ${x(nv, dv)} (nest/durable), the service's own work ${x(sv, nv)} (service/nest)`,
      );
    } else {
      out.push(`- ${name}: service ${fmt(sv, d)}, durable floor ${fmt(dv, d)}, raw floor ${fmt(bv, d)} ${unit}: durability ${x(dv, bv)} (durable/baseline), framework and the rest ${x(sv, dv)} (service/durable)`);
    }
  }
  return out.join('\n');
}

/** Where in the scenario the latency is: by second since the streams were opened, and once every run streams. */
function latencyOverTime(t) {
  if (!t.latencyBySecond) return [];
  const a = t.latencyAllStreaming;
  const series = t.latencyBySecond.map((b) => `${b.s}-${b.s + 1} s ${b.count}: ${fmt(b.p50, 0)} / ${fmt(b.p99, 0)}`).join('; ');
  return [
    `  - once every run was streaming (tokens read from ${fmt(t.allStreamingAfterS, 1)} s, 1 s after the last run's first delta frame, on): ${a.count} tokens, p50 ${fmt(a.p50, 1)} ms, p99 ${fmt(a.p99, 1)} ms, max ${fmt(a.max, 1)} ms`,
    `  - by second since the streams were opened (tokens read in it: p50 / p99 ms): ${series}`,
  ];
}

/**
 * The token scenario's figures and its two targets (issue 14): delivery p99 <= STREAM_FLUSH_MS +
 * 25 ms, Redis commands per delta <= 0.2. Null when it did not run.
 */
function tokensSection(results, labels) {
  const i = results.findIndex((r) => r.tokens);
  if (i < 0) return null;
  const r = results[i].tokens;
  const head = `${labels[i]}, AGENT=openai against bench/lib/llm-server.mjs: ${r.runs} runs at once, one text-only model turn each of ${r.seconds} s at ${r.rate} tokens/s, watched with deltas=true; STREAM_FLUSH_MS=${r.flushMs}`;
  if (r.error || !r.tok) return `${head}\n\n- not measured: ${r.error || 'no result'}`;
  const t = r.tok;
  const pf = (ok) => (ok === undefined ? 'n/a ' : ok ? 'PASS' : 'FAIL');
  const latTarget = r.flushMs + 25;
  const cmdTop = Object.entries(r.commands || {})
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([k, v]) => `${k} ${fmt(v / t.deltaFrames, 2)}`)
    .join(', ');
  const lines = [
    `- runs done: ${t.done} / ${t.runs}${Object.keys(t.status).length ? ` (status ${Object.entries(t.status).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}; tokens read ${t.tokens} of ${fmt(r.tokensSent, 0)} sent by the model server; at most ${fmt(r.modelCallsAtOnce, 0)} model turns streaming at once; ${fmt(t.ms / 1000, 1)} s from opening the streams to the last \`done\``,
    `- deltas delivered: ${fmt(t.deltasPerSec, 0)} frames/s read by the clients (${t.deltaFrames} frames over ${fmt(t.deltaSpanS, 1)} s, ${fmt(t.tokensPerDelta, 2)} tokens per frame; ${fmt(t.tokensPerSec, 0)} tokens/s)`,
    `- ${pf(t.latency.p99 <= latTarget)} delivery latency (token leaves the model server -> frame read by the client): p50 ${fmt(t.latency.p50, 1)} ms, p99 ${fmt(t.latency.p99, 1)} ms, max ${fmt(t.latency.max, 1)} ms, min ${fmt(t.latencyMin, 1)} ms (target p99 <= STREAM_FLUSH_MS + 25 = ${latTarget} ms)`,
    ...latencyOverTime(t),
    `- ${pf(r.commandsPerDelta <= 0.2)} Redis commands per delta: ${fmt(r.commandsPerDelta, 2)} (${r.commandsTotal} commands in INFO commandstats over the scenario, those run inside scripts included / ${t.deltaFrames} delta frames; EVAL/EVALSHA alone ${fmt(r.evalPerDelta, 2)}; per model token ${fmt(r.commandsPerToken, 2)}; target <= 0.2). Per delta by command: ${cmdTop || 'n/a'}`,
    `- CPU% over the scenario (% of one core): service ${r.cpu.service}, model server ${r.cpu.model}, Redis ${r.cpu.redis}, load ${r.cpu.load}, other ${r.cpu.other}`,
  ];
  // The model-stream floor: the same turns read by one process with no service around them.
  const floor = (m, what) => {
    const f = r.modelFloor?.[m];
    if (!f) return null;
    if (f.error) return `  - ${what}: not measured (${f.error})`;
    return `  - ${what}: ${f.tokens} tokens of ${f.turnsDone}/${f.runs} turns, latency (send -> token in hand) p50 ${fmt(f.latency.p50, 1)} ms, p99 ${fmt(f.latency.p99, 1)} ms, max ${fmt(f.latency.max, 1)} ms; CPU ${fmt(f.cpuPct, 0)}% of a core over ${fmt(f.seconds, 1)} s; ${f.latency.p99 <= latTarget ? 'within' : 'beyond'} the ${latTarget} ms target on its own`;
  };
  const floors = [floor('sdk', 'the OpenAI client stream the LLM agent reads (`openai` chat.completions.create, stream with usage)'), floor('http', 'node:http, split on blank lines, JSON.parse per chunk (the cheapest reader)')].filter(Boolean);
  if (floors.length) lines.push(`- the model stream alone, no service (\`bench/baseline/model-probe.mjs\`, the same ${r.runs} turns at once after a warm-up):\n${floors.join('\n')}`);
  return `${head}\n\n${lines.join('\n')}`;
}

function limitsHit(results, labels) {
  const notes = [];
  results.forEach((r, i) => {
    if (r.error) notes.push(`${labels[i]}: ${r.error}`);
    for (const p of r.paused || []) {
      const errs = [...(p.open?.errors || []), ...(p.approve?.errors || [])];
      if (p.error) notes.push(`${labels[i]} N=${p.n}: ${p.error}`);
      if (p.died) notes.push(`${labels[i]} N=${p.n}: ${p.died}`);
      if (p.capped) notes.push(`${labels[i]} ${p.capped}`);
      for (const [phase, c] of [['opening', p.cpuOpen], ['approving', p.cpuApprove]]) {
        if (c && c.other > 15) notes.push(`${labels[i]} N=${p.n}: other processes used ${c.other}% of a core while ${phase}: the machine was not quiet, the figures are skewed`);
      }
      if (p.open && p.open.opened < p.nUsed) notes.push(`${labels[i]} N=${p.nUsed}: only ${p.open.opened}/${p.nUsed} streams reached their hitl (${errs.join('; ') || 'timeout'})`);
      if (errs.some((e) => /EMFILE|ENFILE/.test(e)) || (p.fdsA && p.fdLimit && p.fdsA >= p.fdLimit - 5)) notes.push(`${labels[i]} N=${p.n}: file-descriptor limit hit (limit ${p.fdLimit}, fds of A ${p.fdsA})`);
      if (errs.some((e) => /EADDRNOTAVAIL/.test(e))) notes.push(`${labels[i]} N=${p.n}: out of ephemeral ports (EADDRNOTAVAIL): add source addresses with BENCH_LOCAL_ADDRS`);
    }
    if (r.throughput?.cpu?.other > 15) notes.push(`${labels[i]} throughput: other processes used ${r.throughput.cpu.other}% of a core during the window: the machine was not quiet, the figures are skewed`);
    if (r.throughput?.error) notes.push(`${labels[i]} throughput: ${r.throughput.error}`);
    if (r.throughput?.died) notes.push(`${labels[i]} throughput: ${r.throughput.died}`);
    for (const [what, x] of [['cluster tokens', r.clusterTokens], ...(r.capacity ?? []).map((c) => [`capacity ${c.runs}`, c])]) {
      if (x?.error) notes.push(`${labels[i]} ${what}: ${x.error}`);
      if (x?.died) notes.push(`${labels[i]} ${what}: ${x.died}`);
      if (x?.tok && (x.tok.errorCount || x.tok.done < x.tok.runs)) notes.push(`${labels[i]} ${what}: ${x.tok.done}/${x.tok.runs} runs done, ${x.tok.errorCount} errors (${x.tok.errors.slice(0, 3).join('; ')})`);
    }
    const k = r.tokens;
    if (k?.error) notes.push(`${labels[i]} tokens: ${k.error}`);
    if (k?.died) notes.push(`${labels[i]} tokens: ${k.died}`);
    if (k?.cpu?.other > 15) notes.push(`${labels[i]} tokens: other processes used ${k.cpu.other}% of a core during the scenario: the machine was not quiet, the figures are skewed`);
    if (k?.tok && (k.tok.errorCount || k.tok.done < k.tok.runs)) notes.push(`${labels[i]} tokens: ${k.tok.done}/${k.tok.runs} runs done, ${k.tok.errorCount} errors (${k.tok.errors.join('; ')})`);
    if (r.throughput?.tp?.errorCount) notes.push(`${labels[i]} throughput: ${r.throughput.tp.errorCount} stream/approve errors (${r.throughput.tp.errors.join('; ')})`);
  });
  return notes;
}

/**
 * Issue 27's target table, its row names as the issue gives them: each figure of this run, as a
 * ratio where the target is one; plus the capacity line and Redis CPU per 1 000 tokens.
 */
function targets27(results, labels) {
  const s = results[labels.findIndex((l) => l.startsWith('service'))];
  const n = results[labels.findIndex((l) => l.startsWith('nest'))];
  if (!s) return null;
  const nMax = Math.max(...C.ns);
  const at = (r) => r?.paused?.find((x) => x.n === nMax);
  const rows = [];
  const row = (name, target, value, ok, detail) =>
    rows.push(`| ${name} | ${target} | ${Number.isFinite(value) ? fmt(value, value < 10 ? 2 : 0) : 'n/a'} | ${Number.isFinite(value) ? (ok(value) ? 'met' : 'missed') : 'not measured'} | ${detail} |`);
  const ratio = (get, r1, r2) => {
    try {
      return get(r1) / get(r2);
    } catch {
      return NaN;
    }
  };
  const tok = s.tokens;
  const cl = s.clusterTokens;
  row('Redis commands per delta frame', '≤ 2.2', tok?.commandsPerDelta, (v) => v <= 2.2, tok ? `${tok.commandsTotal} commands / ${tok.tok?.deltaFrames} frames (single node, ${tok.runs} runs)` : '');
  const busiest = cl?.masters?.length ? Math.max(...cl.masters.map((m) => m.share)) : NaN;
  row("cluster: busiest master's share of commands (token scenario on a 3-master cluster)", '≤ 40 %', busiest * 100, (v) => v <= 40, cl?.masters ? `shares ${cl.masters.map((m) => `${fmt(m.share * 100, 1)} %`).join(', ')} of ${cl.commandsTotal} commands` : cl?.error || '');
  const dps = (r) => r.tok.deltasPerSec;
  row('cluster: deltas/s delivered, cluster ÷ single node', '≥ 1.0', ratio(dps, cl, tok), (v) => v >= 1, cl?.tok && tok?.tok ? `${fmt(dps(cl), 0)} vs ${fmt(dps(tok), 0)} deltas/s` : '');
  const p50 = (r) => at(r).approve.latency.p50;
  const p99 = (r) => at(r).approve.latency.p99;
  const openRate = (r) => at(r).open.opened / (at(r).open.ms / 1000);
  const rss = (r) => at(r).rssPerRun;
  const tp = (r) => r.throughput.tp.eventsPerSec;
  const both = (get, d, unit) => {
    try {
      return `${fmt(get(s), d)} vs ${fmt(get(n), d)} ${unit}`;
    } catch {
      return 'n/a';
    }
  };
  row('approve→resume p50, service ÷ Nest floor', '≤ 1.15', ratio(p50, s, n), (v) => v <= 1.15, `${both(p50, 2, 'ms')} at N=${nMax}`);
  row('approve→resume p99, service ÷ Nest floor', '≤ 1.3', ratio(p99, s, n), (v) => v <= 1.3, `${both(p99, 2, 'ms')} at N=${nMax}`);
  row('throughput, service ÷ Nest floor', '≥ 0.95', ratio(tp, s, n), (v) => v >= 0.95, both(tp, 0, 'events/s'));
  row('open rate, service ÷ Nest floor', '≥ 1.0', ratio(openRate, s, n), (v) => v >= 1, `${both(openRate, 0, 'runs/s')} at N=${nMax}`);
  row('RSS per paused run, service ÷ Nest floor', '≤ 1.1', ratio(rss, s, n), (v) => v <= 1.1, `${both((r) => rss(r) / 1024, 1, 'KB')} at N=${nMax}`);
  row(`token delivery p99 at ${tok?.runs ?? C.tokenRuns} runs`, '≤ 100 ms', tok?.tok?.latency?.p99, (v) => v <= 100, tok?.tok ? `p50 ${fmt(tok.tok.latency.p50, 1)} ms, ${tok.tok.done}/${tok.tok.runs} runs done` : '');
  const cap = (s.capacity ?? []).filter((c) => c.tok);
  const fits = cap.filter((c) => c.tok.latency.p99 <= 250 && c.tok.done === c.tok.runs);
  const capLine = cap.length
    ? `Capacity (one instance, one Redis node, runs streaming ${C.tokenRate} tokens/s, delivery p99 ≤ 250 ms): ${fits.length ? `${Math.max(...fits.map((c) => c.runs))} runs` : `fewer than ${Math.min(...cap.map((c) => c.runs))} runs`} (${cap.map((c) => `${c.runs} runs: p99 ${fmt(c.tok.latency.p99, 0)} ms, ${fmt(c.tok.deltasPerSec, 0)} deltas/s, ${c.tok.done}/${c.tok.runs} done, service CPU ${c.cpu.service} %, Redis CPU ${c.cpu.redis} %`).join('; ')}).`
    : 'Capacity: not measured in this run.';
  const cpuLine = `Redis CPU per 1 000 tokens: single node ${fmt(tok?.redisCpuMsPer1000Tokens, 1)} ms; cluster ${fmt(cl?.redisCpuMsPer1000Tokens, 1)} ms (all six nodes, replication included).`;
  return `| figure | target | this run | | detail |\n|---|---|---:|---|---|\n${rows.join('\n')}\n\n${capLine}\n\n${cpuLine}`;
}

function report(m, results, labels, calibration, framework) {
  const cal = calibration
    ? `Machine noise for comparison: a trivial node:http server in its own process, driven by the same load process at ${C.rate}/s, answers in p50 ${fmt(calibration.p50, 2)} ms, p99 ${fmt(calibration.p99, 2)} ms, max ${fmt(calibration.max, 2)} ms (${calibration.count} requests).`
    : 'Machine noise calibration: not available.';
  const rows = buildRows(results, labels);
  const t = table(rows, labels);
  const check = targetsCheck(results, labels);
  const split = costSplit(results, labels);
  const notes = limitsHit(results, labels);
  const tokens = tokensSection(results, labels);
  const frameworkText = frameworkSection(framework, results, labels);
  const estimate = estimateSection(results, labels);
  const issue27 = targets27(results, labels);
  const fdLimits = results.map((r, i) => `${labels[i]}: ${r.paused?.[0]?.fdLimit ?? 'n/a'}`).join(', ');
  const memSource = results.map((r) => r.paused?.find((p) => p.memAfter)?.memAfter.source).find(Boolean) || 'n/a';
  const md = `# Aura benchmark results

Generated by \`npm run bench\` (\`node bench/run.mjs\`)${QUICK ? ' in QUICK mode (BENCH_QUICK=1: smoke run, not a full result)' : ''}.

## Machine

| | |
|---|---|
| date | ${m.date} |
| cores | ${m.cores} (${m.cpuModel}) |
| memory | ${m.totalMemGiB} GiB |
| Node | ${m.node} |
| kernel | ${m.kernel} |
| Redis | ${m.redis} (private server, persistence off) |
| git commit | ${m.commit} |
| other CPU load at start | ${m.otherCpuAtStart}% of a core (processes not started by the bench) |

## Setup

- Targets: ${labels.join(', ')}.${FLOOR_NOTE} Each runs as two instances (A holds the streams, B takes the approvals) on one Redis; the client is a separate process (\`bench/load.mjs\`); everything on 127.0.0.1 on the same ${m.cores}-core machine, so client, instances and Redis share the CPUs.
- Instances are fresh for every N (after ${C.warmupRuns} complete warm-up runs); Redis is flushed between them. Env: \`DEMO_STEP_DELAY_MS=${C.delayMs}\`, \`SSE_HEARTBEAT_SECONDS=${C.heartbeatS}\`, \`HITL_TIMEOUT_SECONDS=3600\`, \`LOG_LEVEL=warn\`, \`EVENTS_BROADCAST=false\`, \`NODE_ENV=production\`.${C.delayMs === 0 ? ' Unpaced, the demo agent writes each burst of its lines as one step (the 6 lines before the approval with the hitl request, the 4 after it with done: 3 atomic writes per run, for 13 events), as the floors write one pipeline per burst.' : ''}
- Paused runs: N streams opened on A, ${C.openConcurrency} at a time, each until its \`hitl\` request event. Memory per paused run = (A after all paused - A before) / N, ${memSource.startsWith('gc-probe') ? 'both read after a full GC forced by `bench/lib/gc-probe.cjs` (preloaded with `--expose-gc`, triggered by SIGWINCH)' : `read as ${memSource}`}; RSS = VmRSS of /proc/<pid>/status, heap = V8 heap used.
- Redis connections: \`CLIENT LIST\` entries whose client port belongs to a socket of A's pid (matched through /proc/<pid>/fd and /proc/net/tcp).
- Approve->resume: ${C.approvals} approvals (capped at N) spread over the paused runs, sent to B at ${C.rate}/s; latency from just before the POST is written to the first frame after the \`hitl\` request on the stream (the decision event), measured in the load process.
- Throughput: ${C.tpConcurrency} concurrent streams for ${C.tpSeconds} s (after 1 s warm-up), each approved on B as soon as its \`hitl\` arrives and replaced by a new run at \`done\`; events counted at the client.
- Token streaming (service only; the floors have no LLM agent): one instance with \`AGENT=openai\` and \`STREAM_FLUSH_MS=${C.flushMs}\` against \`bench/lib/llm-server.mjs\`, a scripted OpenAI-compatible server that answers every call with one text-only turn of ${C.tokenSeconds} s at ${C.tokenRate} tokens/s, each token stamped with its send time; ${C.tokenRuns} runs opened at once with \`deltas=true\` (after ${Math.min(20, C.tokenRuns)} 1-s warm-up runs), each read to its \`done\`. Deltas/s = delta frames read / time from the first to the last; latency per token = frame read - send stamp; Redis commands = \`INFO commandstats\` after - before (commands inside scripts included) / delta frames; CPU from /proc/<pid>/stat over the scenario.
- File-descriptor limit of the children (\`ulimit -n\`): ${fdLimits} (asked ${C.fdLimit}, hard limit ${FD_HARD}); N is capped at ${N_MAX} (limit - ${C.fdHeadroom} headroom). Ephemeral port range: ${m.portRange ? m.portRange.join('-') : 'n/a'} (caps the streams per source address at about ${m.portRange ? m.portRange[1] - m.portRange[0] + 1 : '?'}).

## Results

Ratio columns: ${ratioPairs(labels).map(([a, b]) => `${labels[a]}/${labels[b]}`).join(', ') || 'none'} (the same metric divided; lower is better for times, memory and latency, higher for rates).

${issue27 ? `## Targets (issue 27)\n\n${issue27}\n\n` : ''}${t}

${cal}
${split ? `\n## Durability, framework and the service's own work\n\n${split}\n` : ''}${tokens ? `\n## Token streaming (issue 14)\n\n${tokens}\n` : ''}${frameworkText ? `\n## An SSE stream with nothing else (framework floor)\n\n${frameworkText}\n` : ''}${estimate ? `\n## One instance at 100 000 paused runs (estimate)\n\n${estimate}\n` : ''}${check ? `\n## Targets (issue 14, against the floors of this run; the token scenario's two are in its section)\n\n${check}\n` : ''}
## Limits hit and errors

${notes.length ? notes.map((n) => `- ${n}`).join('\n') : '- none'}

<details><summary>raw results (JSON)</summary>

\`\`\`json
${JSON.stringify({ config: C, results: results.map((r, i) => ({ label: labels[i], ...r })), framework }, null, 1)}
\`\`\`
</details>
`;
  return { md, table: t, check, split, notes, tokens, frameworkText, estimate, issue27 };
}

const FLOOR_NOTE =
  ' `baseline` is the raw floor: a raw `node:http` server (`bench/baseline/server.mjs`, `FLOOR_MODE=raw`) with the same routes, pause/resume and Redis connections (one command connection, one subscriber with a single PSUBSCRIBE for the decisions), which writes each event straight to its response. `durable` is the durable floor: the same server with `FLOOR_MODE=durable`, which also does the durable work the service does per event (XADD to `aura:run:{sid}:events` with the explicit id `{seq}-0`, MAXLEN ~ 10000 and the fields `t {type} e {json}`, PUBLISH `{seq} {type} {json}` on `aura:events:{sid}`, one pipeline per burst of events plus EXPIRE, awaited before the run goes on) and serves each stream as a watcher following its session channel through the one shared subscriber (SUBSCRIBE per session, a log read when it starts, events written by seq). `nest` is the Nest floor: the durable floor with `FLOOR_HTTP=nest`, its routes served by a bare NestJS app on the service\'s stack (Nest 11, Express adapter, a guard doing the same JWT and tenant check, an `@Sse` handler returning an Observable, `@Post` handlers answering through Nest\'s serializer and exception layer), with no validation pipe, logger, metrics or run store. durable/baseline is what durability costs, nest/durable what the framework costs, service/nest what the service\'s own work costs.';

// ---------------------------------------------------------------- main
async function main() {
  const m = machine();
  {
    const snap = cpuSnap({});
    await sleep(2000);
    m.otherCpuAtStart = cpuSince(snap).other;
    if (m.otherCpuAtStart > 15) log(`WARNING: the machine is busy (${m.otherCpuAtStart}% of a core used by other processes): figures will be skewed`);
  }
  const nMax = Math.max(...C.ns);
  if (m.portRange && nMax > (m.portRange[1] - m.portRange[0]) * 0.9 * C.localAddrs.length) {
    log(`WARNING: N=${nMax} is close to the ephemeral port range ${m.portRange.join('-')} x ${C.localAddrs.length} source address(es); set BENCH_LOCAL_ADDRS=127.0.0.1,127.0.0.2,...`);
  }
  log(`work dir (logs): ${workDir}`);
  if (FD_EFFECTIVE < C.fdLimit) log(`file-descriptor hard limit ${FD_HARD} < BENCH_FD_LIMIT ${C.fdLimit}: children get ${FD_EFFECTIVE}, N is capped at ${N_MAX}`);
  log(`targets ${C.targets.join(',')}, N ${C.ns.join(',')}, rate ${C.rate}/s, quick ${QUICK}`);
  load = await startLoad();
  let calibration = null;
  try {
    await waitQuiet('calibration');
    const echo = await startInstance({ name: 'echo', script: path.join(HERE, 'lib', 'echo-server.mjs'), env: { PATH: E.PATH }, port: await freePort(), cwd: ROOT, logFile: path.join(workDir, 'echo.log') });
    const count = Math.min(C.approvals, 2000);
    calibration = await load.call('calibrate', { port: echo.port, rate: C.rate, count }, (count / C.rate) * 1000 + 20000);
    await echo.stop();
    log(`calibration: trivial cross-process HTTP round trip at ${C.rate}/s: p50 ${calibration.p50.toFixed(2)} ms, p99 ${calibration.p99.toFixed(2)} ms, max ${calibration.max.toFixed(2)} ms`);
  } catch (e) {
    log(`calibration failed: ${e.message}`);
  }
  const labels = C.targets.map((t, i) => (C.targets.indexOf(t) !== C.targets.lastIndexOf(t) ? `${t}#${i + 1}` : t));
  const results = [];
  for (let i = 0; i < C.targets.length; i++) {
    const def = targetDef(C.targets[i]);
    const r = { kind: def.kind, paused: [], throughput: null };
    results.push(r);
    if (def.available) {
      r.error = def.available;
      log(`${labels[i]}: skipped: ${def.available}`);
      continue;
    }
    let redis;
    try {
      redis = await startRedis({ logFile: path.join(workDir, `redis-${i}.log`), fdLimit: FD_EFFECTIVE });
      r.redisMaxclients = redis.maxclients;
      if (C.scenarios.includes('paused')) for (const n of C.ns) r.paused.push(await scenarioPaused(def, redis, n, `${labels[i]}-n${n}`.replace(/#/g, '')));
      if (C.scenarios.includes('throughput')) r.throughput = await scenarioThroughput(def, redis, `${labels[i]}-tp`.replace(/#/g, ''));
      // the floors have no LLM agent: the token scenario is the service's alone (once)
      if (C.scenarios.includes('tokens') && def.kind === 'service' && !results.some((x) => x.tokens)) r.tokens = await scenarioTokens(def, redis, `${labels[i]}-tok`.replace(/#/g, ''));
      if (C.scenarios.includes('cluster') && def.kind === 'service' && !results.some((x) => x.clusterTokens)) r.clusterTokens = await scenarioClusterTokens(def, `${labels[i]}-cltok`.replace(/#/g, ''));
      if (C.scenarios.includes('capacity') && def.kind === 'service' && !results.some((x) => x.capacity)) r.capacity = await scenarioCapacity(def, redis, `${labels[i]}-cap`.replace(/#/g, ''));
    } catch (e) {
      r.error = String(e.message || e);
      log(`${labels[i]}: ERROR ${r.error}`);
    } finally {
      if (redis) await redis.stop();
    }
  }
  const framework = C.scenarios.includes('framework') ? await scenarioFramework() : null;
  await load.stop();
  const { md, table: t, check, split, notes, tokens, frameworkText, estimate, issue27 } = report(m, results, labels, calibration, framework);
  console.log(`\nAura benchmark: ${m.cores} cores, ${m.totalMemGiB} GiB, Node ${m.node}, ${m.date}${QUICK ? ' (QUICK)' : ''}\n`);
  console.log(t);
  if (calibration) console.log(`\ncalibration (trivial HTTP round trip at ${C.rate}/s): p50 ${fmt(calibration.p50, 2)} ms, p99 ${fmt(calibration.p99, 2)} ms, max ${fmt(calibration.max, 2)} ms`);
  if (split) console.log(`\nDurability, framework and the service's own work (service/baseline = service/nest x nest/durable x durable/baseline):\n${split}`);
  if (tokens) console.log(`\nToken streaming (issue 14): ${tokens}`);
  if (frameworkText) console.log(`\nAn SSE stream with nothing else: ${frameworkText}`);
  if (estimate) console.log(`\nOne instance at 100 000 paused runs (estimate): ${estimate}`);
  if (check) console.log(`\nTargets (issue 14, against the floors of this run):\n${check}`);
  if (issue27) console.log(`\nTargets (issue 27):\n${issue27}`);
  console.log(`\nLimits hit / errors:\n${notes.length ? notes.map((n) => `- ${n}`).join('\n') : '- none'}`);
  if (C.out) {
    writeFileSync(C.out, md);
    console.log(`\nwrote ${path.relative(process.cwd(), C.out) || C.out}; logs in ${workDir}`);
  } else {
    console.log(`\nno report file written${QUICK ? ' (quick run: set BENCH_OUT=<file> to keep one)' : ''}; logs in ${workDir}`);
  }
}

main()
  .then(() => {
    killAllSync();
    process.exit(0);
  })
  .catch((e) => {
    log(`FATAL ${e.stack || e}`);
    killAllSync();
    process.exit(1);
  });
