// The model-stream floor (token scenario): what reading the model's streamed tokens costs with no
// service around it. RUNS model turns are streamed at once from the scripted server
// (bench/lib/llm-server.mjs at LLM_URL) after a warm-up of 20 one-second turns, every token's
// delivery latency (send stamp -> token in hand) recorded, and the process's CPU measured over the
// turns. PROMPT carries the turn's rate and length to the server (`tokens_per_sec=50 seconds=10`).
//
//   PROBE_MODE=sdk   the call the LLM agent makes (the `openai` client's chat.completions.create
//                    with stream and usage): fetch, its SSE decoder, JSON.parse per chunk;
//   PROBE_MODE=http  node:http, split on blank lines, JSON.parse per chunk: the cheapest reader.
//
// Prints one JSON line: {mode, runs, turnsDone, tokens, latency: {p50, p99, max}, cpuPct, seconds}.
import http from 'node:http';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const env = process.env;
const MODE = env.PROBE_MODE || 'sdk';
const RUNS = Number(env.RUNS || 200);
const URL_BASE = env.LLM_URL; // http://127.0.0.1:<port>/v1
const PROMPT = env.PROMPT || 'bench';
if (!URL_BASE || !['sdk', 'http'].includes(MODE)) {
  console.error('usage: LLM_URL=http://127.0.0.1:<port>/v1 PROBE_MODE=sdk|http RUNS=200 node model-probe.mjs');
  process.exit(2);
}

const hrNow = () => performance.timeOrigin + performance.now();
const latencies = [];
let tokens = 0;
/** A token is `t<ms> `: its latency is now - <ms>. Chunks may hold several. */
function onText(text) {
  const now = hrNow();
  for (const m of text.matchAll(/t(\d+(?:\.\d+)?) /g)) {
    latencies.push(now - Number(m[1]));
    tokens++;
  }
}

async function sdkTurn(client, prompt) {
  const stream = await client.chat.completions.create(
    { model: 'bench-model', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: prompt }] },
    { maxRetries: 0 },
  );
  let finished = false;
  for await (const chunk of stream) {
    const choice = chunk.choices?.[0];
    if (choice?.delta?.content) onText(choice.delta.content);
    if (choice?.finish_reason) finished = true;
  }
  if (!finished) throw new Error('the stream ended without finishing');
}

const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
function httpTurn(prompt) {
  const url = new URL(`${URL_BASE}/chat/completions`);
  const body = JSON.stringify({ model: 'bench-model', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: prompt }] });
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.setEncoding('utf8');
      let buf = '';
      let done = false;
      res.on('data', (chunk) => {
        buf += chunk;
        let end;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const event = buf.slice(0, end);
          buf = buf.slice(end + 2);
          if (!event.startsWith('data: ')) continue;
          const data = event.slice(6);
          if (data === '[DONE]') {
            done = true;
            continue;
          }
          const text = JSON.parse(data).choices?.[0]?.delta?.content;
          if (text) onText(text);
        }
      });
      res.on('end', () => (done ? resolve() : reject(new Error('the stream ended without [DONE]'))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

let turn;
if (MODE === 'sdk') {
  const require = createRequire(import.meta.url);
  // The agent's own client (src/agents/openai/chat-client.ts, built by npm run bench), no key.
  const { createChatClient } = require('../../dist/agents/openai/chat-client.js');
  const client = createChatClient({ baseUrl: URL_BASE });
  turn = (prompt) => sdkTurn(client, prompt);
} else {
  turn = httpTurn;
}

const warmPrompt = PROMPT.replace(/seconds=\d+(\.\d+)?/, '') + ' seconds=1';
await Promise.all(Array.from({ length: Math.min(20, RUNS) }, () => turn(warmPrompt)));
latencies.length = 0;
tokens = 0;

const cpu0 = process.cpuUsage();
const t0 = performance.now();
const settled = await Promise.allSettled(Array.from({ length: RUNS }, () => turn(PROMPT)));
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
latencies.sort((a, b) => a - b);
const q = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : NaN);
const failed = settled.filter((s) => s.status === 'rejected');
console.log(
  JSON.stringify({
    mode: MODE,
    runs: RUNS,
    turnsDone: RUNS - failed.length,
    errors: failed.slice(0, 3).map((s) => String(s.reason?.message || s.reason)),
    tokens,
    latency: { p50: q(0.5), p99: q(0.99), max: latencies.at(-1) ?? NaN },
    cpuPct: ((cpu.user + cpu.system) / 1000 / (seconds * 1000)) * 100,
    seconds,
  }),
);
process.exit(0);
