#!/usr/bin/env node
// Splits a CPU profile's busy time into the parts of the stack it went to.
//
//   node bench/profile/split.mjs <file.cpuprofile> --timeline          # busy % per second: find the window
//   node bench/profile/split.mjs <file.cpuprofile> --set <name> [--from <s>] [--to <s>] [--per <count>]
//
// Sets: approve-http (the instance answering approvals), approve-resume (the instance holding the
// streams), tokens (the LLM agent streaming). A sample goes to the part of the innermost frame that
// names one (a syscall or GC leaf first), so a middleware is not charged for what runs after its
// next(). --from/--to are seconds since the profile started; --per divides the busy time by a count
// (approvals, say) to give a cost per unit (inflated by the profiler: compare shares).
import { readFileSync } from 'node:fs';

const LEAF = [
  ['GC', /^\(garbage collector\)$/],
  ['socket writes (the syscalls)', /^(writeUtf8String|writev|writeBuffer|writeLatin1String)$/],
];
const SETS = {
  'approve-http': [
    ['passport-jwt + jsonwebtoken', /passport|jsonwebtoken|\/jws\/|\/jwa\/|jwt\.strategy|jwt-auth\.guard/],
    ['tenant and access guards', /tenant\.guard|access-policy/],
    ['validation pipes', /class-validator|class-transformer|validation\.pipe|id\.pipe/],
    ['request log + metrics', /request-log|log-fields|\/pino|http-metrics|prom-client|metrics\.service/],
    ['helmet, body parsers, JSON depth and Unicode check', /helmet|json-guard|body-parser|raw-body|worker-body-parser|type-is/],
    ['the decision (store, Lua script, Redis client)', /redis-hitl\.store|redis-script|hitl\.service|ioredis/],
    ['Nest (router, guards, pipes, serializer)', /@nestjs\//],
    ['Express', /\/express\/|\/router\/|finalhandler/],
    ['Node HTTP (parse, serve)', /_http_|node:net|stream_base/],
  ],
  'approve-resume': [
    ['the signal (subscriber message, parse)', /hitl-signal|redis-bus|\/redis\/bus/],
    ['resume: driver + agent', /run-driver|demo-agent|\/agents\//],
    ['resume: the step write (Lua script)', /step-writer|redis-run\.store|redis-script/],
    ['SSE delivery (Observable, serializer, burst writes)', /stream\.service|stream\.controller|burst-writes|rxjs|router-response|live-event/],
    ['stream end (Nest SSE AbortController)', /AbortController|abort_controller|DOMException/],
    ['ioredis (replies, messages)', /ioredis/],
    ['Nest / Express', /@nestjs\/|\/express\//],
    ['Node HTTP', /_http_|node:net|stream_base/],
  ],
  tokens: [
    ['step writes (delta batches, Lua script)', /step-writer|redis-script|redis-run\.store|delta-batcher/],
    ['the model client (openai, undici fetch, web streams)', /\/openai\/|undici|webstreams|agents\/openai/],
    ['SSE delivery (Observable, serializer, burst writes)', /stream\.service|burst-writes|rxjs|router-response|_http_outgoing/],
    ['opening runs (auth, stream setup, run store)', /passport|jwt|tenant\.guard|stream\.controller|runs\.service|run-driver|redis-bus|stream-ticket/],
    ['ioredis (replies, messages)', /ioredis/],
    ['Nest / Express', /@nestjs\/|\/express\//],
  ],
};

const args = process.argv.slice(2);
const file = args[0];
const opt = (name) => {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
};
if (!file || (!args.includes('--timeline') && !SETS[opt('--set')])) {
  console.error(`usage: split.mjs <file.cpuprofile> --timeline | --set ${Object.keys(SETS).join('|')} [--from s] [--to s] [--per count]`);
  process.exit(2);
}

const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

/** Each sample with its time since the start (µs) and its duration (µs). */
function* samples() {
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    yield { node: byId.get(profile.samples[i]), at: t - profile.startTime, us: profile.timeDeltas[i + 1] ?? 0 };
  }
}
const idle = (node) => node.callFrame.functionName === '(idle)';

if (args.includes('--timeline')) {
  const seconds = [];
  for (const s of samples()) {
    const b = (seconds[Math.floor(s.at / 1e6)] ??= { busy: 0, all: 0 });
    b.all += s.us;
    if (!idle(s.node)) b.busy += s.us;
  }
  console.log(seconds.map((b, i) => `${i}s ${b ? Math.round((100 * b.busy) / Math.max(b.all, 1)) : 0}%`).join('  '));
  process.exit(0);
}

const parts = SETS[opt('--set')];
const from = Number(opt('--from') ?? 0) * 1e6;
const to = Number(opt('--to') ?? Infinity) * 1e6;
const per = Number(opt('--per') ?? 0);
const totals = new Map();
let busy = 0;
for (const s of samples()) {
  if (s.at < from || s.at >= to || idle(s.node)) continue;
  busy += s.us;
  const part = partOf(s.node);
  totals.set(part, (totals.get(part) ?? 0) + s.us);
}

function partOf(node) {
  for (const [name, re] of LEAF) if (re.test(node.callFrame.functionName)) return name;
  for (let id = node.id; id !== undefined; id = parent.get(id)) {
    const f = byId.get(id).callFrame;
    const where = `${f.url} ${f.functionName}`;
    for (const [name, re] of parts) if (re.test(where)) return name;
  }
  return 'other';
}

console.log(`${file}: ${(busy / 1000).toFixed(0)} ms busy between ${from / 1e6} s and ${to === Infinity ? 'the end' : `${to / 1e6} s`}${per ? `, ${(busy / per).toFixed(0)} µs per unit (÷ ${per})` : ''}`);
for (const [name, us] of [...totals].sort((a, b) => b[1] - a[1])) {
  console.log(`${((100 * us) / busy).toFixed(1).padStart(6)} %  ${name}`);
}
