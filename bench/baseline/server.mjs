// The floors: a minimal raw node:http SSE server doing the same pause/resume as the service, with
// ONE shared ioredis subscriber (a single PSUBSCRIBE hitl:channel:*) plus one command connection.
// Same env as the service: PORT, JWT_SECRET, REDIS_URL, DEMO_STEP_DELAY_MS, HITL_TIMEOUT_SECONDS,
// SSE_HEARTBEAT_SECONDS, EVENTS_BROADCAST, RUN_TTL_SECONDS. Routes: GET /aura/test/stream,
// POST /aura/hitl/approve/:id, POST /aura/hitl/reject/:id, GET /health/live, GET /health/ready,
// GET /metrics.
//
// FLOOR_MODE picks how an event reaches its stream:
//   raw      (default) the run writes each event straight to its own HTTP response: nothing is
//            stored but the hitl request. The cheapest possible server ("baseline" in the report).
//   durable  the run appends each event to the session's log and publishes it, as the service's
//            store does: XADD aura:run:{sid}:events MAXLEN ~ 10000 {seq}-0 t {type} e {json} and
//            PUBLISH aura:events:{sid} "{seq} {type} {json}" per event (same keys and formats as
//            the runs Lua script and src/contract/live-event.codec.ts), one pipeline per burst of
//            events (+ EXPIRE), awaited before the run goes on. The response is
//            a separate watcher that follows the session's channel through the ONE shared
//            subscriber connection (SUBSCRIBE per session, like src/redis/redis-bus.ts), reads the
//            log once when it starts (XRANGE, like the service's catch-up) and writes events by
//            seq, with no gap and no duplicate. The durable floor ("durable" in the report): what
//            durability costs without a framework.
//
// FLOOR_HTTP picks what serves HTTP:
//   node     (default) node:http alone, as above.
//   nest     the same runs, watchers, Redis work and routes served by a bare NestJS app on the
//            service's stack (Nest 11, Express adapter, a guard doing the same JWT + tenant check,
//            an @Sse handler returning an Observable, @Post handlers answering through Nest's
//            serializer and exception layer): no validation pipe, logger, metrics or run store.
//            With FLOOR_MODE=durable it is the Nest floor ("nest" in the report): what durability
//            plus the contract's framework cost, before any work of the service's own.
import http from 'node:http';
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { verifyJwt } from '../lib/jwt.mjs';

const env = process.env;
const MODE = (env.FLOOR_MODE || 'raw').trim().toLowerCase();
if (MODE !== 'raw' && MODE !== 'durable') {
  console.error(`FLOOR_MODE must be raw or durable, not ${MODE}`);
  process.exit(1);
}
const DURABLE = MODE === 'durable';
const HTTP = (env.FLOOR_HTTP || 'node').trim().toLowerCase();
if (HTTP !== 'node' && HTTP !== 'nest') {
  console.error(`FLOOR_HTTP must be node or nest, not ${HTTP}`);
  process.exit(1);
}
const PORT = Number(env.PORT || 3000);
const SECRET = env.JWT_SECRET;
if (!SECRET) {
  console.error('JWT_SECRET is required');
  process.exit(1);
}
const REDIS_URL = env.REDIS_URL || 'redis://127.0.0.1:6379';
const STEP_MS = Number(env.DEMO_STEP_DELAY_MS ?? 300);
const TIMEOUT_S = Number(env.HITL_TIMEOUT_SECONDS || 300);
const HEARTBEAT_S = Number(env.SSE_HEARTBEAT_SECONDS || 15);
const RUN_TTL_S = Number(env.RUN_TTL_SECONDS || 86400);
const BROADCAST = !/^(false|0|no|off)$/i.test(env.EVENTS_BROADCAST || 'true');
const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const CHANNEL_PREFIX = 'hitl:channel:';
const REQ_KEY = (id) => `bench:hitl:request:${id}`;
// durable mode: the service's event log and channel (src/store/keys.ts, src/store/lua-scripts.ts)
const EVENTS_KEY = (sid) => `aura:run:${sid}:events`;
const EVENTS_PREFIX = 'aura:events:';
const EVENT_LOG_MAX = 10000;
const LOG_PAGE = 500;

const cmd = new Redis(REDIS_URL, { connectionName: `floor-${MODE}-${HTTP}-cmd`, maxRetriesPerRequest: 3 });
const sub = new Redis(REDIS_URL, { connectionName: `floor-${MODE}-${HTTP}-sub` });
cmd.on('error', () => {});
sub.on('error', () => {});
await sub.psubscribe(`${CHANNEL_PREFIX}*`);

/** sessionId -> paused run {sessionId, tenantId, userId, seq, requestId, deadline, ...} (insertion = deadline order). */
const waiting = new Map();
/**
 * Heartbeats: one timer for all streams, spread over the interval. Each stream sits in one of
 * HB_SLOTS buckets (by when it opened); every tick pings one bucket, so 20k streams cost 20k/HB_SLOTS
 * writes per tick instead of one 20k-write burst every SSE_HEARTBEAT_SECONDS.
 * A stream is anything with {out, closed, hb}: the run itself (raw) or its watcher (durable); `out`
 * is where its frames go (nodeSink or nestSink).
 */
const HB_TICK_MS = 250;
const HB_SLOTS = Math.max(1, Math.round((HEARTBEAT_S * 1000) / HB_TICK_MS));
const hbBuckets = Array.from({ length: HB_SLOTS }, () => new Set());
let hbTick = 0;
const open = {
  add(stream) {
    stream.hb = hbBuckets[(hbTick + HB_SLOTS - 1) % HB_SLOTS];
    stream.hb.add(stream);
  },
  delete(stream) {
    if (stream.hb) stream.hb.delete(stream);
    stream.hb = null;
  },
};

const frame = (seq, type, json) => `id: ${seq}\nevent: ${type}\ndata: ${json}\n\n`;
const broadcastOf = (run, type, data) => JSON.stringify({ tenantId: run.tenantId, sessionId: run.sessionId, userId: run.userId, type, data, timestamp: new Date().toISOString() });

/** Emits one event of the run: raw, written to its response now; durable, queued for the next flush(). */
function send(run, type, data) {
  run.seq++;
  const json = JSON.stringify({ type, data });
  if (DURABLE) {
    (run.batch ||= []).push(run.seq, type, json, BROADCAST ? broadcastOf(run, type, data) : '');
    return;
  }
  if (!run.closed) run.out.event(run.seq, type, json);
  if (BROADCAST) cmd.publish('dwp:events:all', broadcastOf(run, type, data));
}

/**
 * durable: appends the queued events to the session's log and publishes each on its channel, in
 * one pipeline (XADD MAXLEN ~ with the explicit seq id and the fields t {type} e {json}, PUBLISH
 * "{seq} {type} {json}", EXPIRE), and waits for Redis to answer before the run goes on.
 */
async function flush(run) {
  const b = run.batch;
  if (!b) return;
  run.batch = null;
  const key = EVENTS_KEY(run.sessionId);
  const channel = EVENTS_PREFIX + run.sessionId;
  const p = cmd.pipeline();
  for (let i = 0; i < b.length; i += 4) {
    p.xadd(key, 'MAXLEN', '~', EVENT_LOG_MAX, `${b[i]}-0`, 't', b[i + 1], 'e', b[i + 2]);
    p.publish(channel, `${b[i]} ${b[i + 1]} ${b[i + 2]}`);
    if (b[i + 3]) p.publish('dwp:events:all', b[i + 3]);
  }
  p.expire(key, RUN_TTL_S);
  const results = await p.exec();
  for (const [err] of results || []) if (err) throw err;
}

const delay = STEP_MS > 0 ? (ms) => new Promise((r) => setTimeout(r, ms)) : null;
async function steps(run, list) {
  for (const [type, data] of list) {
    if (delay) {
      if (DURABLE) await flush(run);
      await delay(STEP_MS);
    }
    send(run, type, data);
  }
  if (DURABLE) await flush(run);
}

async function finish(run, status) {
  send(run, 'done', { status });
  if (DURABLE) await flush(run);
  if (DURABLE) return; // the watcher ends the response when it writes `done`
  open.delete(run);
  if (!run.closed) run.out.end();
}

async function startRun(run, prompt) {
  await steps(run, [
    ['thought', { content: `Analyzing: ${prompt}` }],
    ['plan_step', { id: 'step-1', title: 'Gather context', status: 'in_progress' }],
    ['tool_execution', { id: 'tool-1', toolName: 'search_documents', status: 'started', params: { query: prompt } }],
    ['tool_execution', { id: 'tool-1', toolName: 'search_documents', status: 'completed', result: { hits: 3 } }],
    ['plan_step', { id: 'step-1', title: 'Gather context', status: 'completed' }],
    ['plan_step', { id: 'step-2', title: 'Send the summary', status: 'in_progress' }],
  ]);
  if (delay) await delay(STEP_MS);
  const requestId = randomUUID();
  const now = Date.now();
  const params = { to: 'team@example.com', subject: 'Summary' };
  const request = {
    requestId,
    sessionId: run.sessionId,
    tenantId: run.tenantId,
    userId: run.userId,
    toolName: 'send_email',
    params,
    message: 'Send the summary e-mail?',
    status: 'pending',
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + TIMEOUT_S * 1000).toISOString(),
  };
  // the request is stored in Redis (requestId -> sessionId) so any instance can decide it
  await cmd.set(REQ_KEY(requestId), JSON.stringify(request), 'EX', TIMEOUT_S + 60);
  run.requestId = requestId;
  run.deadline = now + TIMEOUT_S * 1000;
  waiting.set(run.sessionId, run);
  send(run, 'hitl', { requestId, sessionId: run.sessionId, requiresApproval: true, toolName: 'send_email', params, message: request.message, expiresAt: request.expiresAt });
  if (DURABLE) await flush(run);
}

async function resume(run, status, reason) {
  send(run, 'hitl', { requestId: run.requestId, sessionId: run.sessionId, requiresApproval: false, status, ...(reason ? { reason } : {}) });
  if (status !== 'approved') return finish(run, status);
  if (DURABLE) await flush(run);
  await steps(run, [
    ['tool_execution', { id: 'tool-2', toolName: 'send_email', status: 'started', params: { to: 'team@example.com' } }],
    ['tool_execution', { id: 'tool-2', toolName: 'send_email', status: 'completed', result: { sent: true } }],
    ['plan_step', { id: 'step-2', title: 'Send the summary', status: 'completed' }],
    ['content', { content: 'Task complete: the summary was sent.' }],
  ]);
  await finish(run, 'completed');
}

// one subscriber for every session: decisions (both modes) ...
sub.on('pmessage', (_pattern, channel, message) => {
  const sessionId = channel.slice(CHANNEL_PREFIX.length);
  const run = waiting.get(sessionId);
  if (!run) return;
  let sig;
  try {
    sig = JSON.parse(message);
  } catch {
    return;
  }
  if (!sig || (sig.requestId && sig.requestId !== run.requestId)) return;
  const status = sig.type === 'approval' ? 'approved' : sig.type === 'rejection' ? 'rejected' : sig.type === 'timeout' ? 'expired' : null;
  if (!status) return;
  waiting.delete(sessionId);
  resume(run, status, sig.reason).catch(() => {});
});

// ... and, durable, every watched session's events (channel -> its watcher; one per session)
const watched = new Map();
// live messages: one or more events, a line "{seq} {type} {json}" each (src/contract/live-event.codec.ts)
sub.on('message', (channel, message) => {
  const w = watched.get(channel);
  if (!w) return;
  for (const line of message.split('\n')) {
    const first = line.indexOf(' ');
    const second = first > 0 ? line.indexOf(' ', first + 1) : -1;
    if (second < 0) continue;
    const seq = Number(line.slice(0, first));
    if (Number.isInteger(seq)) receive(w, seq, line.slice(first + 1, second), line.slice(second + 1));
  }
});

/** A live event for a watcher: in order it is written, early it waits, after a gap the log is read. */
function receive(w, seq, type, json) {
  if (w.closed || seq <= w.lastSeq) return;
  if (w.pending) w.pending.push([seq, type, json]);
  else if (seq === w.lastSeq + 1) deliver(w, seq, type, json);
  else {
    w.pending = [[seq, type, json]];
    void catchUp(w);
  }
}

/** Writes what the log holds after lastSeq, then what arrived live meanwhile (w.pending), then goes live. */
async function catchUp(w) {
  try {
    for (;;) {
      const page = await cmd.xrange(EVENTS_KEY(w.sessionId), `${w.lastSeq + 1}-0`, '+', 'COUNT', LOG_PAGE);
      // fields: t {type} e {json}
      for (const [id, fields] of page) deliver(w, parseInt(id, 10), fields[1], fields[3]);
      if (page.length < LOG_PAGE || w.closed) break;
    }
  } catch {
    /* the floor does not retry: live events still flow */
  }
  const queued = (w.pending || []).sort((a, b) => a[0] - b[0]);
  w.pending = null;
  for (const [seq, type, json] of queued) receive(w, seq, type, json);
}

function deliver(w, seq, type, json) {
  if (w.closed || seq <= w.lastSeq) return;
  w.lastSeq = seq;
  w.out.event(seq, type, json);
  if (type === 'done') {
    forget(w);
    w.out.end();
  }
}

function forget(w) {
  if (w.closed) return;
  w.closed = true;
  open.delete(w);
  const channel = EVENTS_PREFIX + w.sessionId;
  if (watched.get(channel) === w) {
    watched.delete(channel);
    sub.unsubscribe(channel).catch(() => {});
  }
}

// one deadline sweep for all paused runs (Map order = creation order = deadline order)
setInterval(() => {
  const t = Date.now();
  for (const run of waiting.values()) {
    if (run.deadline > t) break;
    waiting.delete(run.sessionId);
    resume(run, 'expired').catch(() => {});
  }
}, 1000).unref();

// one heartbeat timer for all open streams (one bucket per tick)
setInterval(() => {
  hbTick = (hbTick + 1) % HB_SLOTS;
  for (const s of hbBuckets[hbTick]) if (!s.closed) s.out.ping();
}, HB_TICK_MS).unref();

/** A stream's frames straight to a node:http response. */
function nodeSink(res) {
  return {
    event: (seq, type, json) => res.write(frame(seq, type, json)),
    end: () => res.end(),
    ping: () => res.write(': ping\n\n'),
    destroy: () => res.destroy(),
  };
}

/** A stream's frames through Nest's SSE serializer (the subscriber of the handler's Observable). */
function nestSink(subscriber, res) {
  return {
    event: (seq, type, json) => subscriber.next({ id: String(seq), type, data: json }),
    end: () => subscriber.complete(),
    // past the serializer, as the service does: Nest ends every message with a blank line
    ping: () => res.write(': ping\n'),
    destroy: () => res.destroy(),
  };
}

const fail = (status, message) => ({ status, body: { statusCode: status, message } });

/** The caller's claims, or the refusal {status, body}. */
function authOf(headers) {
  const h = headers.authorization;
  const claims = h && h.startsWith('Bearer ') ? verifyJwt(SECRET, h.slice(7)) : null;
  if (!claims) return { refused: fail(401, 'Unauthorized') };
  const tenant = headers['x-tenant-id'];
  if (!tenant) return { refused: fail(400, 'X-Tenant-ID header is required') };
  if (tenant !== claims.tenant_id) return { refused: fail(403, 'Tenant ID mismatch') };
  return { claims };
}

/** Decides a pending request: {status, body} to answer. */
async function decide(claims, requestId, type) {
  if (!ID_RE.test(requestId)) return fail(400, 'invalid requestId');
  const raw = await cmd.get(REQ_KEY(requestId));
  const request = raw ? JSON.parse(raw) : null;
  if (!request || request.tenantId !== claims.tenant_id) return fail(404, 'Not found');
  if (request.status !== 'pending') return { status: 409, body: request };
  request.status = type === 'approval' ? 'approved' : 'rejected';
  request.decidedAt = new Date().toISOString();
  request.decidedBy = claims.sub;
  const signal = JSON.stringify({ type, requestId, sessionId: request.sessionId, decidedBy: claims.sub, timestamp: request.decidedAt });
  await cmd.multi().set(REQ_KEY(requestId), JSON.stringify(request), 'KEEPTTL').publish(`${CHANNEL_PREFIX}${request.sessionId}`, signal).exec();
  return { status: 200, body: request };
}

/** Checks a stream request: {sessionId, prompt} or the refusal. */
function streamArgs(query) {
  const sessionId = query.get('sessionId') || randomUUID();
  if (!ID_RE.test(sessionId)) return { refused: fail(400, 'invalid sessionId') };
  if (DURABLE && watched.has(EVENTS_PREFIX + sessionId)) return { refused: fail(409, 'the floor serves one stream per session') };
  return { sessionId, prompt: query.get('prompt') || '' };
}

/**
 * Starts the stream's run and its watcher, writing to `out`; answers what to call when the client
 * leaves. raw: the run writes to its own response; durable: the run writes to the log and a
 * watcher follows it (like the service).
 */
function startStream(out, sessionId, claims, prompt) {
  const run = { out, sessionId, tenantId: claims.tenant_id, userId: claims.sub, seq: 0, requestId: null, deadline: 0, closed: false, batch: null };
  if (!DURABLE) {
    open.add(run);
    startRun(run, prompt).catch((e) => {
      if (!run.closed) {
        send(run, 'error', { code: 'INTERNAL', message: String(e.message) });
        finish(run, 'failed');
      }
    });
    return () => {
      run.closed = true;
      open.delete(run);
    };
  }
  run.out = null; // durable: the run never writes to a response
  startRun(run, prompt).catch((e) => {
    send(run, 'error', { code: 'INTERNAL', message: String(e.message) });
    finish(run, 'failed').catch(() => {});
  });
  const channel = EVENTS_PREFIX + sessionId;
  const w = { out, sessionId, lastSeq: 0, pending: [], closed: false, hb: null };
  open.add(w);
  watched.set(channel, w);
  sub.subscribe(channel).then(
    () => catchUp(w),
    () => {
      forget(w);
      out.end();
    },
  );
  return () => forget(w);
}

function readiness() {
  return { status: cmd.status === 'ready' && sub.status === 'ready' ? 200 : 503, body: { status: cmd.status, mode: MODE, http: HTTP } };
}

function metricsText() {
  const m = process.memoryUsage();
  return (
    `# HELP process_resident_memory_bytes Resident memory size in bytes.\n# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes ${m.rss}\n` +
    `# HELP nodejs_heap_size_used_bytes Process heap size used from Node.js in bytes.\n# TYPE nodejs_heap_size_used_bytes gauge\nnodejs_heap_size_used_bytes ${m.heapUsed}\n` +
    `# HELP floor_paused_runs Runs waiting for a decision.\n# TYPE floor_paused_runs gauge\nfloor_paused_runs ${waiting.size}\n` +
    `# HELP floor_watched_sessions Sessions followed through the shared subscriber (durable mode).\n# TYPE floor_watched_sessions gauge\nfloor_watched_sessions ${watched.size}\n`
  );
}

function json(res, { status, body }) {
  const s = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(s) });
  res.end(s);
}

function sseHead(res) {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();
}

function nodeStream(req, res, url) {
  const { claims, refused } = authOf(req.headers);
  if (refused) return json(res, refused);
  const args = streamArgs(url.searchParams);
  if (args.refused) return json(res, args.refused);
  sseHead(res);
  res.on('close', startStream(nodeSink(res), args.sessionId, claims, args.prompt));
}

function nodeDecide(req, res, requestId, type) {
  req.resume();
  const { claims, refused } = authOf(req.headers);
  if (refused) return json(res, refused);
  decide(claims, requestId, type).then(
    (answer) => json(res, answer),
    (e) => json(res, fail(500, e.message)),
  );
}

function startNode() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const p = url.pathname;
    if (req.method === 'GET' && p === '/aura/test/stream') return nodeStream(req, res, url);
    if (req.method === 'POST' && p.startsWith('/aura/hitl/approve/')) return nodeDecide(req, res, decodeURIComponent(p.slice(19)), 'approval');
    if (req.method === 'POST' && p.startsWith('/aura/hitl/reject/')) return nodeDecide(req, res, decodeURIComponent(p.slice(18)), 'rejection');
    if (p === '/health/live') return json(res, { status: 200, body: { status: 'ok' } });
    if (p === '/health/ready') return json(res, readiness());
    if (p === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      return res.end(metricsText());
    }
    json(res, fail(404, 'Not found'));
  });
  server.listen(PORT, env.HOST || '127.0.0.1', () => console.log(`floor (${MODE}, node:http) listening on ${env.HOST || '127.0.0.1'}:${PORT}`));
  return () => server.close();
}

/**
 * The same routes in a bare Nest app. CommonJS packages loaded with require and decorators applied
 * by hand, as in sse-probe.cjs: no build step.
 */
async function startNest() {
  const require = createRequire(import.meta.url);
  require('reflect-metadata');
  const common = require('@nestjs/common');
  const { NestFactory } = require('@nestjs/core');
  const { Observable } = require('rxjs');
  const refuse = ({ status, body }) => {
    throw new common.HttpException(body, status);
  };

  /** The JWT and tenant check, as a Nest guard (the service's are passport-jwt and a tenant guard). */
  class FloorAuthGuard {
    canActivate(ctx) {
      const req = ctx.switchToHttp().getRequest();
      const { claims, refused } = authOf(req.headers);
      if (refused) refuse(refused);
      req.claims = claims;
      return true;
    }
  }

  class FloorController {
    stream(req) {
      const args = streamArgs(new URL(req.url, 'http://x').searchParams);
      if (args.refused) refuse(args.refused);
      const res = req.res;
      return new Observable((subscriber) => startStream(nestSink(subscriber, res), args.sessionId, req.claims, args.prompt));
    }
    async approve(req, id) {
      const answer = await decide(req.claims, id, 'approval');
      return answer.status === 200 ? answer.body : refuse(answer);
    }
    async reject(req, id) {
      const answer = await decide(req.claims, id, 'rejection');
      return answer.status === 200 ? answer.body : refuse(answer);
    }
    live() {
      return { status: 'ok' };
    }
    ready() {
      const answer = readiness();
      return answer.status === 200 ? answer.body : refuse(answer);
    }
    metrics(res) {
      res.setHeader('content-type', 'text/plain; version=0.0.4; charset=utf-8');
      return metricsText();
    }
  }
  const on = (name, ...decorators) => {
    const descriptor = Object.getOwnPropertyDescriptor(FloorController.prototype, name);
    for (const d of decorators) d(FloorController.prototype, name, descriptor);
  };
  const param = (name, index, decorator) => decorator(FloorController.prototype, name, index);
  Reflect.defineMetadata('design:paramtypes', [], FloorController);
  Reflect.defineMetadata('design:paramtypes', [], FloorAuthGuard);
  common.Injectable()(FloorAuthGuard);
  common.Controller()(FloorController);
  const guarded = common.UseGuards(FloorAuthGuard);
  on('stream', common.Sse('aura/test/stream'), guarded);
  param('stream', 0, common.Req());
  on('approve', common.Post('aura/hitl/approve/:id'), common.HttpCode(200), guarded);
  param('approve', 0, common.Req());
  param('approve', 1, common.Param('id'));
  on('reject', common.Post('aura/hitl/reject/:id'), common.HttpCode(200), guarded);
  param('reject', 0, common.Req());
  param('reject', 1, common.Param('id'));
  on('live', common.Get('health/live'));
  on('ready', common.Get('health/ready'));
  on('metrics', common.Get('metrics'));
  param('metrics', 0, common.Res({ passthrough: true }));
  class FloorModule {}
  common.Module({ controllers: [FloorController], providers: [FloorAuthGuard] })(FloorModule);
  const app = await NestFactory.create(FloorModule, { logger: ['error'] });
  await app.listen(PORT, env.HOST || '127.0.0.1');
  console.log(`floor (${MODE}, nest) listening on ${env.HOST || '127.0.0.1'}:${PORT}`);
  return () => app.close();
}

const close = HTTP === 'nest' ? await startNest() : startNode();

const stop = () => {
  close();
  for (const b of hbBuckets) for (const s of b) s.out.destroy();
  cmd.disconnect();
  sub.disconnect();
  setTimeout(() => process.exit(0), 200).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
