// A scripted OpenAI-compatible Chat Completions server for the token scenario: the .mjs twin of
// test/support/scripted-llm-server.ts (the bench does not import TypeScript), reduced to what the
// bench needs. Every request is answered with one text-only model turn, streamed the way the real
// endpoints stream it (`data: {chunk}` lines with choices[0].delta.content, a last chunk with
// finish_reason "stop", a usage chunk, `data: [DONE]`), paced at a steady rate.
//
// Each token carries the time it was sent, so the client can measure delivery latency from the
// frames it reads: a token is `t<ms> ` where <ms> is performance.timeOrigin + performance.now() at
// the moment it is written (milliseconds since the epoch, 2 decimals). The client reads its clock
// the same way; both are on this machine, so the difference is the delivery time.
//
// Env: PORT, LLM_TOKENS_PER_SEC (50), LLM_SECONDS (10), HOST (127.0.0.1). A request can override
// both with `tokens_per_sec=<n>` and `seconds=<s>` anywhere in its messages (the run's prompt), so
// the warm-up can ask for short turns. Routes: POST /v1/chat/completions, GET /health/ready,
// GET /stats ({requests, active, maxActive, tokensSent, streamsDone, aborted}); POST /stats/reset
// zeroes maxActive.
import http from 'node:http';
import { performance } from 'node:perf_hooks';

const env = process.env;
const PORT = Number(env.PORT || 0);
const HOST = env.HOST || '127.0.0.1';
const DEFAULT_RATE = Number(env.LLM_TOKENS_PER_SEC || 50);
const DEFAULT_SECONDS = Number(env.LLM_SECONDS || 10);

const stats = { requests: 0, active: 0, maxActive: 0, tokensSent: 0, streamsDone: 0, aborted: 0 };
let completion = 0;

/** Wall-clock milliseconds with sub-ms resolution (the same expression the client uses). */
const hrNow = () => performance.timeOrigin + performance.now();

function turnOf(body) {
  const text = JSON.stringify(body.messages || []);
  const rate = Number(/tokens_per_sec=(\d+(?:\.\d+)?)/.exec(text)?.[1] ?? DEFAULT_RATE);
  const seconds = Number(/seconds=(\d+(?:\.\d+)?)/.exec(text)?.[1] ?? DEFAULT_SECONDS);
  return { rate: rate > 0 ? rate : DEFAULT_RATE, tokens: Math.max(1, Math.round(rate * seconds)) };
}

function error(res, status, message) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { message, type: 'scripted_error', code: status } }));
}

async function handle(req, res) {
  if (req.method === 'GET' && req.url === '/health/ready') return error(res, 200, 'ok');
  if (req.method === 'GET' && req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify(stats));
  }
  if (req.method === 'POST' && req.url === '/stats/reset') {
    stats.maxActive = stats.active;
    return error(res, 200, 'ok');
  }
  if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return error(res, 404, 'not found');
  const chunks = [];
  for await (const c of req) chunks.push(c);
  let body;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (e) {
    return error(res, 400, String(e));
  }
  stats.requests++;
  const { rate, tokens } = turnOf(body);
  const model = body.model || 'bench';
  const id = `chatcmpl-${++completion}`;
  const created = Math.floor(Date.now() / 1000);
  if (!body.stream) {
    // not used by the agent (it streams), answered for completeness
    const text = Array.from({ length: tokens }, () => `t${hrNow().toFixed(2)} `).join('');
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ id, object: 'chat.completion', created, model, choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }], usage: { prompt_tokens: 10, completion_tokens: tokens, total_tokens: 10 + tokens } }));
  }
  const head = `data: {"id":"${id}","object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"choices":[{"index":0,"delta":`;
  const send = (delta, finish = null) => res.write(`${head}${JSON.stringify(delta)},"finish_reason":${finish ? `"${finish}"` : 'null'}}]}\n\n`);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  stats.active++;
  if (stats.active > stats.maxActive) stats.maxActive = stats.active;
  send({ role: 'assistant', content: '' });
  const gap = 1000 / rate;
  const t0 = performance.now();
  let i = 0;
  await new Promise((resolve) => {
    const tick = () => {
      if (res.destroyed) {
        stats.aborted++;
        return resolve();
      }
      // every token due by now (a late timer sends the ones it missed), each stamped when written
      while (i < tokens && performance.now() >= t0 + i * gap) {
        send({ content: `t${hrNow().toFixed(2)} ` });
        stats.tokensSent++;
        i++;
      }
      if (i >= tokens) return resolve();
      setTimeout(tick, Math.max(0, t0 + i * gap - performance.now()));
    };
    tick();
  });
  stats.active--;
  if (res.destroyed) return;
  send({}, 'stop');
  res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: { prompt_tokens: 10, completion_tokens: tokens, total_tokens: 10 + tokens } })}\n\n`);
  res.write('data: [DONE]\n\n');
  res.end();
  stats.streamsDone++;
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((e) => {
    if (!res.headersSent) error(res, 500, String(e));
    else res.destroy();
  });
});
server.keepAliveTimeout = 65000;
server.listen(PORT, HOST, () => console.log(`scripted LLM server on http://${HOST}:${server.address().port}/v1 (${DEFAULT_RATE} tokens/s, ${DEFAULT_SECONDS} s per turn)`));

const stop = () => {
  server.close();
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 200).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
