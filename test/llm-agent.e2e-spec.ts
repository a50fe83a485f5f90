import { NAMES } from '../src/redis/redis-names';
import Redis from 'ioredis';
import request from 'supertest';
import { SendEmailTool } from '../src/agents/tools/send-email.tool';
import { startApp, TestApp, testRedisUrl, uniqueId } from './support/app';
import { ServiceProcess } from './support/process';
import { ScriptedLlmServer, ScriptedTurn } from './support/scripted-llm-server';
import { SseClient, SseEvent } from './support/sse';
import { authHeaders } from './support/tokens';

const MAIL = { to: 'owner@example.com', subject: '3 open incidents', body: 'INC-101, INC-107 and INC-112 are open.' };
const SEARCH_TEXT = 'Let me look up the open incidents first.';
const EMAIL_TEXT = 'Three incidents are open; I will email their owner.';
const ANSWER = 'Done: 3 open incidents found and their owner was emailed.';
const HAPPY: ScriptedTurn[] = [
  { text: SEARCH_TEXT, toolCalls: [{ name: 'search_incidents', arguments: { state: 'open', limit: 5 }, id: 'call_search' }] },
  { text: EMAIL_TEXT, toolCalls: [{ name: 'send_email', arguments: MAIL, id: 'call_email' }] },
  { text: ANSWER },
];
const h = authHeaders();

/** type, then what identifies it: the wire contract's mapping of the agent's work. */
const outline = (events: SseEvent[]) =>
  events.map(({ type, payload: { data } }) => [type, data.toolName, data.status, data.requiresApproval === undefined ? undefined : `approval:${data.requiresApproval}`].filter((x) => x !== undefined).join(' '));

const llmEnv = (server: ScriptedLlmServer, extra: Record<string, string> = {}) => ({
  AGENT: 'openai',
  LLM_BASE_URL: server.baseUrl,
  LLM_MODEL: 'scripted-model',
  LLM_TIMEOUT_MS: '2000',
  ...extra,
});

describe('AGENT=openai, two instances on one Redis (contract v1.2 "Agents")', () => {
  let server: ScriptedLlmServer;
  let a: TestApp;
  let b: TestApp;

  beforeEach(async () => {
    server = await ScriptedLlmServer.start();
    [a, b] = await Promise.all([startApp(llmEnv(server)), startApp(llmEnv(server))]);
  });
  afterEach(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await server.close();
  });

  it('searches, asks to send an email, is approved on the other instance, sends it and answers; deltas only where asked', async () => {
    server.enqueue(...HAPPY);
    const sessionId = uniqueId('llm');
    const withDeltas = new SseClient(`${a.url}/aura/test/stream?sessionId=${sessionId}&prompt=check%20incidents&deltas=true`, h);
    const { requestId } = await withDeltas.hitlRequest();
    const plain = new SseClient(`${a.url}/aura/test/stream?sessionId=${sessionId}`, h);
    const hitl = withDeltas.events.find((e) => e.type === 'hitl')!;
    expect(hitl.payload.data).toMatchObject({ toolName: 'send_email', params: MAIL, requiresApproval: true });
    expect(hitl.payload.data.message).toContain(EMAIL_TEXT);

    await request(b.url).post(`/aura/hitl/approve/${requestId}`).set(h).expect(200);
    await Promise.all([withDeltas.untilEnd(), plain.untilEnd()]);

    expect(outline(plain.events)).toEqual([
      'plan_step in_progress',
      'thought',
      'tool_execution search_incidents started',
      'tool_execution search_incidents completed',
      'plan_step completed',
      'plan_step in_progress',
      'thought',
      'hitl send_email approval:true',
      'hitl approved approval:false',
      'tool_execution send_email started',
      'tool_execution send_email completed',
      'plan_step completed',
      'plan_step in_progress',
      'content',
      'plan_step completed',
      'done completed',
    ]);
    expect(plain.events.some((e) => e.payload.data.delta === true)).toBe(false);
    // The deltas of each message concatenate to its complete text, under the same messageId.
    const complete = withDeltas.events.filter((e) => (e.type === 'thought' || e.type === 'content') && e.payload.data.delta !== true);
    expect(complete.map((e) => e.payload.data.content)).toEqual([SEARCH_TEXT, EMAIL_TEXT, ANSWER]);
    for (const message of complete) {
      const chunks = withDeltas.events.filter((e) => e.payload.data.delta === true && e.payload.data.messageId === message.payload.data.messageId);
      expect(chunks.length).toBeGreaterThan(0);
      expect(chunks.map((e) => e.payload.data.content).join('')).toBe(message.payload.data.content);
      expect(chunks.every((e) => e.type === 'content')).toBe(true);
    }
    // Ids are the log's: the plain stream skipped the deltas' seqs.
    expect(withDeltas.events.map((e) => e.id)).toEqual(Array.from({ length: withDeltas.events.length }, (_, i) => i + 1));
    expect(plain.events.map((e) => e.id)).toEqual(withDeltas.events.filter((e) => e.payload.data.delta !== true).map((e) => e.id));
    const sent = [a, b].flatMap((app) => app.app.get(SendEmailTool).outbox);
    expect(sent).toMatchObject([MAIL]);
    expect(server.requests).toHaveLength(3);
  });

  it('rejection ends the run done {rejected} without running the tool', async () => {
    server.enqueue(...HAPPY);
    const sessionId = uniqueId('llm-reject');
    const s = new SseClient(`${a.url}/aura/test/stream?sessionId=${sessionId}&prompt=check%20incidents`, h);
    const { requestId } = await s.hitlRequest();
    await request(b.url).post(`/aura/hitl/reject/${requestId}`).set(h).send({ reason: 'not now' }).expect(200);
    await s.untilEnd();
    expect(outline(s.events).slice(-2)).toEqual(['hitl rejected approval:false', 'done rejected']);
    expect([a, b].flatMap((app) => app.app.get(SendEmailTool).outbox)).toEqual([]);
    expect(server.requests).toHaveLength(2);
  });

  it.each([
    ['answers 500 four times', Array.from({ length: 4 }, () => ({ fault: 'status', status: 500 }) as ScriptedTurn)],
    ['stalls past LLM_TIMEOUT_MS', Array.from({ length: 4 }, () => ({ fault: 'stall' }) as ScriptedTurn)],
  ])('a model that %s ends the run with run_error {agent_failed} and done {failed}', async (_what, turns) => {
    server.enqueue(...turns);
    const started = Date.now();
    const s = new SseClient(`${b.url}/aura/test/stream?sessionId=${uniqueId('llm-fail')}&prompt=check%20incidents`, h);
    await s.untilEnd(20000);
    expect(s.events.slice(-2).map((e) => [e.type, e.payload.data.code ?? e.payload.data.status])).toEqual([
      ['run_error', 'agent_failed'],
      ['done', 'failed'],
    ]);
    expect(server.requests).toHaveLength(4);
    expect(Date.now() - started).toBeLessThan(15000);
    await request(b.url).get('/health/live').expect(200);
  }, 30000);
});

describe('Deltas are written in batches', () => {
  it('a model streaming 500 tokens quickly is written in at most ceil(duration / STREAM_FLUSH_MS) + 2 appends', async () => {
    const words = Array.from({ length: 500 }, (_, i) => `w${i} `).join('');
    const server = await ScriptedLlmServer.start([{ text: words, tokensPerSecond: 1000 }]);
    const app = await startApp(llmEnv(server, { STREAM_FLUSH_MS: '50' }));
    const client = new Redis(testRedisUrl());
    const monitor = await client.monitor();
    const sessionId = uniqueId('llm-batch');
    const appends: number[] = [];
    // A write: a step script given the run's log, or a batch of text's own XADD to it (not one from inside a script).
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      const step = /^evalsha$/i.test(args[0]) && args.includes(NAMES.events(sessionId));
      const textBatch = /^xadd$/i.test(args[0]) && args[1] === NAMES.events(sessionId) && !/lua/.test(source);
      if (step || textBatch) appends.push(Date.now());
    });
    try {
      const s = new SseClient(`${app.url}/aura/test/stream?sessionId=${sessionId}&prompt=check%20incidents&deltas=true`, h);
      await s.untilEnd();
      const deltas = s.events.filter((e) => e.payload.data.delta === true);
      expect(deltas.map((e) => e.payload.data.content).join('')).toBe(words);
      const first = server.requests[0].receivedAt;
      const duration = Date.now() - first;
      // The run's own steps (plan, answer, done) are a few more appends than the deltas' batches.
      const deltaWrites = new Set(deltas.map((e) => e.id)).size;
      expect(deltaWrites).toBeGreaterThan(1);
      expect(appends.length - 3).toBeLessThanOrEqual(Math.ceil(duration / 50) + 2);
    } finally {
      monitor.disconnect();
      client.disconnect();
      await app.close();
      await server.close();
    }
  });
});

describe('AGENT=openai across a pod kill', () => {
  it('the first instance SIGKILLed while paused: approved on the second, the run completes; one model request per turn', async () => {
    const server = await ScriptedLlmServer.start(HAPPY);
    const env = { REDIS_URL: testRedisUrl(), RUN_LEASE_MS: '1000', ...llmEnv(server) };
    const [a, b] = await Promise.all([ServiceProcess.start(env), ServiceProcess.start(env)]);
    try {
      const sessionId = uniqueId('llm-kill');
      const s = new SseClient(`${a.url}/aura/test/stream?sessionId=${sessionId}&prompt=check%20incidents`, h);
      const { requestId } = await s.hitlRequest();
      const lastSeen = s.events.at(-1)!.id;
      await a.kill('SIGKILL');
      await request(b.url).post(`/aura/hitl/approve/${requestId}`).set(h).expect(200);
      const resumed = new SseClient(`${b.url}/aura/test/stream?sessionId=${sessionId}`, { ...h, 'Last-Event-ID': String(lastSeen) });
      await resumed.untilEnd(15000);
      expect(outline(resumed.events)).toEqual([
        'hitl approved approval:false',
        'tool_execution send_email started',
        'tool_execution send_email completed',
        'plan_step completed',
        'plan_step in_progress',
        'content',
        'plan_step completed',
        'done completed',
      ]);
      expect(resumed.events[0].id).toBe(lastSeen + 1);
      expect(server.requests).toHaveLength(3);
      const last = server.requests[2].body.messages;
      expect(last.filter((m) => m.role === 'tool')).toHaveLength(2);
      expect(JSON.stringify(last)).toContain('INC-101');
    } finally {
      await Promise.all([a.kill(), b.kill()]);
      await server.close();
    }
  });
});
