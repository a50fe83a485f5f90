import Redis from 'ioredis';
import request from 'supertest';
import { SendEmailTool } from '../src/agents/tools/send-email.tool';
import { NAMES } from '../src/redis/redis-names';
import { startApp, TestApp, testRedisUrl, uniqueId } from './support/app';
import { ServiceProcess, waitFor } from './support/process';
import { ScriptedLlmServer, ScriptedTurn } from './support/scripted-llm-server';
import { SseClient, SseEvent } from './support/sse';
import { authHeaders } from './support/tokens';

const h = authHeaders();
const MAIL = { to: 'owner@example.com', subject: 'Open incidents', body: 'INC-101 is open.' };
/** An escaped lone surrogate as JSON carries it (JSON.stringify writes a lone surrogate so). */
const ESCAPED_LONE = /\\ud[89a-f][0-9a-f]{2}/i;

const llmEnv = (server: ScriptedLlmServer, extra: Record<string, string> = {}) => ({ AGENT: 'openai', LLM_BASE_URL: server.baseUrl, LLM_MODEL: 'scripted-model', LLM_TIMEOUT_MS: '2000', ...extra });
const outline = (events: SseEvent[]) => events.map(({ type, payload: { data } }) => [type, data.id, data.toolName, data.status, data.code].filter((x) => x !== undefined).join(' '));
const allMail = (...apps: TestApp[]) => apps.flatMap((app) => app.app.get(SendEmailTool).outbox);

/** The run's events as stored in Redis: the JSON of each log entry. */
async function storedEvents(sessionId: string): Promise<string[]> {
  const redis = new Redis(testRedisUrl());
  try {
    const entries = await redis.xrange(NAMES.events(sessionId), '-', '+');
    return entries.map(([, fields]) => fields[fields.indexOf('e') + 1]);
  } finally {
    redis.disconnect();
  }
}

describe('AGENT=openai: what a model sends is bounded and stored as valid Unicode (issue 21)', () => {
  let server: ScriptedLlmServer;
  let a: TestApp;
  let b: TestApp;

  const start = async (turns: ScriptedTurn[], extra: Record<string, string> = {}) => {
    server = await ScriptedLlmServer.start(turns);
    [a, b] = await Promise.all([startApp(llmEnv(server, extra)), startApp(llmEnv(server, extra))]);
  };
  afterEach(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await server?.close();
  });

  it('lone surrogates in the text and the tool arguments are stored as U+FFFD; the run pauses, is approved and completes', async () => {
    await start([{ text: 'Mailing \ud800 now \udfff.', toolCalls: [{ name: 'send_email', arguments: { ...MAIL, subject: 'a\udfffb' } }] }, { text: 'Sent \ud83d\ude00 \udc00' }]);
    const sessionId = uniqueId('llm-utf');
    const s = new SseClient(`${a.url}/aura/test/stream?sessionId=${sessionId}&prompt=go&deltas=true`, h);
    const { requestId } = await s.hitlRequest();
    const stored = await request(b.url).get(`/aura/hitl/requests/${requestId}`).set(h).expect(200);
    expect(stored.body.params).toEqual({ ...MAIL, subject: 'a\ufffdb' });
    await request(b.url).post(`/aura/hitl/approve/${requestId}`).set(h).expect(200);
    await s.untilEnd();
    expect(s.events.at(-1)?.payload.data).toEqual({ status: 'completed' });
    expect(s.events.find((e) => e.type === 'thought' && !e.payload.data.delta)?.payload.data.content).toBe('Mailing \ufffd now \ufffd.');
    expect(s.events.find((e) => e.type === 'content' && !e.payload.data.delta)?.payload.data.content).toBe('Sent \ud83d\ude00 \ufffd');
    expect(allMail(a, b)).toMatchObject([{ subject: 'a\ufffdb' }]);
    const log = await storedEvents(sessionId);
    expect(log.length).toBe(s.events.length);
    expect(log.join('\n')).toContain('\ufffd');
    expect(log.join('\n')).not.toMatch(ESCAPED_LONE);
  });

  it('two turns that call send_email with no ids, both approved, send two mails', async () => {
    await start([
      { toolCalls: [{ name: 'send_email', arguments: MAIL }], noIds: true },
      { toolCalls: [{ name: 'send_email', arguments: { ...MAIL, subject: 'Second' } }], noIds: true },
      { text: 'Both sent.' },
    ]);
    const sessionId = uniqueId('llm-twice');
    const s = new SseClient(`${a.url}/aura/test/stream?sessionId=${sessionId}&prompt=go`, h);
    const first = await s.hitlRequest();
    await request(b.url).post(`/aura/hitl/approve/${first.requestId}`).set(h).expect(200);
    await waitFor(() => s.events.filter((e) => e.type === 'hitl' && e.payload.data.requiresApproval === true).length === 2, 10000, 'the second approval');
    const second = s.events.filter((e) => e.type === 'hitl' && e.payload.data.requiresApproval === true)[1];
    await request(a.url).post(`/aura/hitl/approve/${second.payload.data.requestId as string}`).set(h).expect(200);
    await s.untilEnd();
    expect(s.events.at(-1)?.payload.data).toEqual({ status: 'completed' });
    expect(s.events.filter((e) => e.type === 'tool_execution' && e.payload.data.status === 'completed').map((e) => e.payload.data.result)).toEqual([{ messageId: expect.any(String) }, { messageId: expect.any(String) }]);
    expect(allMail(a, b).map((m) => [m.subject, m.idempotencyKey])).toEqual([
      ['Open incidents', `${sessionId}:tool-1-1`],
      ['Second', `${sessionId}:tool-2-1`],
    ]);
  });

  it.each([
    ['2 000 tool calls', 'too_many_tool_calls', { toolCalls: Array.from({ length: 2000 }, () => ({ name: 'search_incidents', arguments: {} })) }],
    ['40 KB of arguments', 'tool_arguments_too_large', { toolCalls: [{ name: 'send_email', arguments: { ...MAIL, body: 'x'.repeat(40_000) } }] }],
    ['40 MB of text', 'answer_too_large', { text: `${'y'.repeat(64 * 1024)} `.repeat(640) }],
    ['one endless 40 MB line', 'answer_too_large', { fault: 'endless_line', bytes: 40 * 1024 * 1024 }],
  ] as Array<[string, string, ScriptedTurn]>)('an answer of %s ends the run with run_error %s, its turn failed, then done {failed}', async (_what, code, turn) => {
    await start([turn, { text: 'never asked' }], { LLM_MAX_TOKENS: '777' });
    const sessionId = uniqueId('llm-bound');
    const s = new SseClient(`${a.url}/aura/test/stream?sessionId=${sessionId}&prompt=go`, h);
    await s.untilEnd(20000);
    expect(outline(s.events)).toEqual(['plan_step turn-1 in_progress', 'plan_step turn-1 failed', `run_error ${code}`, 'done failed']);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0].body.max_tokens).toBe(777);
    await waitFor(() => server.requests[0].closedAt !== undefined, 2000, 'the model connection to close');
    await request(a.url).get('/health/live').expect(200);
  }, 30000);

  it.each([
    ['only keepalives', { fault: 'keepalive', everyMs: 100 }],
    ['tool arguments very slowly', { toolCalls: [{ name: 'search_incidents', arguments: { state: 'open', limit: 5 } }], argPiecesPerSecond: 5 }],
  ] as Array<[string, ScriptedTurn]>)('a call that streams %s is cut at LLM_CALL_TIMEOUT_MS and the run fails (agent_failed, call_timeout)', async (_what, turn) => {
    await start(Array.from({ length: 4 }, () => turn), { LLM_CALL_TIMEOUT_MS: '500', LLM_TIMEOUT_MS: '10000' });
    const started = Date.now();
    const s = new SseClient(`${a.url}/aura/test/stream?sessionId=${uniqueId('llm-deadline')}&prompt=go`, h);
    await s.untilEnd(15000);
    expect(outline(s.events).slice(-3)).toEqual(['plan_step turn-1 failed', 'run_error agent_failed', 'done failed']);
    expect(s.events.at(-2)?.payload.data.message).toBe('The model failed (call_timeout)');
    expect(server.requests).toHaveLength(4);
    expect(Date.now() - started).toBeLessThan(8000);
  }, 20000);

  it.each([
    ['keepalives only', { fault: 'keepalive', everyMs: 100 }],
    ['slow tool arguments', { toolCalls: [{ name: 'search_incidents', arguments: { state: 'open', limit: 5 } }], argPiecesPerSecond: 2 }],
  ] as Array<[string, ScriptedTurn]>)('a cancel on the other instance closes a model call streaming %s at once', async (_what, turn) => {
    await start([turn], { LLM_TIMEOUT_MS: '60000' });
    const sessionId = uniqueId('llm-cancel');
    const s = new SseClient(`${a.url}/aura/test/stream?sessionId=${sessionId}&prompt=go`, h);
    await waitFor(() => server.requests.length === 1, 5000, 'the model call');
    await new Promise((r) => setTimeout(r, 300));
    const cancelledAt = Date.now();
    await request(b.url).post(`/aura/runs/${sessionId}/cancel`).set(h).expect(200);
    await waitFor(() => server.requests[0].closedAt !== undefined, 3000, 'the model connection to close');
    expect(server.requests[0].closedAt! - cancelledAt).toBeLessThan(1000);
    await s.untilEnd();
    expect(s.events.at(-1)?.payload.data).toEqual({ status: 'cancelled' });
  });
});

describe('AGENT=openai: an endpoint that echoes the key in its error body', () => {
  it('leaves it out of run_error and the logs, which say each retry with its status', async () => {
    const server = await ScriptedLlmServer.start(Array.from({ length: 4 }, () => ({ fault: 'echo', status: 503 }) as ScriptedTurn));
    const svc = await ServiceProcess.start({ REDIS_URL: testRedisUrl(), ...llmEnv(server, { LLM_API_KEY: 'sk-live-0123456789' }), LOG_LEVEL: 'warn' });
    try {
      const s = new SseClient(`${svc.url}/aura/test/stream?sessionId=${uniqueId('llm-echo')}&prompt=go`, h);
      await s.untilEnd(15000);
      expect(server.requests[0].authorization).toBe('Bearer sk-live-0123456789');
      expect(s.events.at(-2)?.payload.data).toEqual({ code: 'agent_failed', message: 'The model failed (http_503)' });
      expect(s.raw).not.toContain('sk-live');
      await waitFor(() => (svc.output.match(/retry \d of 3/g) ?? []).length === 3, 3000, `three retry lines in\n${svc.output}`);
      expect(svc.output).toMatch(/model call failed \(http_503\); retry 1 of 3/);
      expect(svc.output).not.toContain('sk-live');
    } finally {
      await svc.kill();
      await server.close();
    }
  });
});

describe('AGENT=openai: shutdown', () => {
  it('SIGTERM aborts a model call in flight at once, and another instance takes the run over', async () => {
    const server = await ScriptedLlmServer.start([{ fault: 'keepalive', everyMs: 100 }, { text: 'Answered after the takeover.' }]);
    const env = { REDIS_URL: testRedisUrl(), RUN_LEASE_MS: '1000', ...llmEnv(server, { LLM_TIMEOUT_MS: '60000' }) };
    const [a, b] = await Promise.all([ServiceProcess.start(env), ServiceProcess.start(env)]);
    try {
      const sessionId = uniqueId('llm-sigterm');
      await request(a.url).post('/aura/runs').set(h).send({ sessionId, prompt: 'hi' }).expect(201);
      await waitFor(() => server.requests.length === 1, 5000, 'the model call');
      const stoppedAt = Date.now();
      await a.kill('SIGTERM');
      await waitFor(() => server.requests[0].closedAt !== undefined, 3000, 'the model connection to close');
      expect(server.requests[0].closedAt! - stoppedAt).toBeLessThan(1000);
      const s = new SseClient(`${b.url}/aura/test/stream?sessionId=${sessionId}`, h);
      await s.untilEnd(15000);
      expect(s.events.at(-1)?.payload.data).toEqual({ status: 'completed' });
      expect(server.requests).toHaveLength(2);
    } finally {
      await Promise.all([a.kill(), b.kill()]);
      await server.close();
    }
  }, 30000);
});
