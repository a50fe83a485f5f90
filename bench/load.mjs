// The load driver: a separate process (started by run.mjs over IPC) that holds the SSE client
// connections and sends the approvals, so its memory and CPU are not the server's.
// Commands (process.send({id, cmd, args})): init, warmupRuns, open, approve, throughput, tokens, closeAll, stats.
import { performance } from 'node:perf_hooks';
import { SseClient, ApiClient } from './lib/sse-client.mjs';
import { summarize, sleep } from './lib/util.mjs';

if (!process.send) {
  console.error('bench/load.mjs is started by bench/run.mjs (it needs an IPC channel)');
  process.exit(2);
}
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0)); // a clean exit lets --cpu-prof write its profile

let cfg = null;
let sse = null; // client of instance A (streams)
let api = null; // client of instance B (approvals)
let paused = []; // streams paused at their hitl request, in open order

const now = () => performance.now();

function errorBag() {
  const m = new Map();
  return {
    add(err) {
      const key = String(err && (err.code || err.message || err)).slice(0, 160);
      m.set(key, (m.get(key) || 0) + 1);
    },
    total() {
      let t = 0;
      for (const v of m.values()) t += v;
      return t;
    },
    top() {
      return [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([k, v]) => `${v}x ${k}`);
    },
  };
}

const streamPath = (sessionId) => `/aura/test/stream?sessionId=${encodeURIComponent(sessionId)}&prompt=bench`;

function parseData(data) {
  try {
    const j = JSON.parse(data);
    return j && typeof j === 'object' ? j.data || {} : {};
  } catch {
    return {};
  }
}

/**
 * Per-stream state machine. phase 0: before the hitl request; 1: paused; 2: resumed; 3: done.
 * hooks: onPaused(s), onResumed(s), onDone(s), onEvent(s)
 */
function makeHandlers(hooks) {
  const onEvent = (s, type, id, data) => {
    const c = s.ctx;
    c.events++;
    if (hooks.onEvent) hooks.onEvent(s);
    if (c.phase === 0) {
      if (type === 'hitl') {
        const d = parseData(data);
        if (d.requiresApproval === true && d.requestId) {
          c.requestId = d.requestId;
          c.phase = 1;
          c.tPaused = now();
          hooks.onPaused(s);
        }
      } else if (type === 'done' || type === 'error') {
        c.badEnd = `${type} before hitl: ${String(data).slice(0, 120)}`;
      }
    } else if (c.phase === 1) {
      c.phase = 2;
      c.tResumed = now();
      if (type === 'hitl') {
        const d = parseData(data);
        c.firstAfter = `hitl:${d.status}`;
      } else c.firstAfter = type;
      if (hooks.onResumed) hooks.onResumed(s);
      if (c.onResumed) c.onResumed();
    } else if (type === 'done') {
      c.phase = 3;
      c.doneStatus = parseData(data).status;
      if (hooks.onDone) hooks.onDone(s);
      if (c.onDone) c.onDone();
    }
  };
  return onEvent;
}

function newCtx(sessionId) {
  return { sessionId, requestId: null, phase: 0, events: 0, tStart: now(), tPaused: 0, tApprove: 0, tResumed: 0, firstAfter: null, doneStatus: null, badEnd: null };
}

/** Opens n streams on A with at most `concurrency` opening at once; each until its hitl request. */
async function open({ n, concurrency, prefix, timeoutMs }) {
  const errors = errorBag();
  let started = 0;
  let settled = 0;
  let okCount = 0;
  let inflight = 0;
  const t0 = now();
  let resolveAll;
  const allDone = new Promise((r) => (resolveAll = r));
  const openTimes = [];
  const pump = () => {
    while (inflight < concurrency && started < n) {
      const i = started++;
      inflight++;
      const s = sse.open(streamPath(`${prefix}-${i}`), onEvent, onEnd);
      s.ctx = newCtx(`${prefix}-${i}`);
    }
    if (settled === n) resolveAll();
  };
  const finish = (s, ok, err) => {
    if (s.ctx.counted) return;
    s.ctx.counted = true;
    inflight--;
    settled++;
    if (ok) {
      okCount++;
      paused.push(s);
      openTimes.push(s.ctx.tPaused - s.ctx.tStart);
    } else errors.add(err);
    pump();
  };
  const onEvent = makeHandlers({ onPaused: (s) => finish(s, true) });
  const onEnd = (s, err) => {
    if (s.ctx.phase === 0) finish(s, false, err || new Error(s.ctx.badEnd || 'ended before hitl'));
    else if (s.ctx.phase < 3 && !s.ctx.closing) s.ctx.lostAfterPause = err ? String(err.code || err.message) : 'ended';
  };
  pump();
  let timedOut = false;
  await Promise.race([allDone, sleep(timeoutMs).then(() => (timedOut = true))]);
  const ms = now() - t0;
  return {
    requested: n,
    opened: okCount,
    failed: errors.total(),
    pendingAtTimeout: timedOut ? n - settled : 0,
    ms,
    openLatency: summarize(openTimes),
    errors: errors.top(),
    clientRss: process.memoryUsage().rss,
  };
}

/**
 * Approves `count` of the paused streams on B at a steady `rate` per second; latency = from just
 * before the POST is written to the first frame after the hitl request on the stream.
 */
async function approve({ rate, count, timeoutMs, doneTimeoutMs = 15000 }) {
  // spread the sample over the whole paused set (oldest to newest)
  const live = paused.filter((s) => s.ctx.phase === 1 && !s.ended);
  const k = Math.min(count, live.length);
  const sample = [];
  for (let i = 0; i < k; i++) sample.push(live[Math.floor((i * live.length) / k)]);
  const errors = errorBag();
  const lat = [];
  const httpLat = [];
  const statuses = {};
  const firstAfter = {};
  let early = 0;
  let resumed = 0;
  let completed = 0;
  let sent = 0;
  let answered = 0;
  const doneStatus = {};
  // hook resume/done on these streams
  for (const s of sample) {
    s.ctx.onResumed = () => {
      resumed++;
      if (s.ctx.tApprove === 0) early++;
      else lat.push(s.ctx.tResumed - s.ctx.tApprove);
      firstAfter[s.ctx.firstAfter] = (firstAfter[s.ctx.firstAfter] || 0) + 1;
    };
    s.ctx.onDone = () => {
      completed++;
      doneStatus[s.ctx.doneStatus] = (doneStatus[s.ctx.doneStatus] || 0) + 1;
    };
  }
  const t0 = now();
  const deadline = t0 + timeoutMs;
  while (sent < k && now() < deadline) {
    const due = Math.min(k, Math.floor(((now() - t0) * rate) / 1000) + 1);
    while (sent < due) {
      const s = sample[sent++];
      const tA = now();
      s.ctx.tApprove = tA;
      api.post(`/aura/hitl/approve/${encodeURIComponent(s.ctx.requestId)}`).then((r) => {
        answered++;
        httpLat.push(now() - tA);
        statuses[r.status] = (statuses[r.status] || 0) + 1;
        if (r.status !== 200 && r.status !== 201) errors.add(new Error(`approve HTTP ${r.status}: ${r.body.slice(0, 120)}`));
      });
    }
    await sleep(1);
  }
  const sendMs = now() - t0;
  const waitUntil = now() + doneTimeoutMs;
  while ((completed < k || answered < sent) && now() < waitUntil) await sleep(20);
  return {
    pausedBefore: live.length,
    approvals: k,
    sent,
    rateAchieved: sent / (sendMs / 1000),
    latency: summarize(lat),
    approveHttp: summarize(httpLat),
    statuses,
    firstAfter,
    resumed,
    resumedBeforeApprove: early,
    completed,
    doneStatus,
    stillPausedOthers: paused.filter((s) => s.ctx.phase === 1 && !s.ended).length,
    errors: errors.top(),
  };
}

/** `concurrency` workers: open, approve on B as soon as the hitl arrives, wait done, repeat. */
async function throughput({ concurrency, durationMs, warmupMs, prefix, approveOnB = true }) {
  const errors = errorBag();
  const approver = approveOnB ? api : new ApiClient({ port: cfg.aPort, token: cfg.token, tenantId: cfg.tenantId });
  const t0 = now();
  const wStart = t0 + warmupMs;
  const wEnd = wStart + durationMs;
  let seq = 0;
  let events = 0;
  let runsDone = 0;
  let runsDoneAll = 0;
  let inflight = 0;
  let stopping = false;
  const runMs = [];
  const onEvent = makeHandlers({
    onEvent: () => {
      const t = now();
      if (t >= wStart && t < wEnd) events++;
    },
    onPaused: (s) => {
      approver.post(`/aura/hitl/approve/${encodeURIComponent(s.ctx.requestId)}`).then((r) => {
        if (r.status !== 200 && r.status !== 201) errors.add(new Error(`approve HTTP ${r.status}: ${r.body.slice(0, 120)}`));
      });
    },
    onDone: (s) => {
      const t = now();
      runsDoneAll++;
      if (t >= wStart && t < wEnd) {
        runsDone++;
        runMs.push(t - s.ctx.tStart);
      }
    },
  });
  const onEnd = (s, err) => {
    inflight--;
    if (err || s.ctx.phase !== 3) errors.add(err || new Error(`ended in phase ${s.ctx.phase}`));
    if (!stopping && now() < wEnd) {
      if (err) setTimeout(startOne, 10);
      else startOne();
    }
  };
  function startOne() {
    if (stopping || now() >= wEnd) return;
    inflight++;
    const id = `${prefix}-${seq++}`;
    const s = sse.open(streamPath(id), onEvent, onEnd);
    s.ctx = newCtx(id);
  }
  for (let i = 0; i < concurrency; i++) startOne();
  while (now() < wEnd) await sleep(50);
  stopping = true;
  const drainUntil = now() + 10000;
  while (inflight > 0 && now() < drainUntil) await sleep(20);
  if (!approveOnB) approver.close();
  const secs = durationMs / 1000;
  return {
    concurrency,
    durationMs,
    events,
    runs: runsDone,
    eventsPerSec: events / secs,
    runsPerSec: runsDone / secs,
    eventsPerRun: runsDone ? events / runsDone : NaN,
    runLatency: summarize(runMs),
    startedRuns: seq,
    finishedRuns: runsDoneAll,
    unfinishedAtEnd: inflight,
    errors: errors.top(),
    errorCount: errors.total(),
  };
}

/** Token latency by the second (since `from`) in which the token was read: [{s, count, p50, p99}]. */
function latencyBySecond(lat, readAt, from) {
  const buckets = [];
  lat.forEach((l, i) => (buckets[Math.floor((readAt[i] - from) / 1000)] ??= []).push(l));
  return [...buckets.entries()].filter(([, b]) => b).map(([s, b]) => ({ s, ...summarize(b) }));
}

/**
 * Token scenario: `concurrency` streams opened at once with deltas=true, each on a new run of the
 * LLM agent whose model (bench/lib/llm-server.mjs) streams tokens stamped `t<send ms> `; each
 * stream is read until its `done`. Counts the delta frames (content events with delta: true) and
 * the tokens in them; a token's delivery latency is from its send stamp to the moment the frame
 * holding it is read here (same clock: performance.timeOrigin + performance.now()).
 */
async function tokens({ concurrency, prefix, prompt, timeoutMs }) {
  const errors = errorBag();
  const lat = [];
  // when each token of `lat` was read (wall clock), for the latency over time
  const readAt = [];
  const status = {};
  let deltaFrames = 0;
  let tokenCount = 0;
  let badFrames = 0;
  let otherEvents = 0;
  let firstDelta = Infinity;
  let lastDelta = -Infinity;
  let ended = 0;
  let done = 0;
  const wall = () => performance.timeOrigin + performance.now();
  const TOKEN_RE = /t(\d+\.\d+) /g;
  const onEvent = (s, type, id, data) => {
    const tRead = wall();
    if (type === 'content' && data && data.includes('"delta":true')) {
      let content;
      try {
        content = JSON.parse(data).data.content;
      } catch {
        badFrames++;
        return;
      }
      deltaFrames++;
      s.ctx.deltas++;
      s.ctx.firstDelta ??= tRead;
      if (tRead < firstDelta) firstDelta = tRead;
      if (tRead > lastDelta) lastDelta = tRead;
      TOKEN_RE.lastIndex = 0;
      let m;
      while ((m = TOKEN_RE.exec(content))) {
        tokenCount++;
        s.ctx.tokens++;
        lat.push(tRead - Number(m[1]));
        readAt.push(tRead);
      }
      return;
    }
    otherEvents++;
    if (type === 'done') {
      s.ctx.phase = 3;
      const st = parseData(data).status;
      status[st] = (status[st] || 0) + 1;
    } else if (type === 'error' || type === 'run_error') errors.add(new Error(`${type}: ${String(data).slice(0, 160)}`));
  };
  const onEnd = (s, err) => {
    ended++;
    if (s.ctx.phase === 3) done++;
    else errors.add(err || new Error('stream ended before done'));
  };
  const path = (sid) => `/aura/test/stream?sessionId=${encodeURIComponent(sid)}&deltas=true&prompt=${encodeURIComponent(prompt)}`;
  const t0 = now();
  const opened = wall();
  const streams = [];
  for (let i = 0; i < concurrency; i++) {
    const sid = `${prefix}-${i}`;
    const s = sse.open(path(sid), onEvent, onEnd);
    streams.push(s);
    s.ctx = { sessionId: sid, phase: 0, deltas: 0, tokens: 0 };
  }
  const deadline = t0 + timeoutMs;
  while (ended < concurrency && now() < deadline) await sleep(50);
  const ms = now() - t0;
  if (ended < concurrency) errors.add(new Error(`${concurrency - ended} streams still open after ${timeoutMs} ms`));
  const spanS = lastDelta > firstDelta ? (lastDelta - firstDelta) / 1000 : NaN;
  // Once every run streams: from 1 s after the last run's first delta frame (the opening burst is over).
  const allStreaming = Math.max(...streams.map((s) => s.ctx.firstDelta ?? Infinity)) + 1000;
  return {
    runs: concurrency,
    done,
    status,
    ms,
    deltaFrames,
    tokens: tokenCount,
    otherEvents,
    badFrames,
    deltaSpanS: spanS,
    deltasPerSec: deltaFrames / spanS,
    tokensPerSec: tokenCount / spanS,
    tokensPerDelta: deltaFrames ? tokenCount / deltaFrames : NaN,
    latency: summarize(lat),
    latencyBySecond: latencyBySecond(lat, readAt, opened),
    latencyAllStreaming: summarize(lat.filter((_, i) => readAt[i] >= allStreaming)),
    allStreamingAfterS: (allStreaming - opened) / 1000,
    // a negative minimum would mean the two processes' clocks disagree (the figures are then off)
    latencyMin: lat.length ? lat.reduce((a, b) => (b < a ? b : a), Infinity) : NaN,
    errors: errors.top(),
    errorCount: errors.total(),
  };
}

function closeAll() {
  for (const s of paused) s.ctx.closing = true;
  const n = sse ? sse.streams.size : 0;
  if (sse) sse.closeAll();
  if (api) api.close();
  paused = [];
  return { closed: n };
}

function init(args) {
  if (sse) closeAll();
  cfg = args;
  sse = new SseClient({ port: args.aPort, token: args.token, tenantId: args.tenantId, localAddresses: args.localAddresses });
  api = new ApiClient({ port: args.bPort, token: args.token, tenantId: args.tenantId });
  return { ok: true };
}

/** GETs to a trivial server at `rate`/s: the machine's own round-trip noise. */
async function calibrate({ port, rate, count, timeoutMs = 60000 }) {
  const client = new ApiClient({ port, token: 'x', tenantId: 'x' });
  const lat = [];
  let sent = 0;
  const t0 = now();
  while (sent < count && now() - t0 < timeoutMs) {
    const due = Math.min(count, Math.floor(((now() - t0) * rate) / 1000) + 1);
    while (sent < due) {
      sent++;
      const t = now();
      client.post('/').then(() => lat.push(now() - t));
    }
    await sleep(1);
  }
  const until = now() + 5000;
  while (lat.length < sent && now() < until) await sleep(10);
  client.close();
  return summarize(lat);
}

const handlers = {
  init,
  calibrate,
  open,
  approve,
  closeAll,
  throughput,
  tokens,
  async warmupRuns({ count, concurrency, prefix, timeoutMs = 30000 }) {
    // `count` complete runs (open -> hitl -> approve on B -> done), `concurrency` at a time
    const errors = errorBag();
    let started = 0;
    let finished = 0;
    const onEvent = makeHandlers({
      onPaused: (s) => {
        api.post(`/aura/hitl/approve/${encodeURIComponent(s.ctx.requestId)}`).then((r) => {
          if (r.status !== 200 && r.status !== 201) errors.add(new Error(`approve HTTP ${r.status}: ${r.body.slice(0, 120)}`));
        });
      },
    });
    const onEnd = (s, err) => {
      finished++;
      if (err || s.ctx.phase !== 3) errors.add(err || new Error(`ended in phase ${s.ctx.phase}`));
      next();
    };
    const next = () => {
      if (started >= count) return;
      const id = `${prefix}-${started++}`;
      const s = sse.open(streamPath(id), onEvent, onEnd);
      s.ctx = newCtx(id);
    };
    for (let i = 0; i < concurrency; i++) next();
    const deadline = now() + timeoutMs;
    while (finished < count && now() < deadline) await sleep(20);
    return { count, finished, errors: errors.top(), errorCount: errors.total() };
  },
  stats() {
    return { rss: process.memoryUsage().rss, heapUsed: process.memoryUsage().heapUsed, streams: sse ? sse.streams.size : 0 };
  },
};

process.on('message', async (msg) => {
  const { id, cmd, args } = msg || {};
  const h = handlers[cmd];
  if (!h) return process.send({ id, ok: false, error: `unknown command ${cmd}` });
  try {
    const result = await h(args || {});
    process.send({ id, ok: true, result });
  } catch (e) {
    process.send({ id, ok: false, error: String((e && e.stack) || e) });
  }
});
process.send({ ready: true });
