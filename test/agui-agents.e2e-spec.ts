import { HttpAgent } from '@ag-ui/client';
import type { BaseEvent, Interrupt } from '@ag-ui/core';
import { EventSchema } from '@ag-ui/core/schemas';
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import request from 'supertest';
import { startApp, TestApp, uniqueId } from './support/app';
import { ScriptedLlmServer, ScriptedTurn } from './support/scripted-llm-server';
import { authHeaders, workerToken } from './support/tokens';

const headers = authHeaders('alice', 'acme');
const MAIL = { to: 'owner@example.com', subject: '3 open incidents', body: 'INC-101, INC-107 and INC-112 are open.' };
const SEARCH_TEXT = 'Let me look up the open incidents first.';
const EMAIL_TEXT = 'Three incidents are open; I will email their owner.';
const ANSWER = 'Done: 3 open incidents found and their owner was emailed.';
const TURNS: ScriptedTurn[] = [
  // Paced, so the deltas come in several writes (STREAM_FLUSH_MS below) rather than in one.
  { text: SEARCH_TEXT, toolCalls: [{ name: 'search_incidents', arguments: { state: 'open', limit: 5 }, id: 'call_search' }], tokensPerSecond: 200 },
  { text: EMAIL_TEXT, toolCalls: [{ name: 'send_email', arguments: MAIL, id: 'call_email' }], tokensPerSecond: 200 },
  { text: ANSWER, tokensPerSecond: 200 },
];

/** Runs the agent once and returns every event it saw, each checked against the @ag-ui/core schemas. */
async function runOnce(agent: HttpAgent, runId: string, resume?: Array<{ interruptId: string; status: 'resolved'; payload: unknown }>): Promise<BaseEvent[]> {
  const events: BaseEvent[] = [];
  await agent.runAgent({ runId, resume }, { onEvent: ({ event }) => void events.push(event) });
  for (const e of events) expect(EventSchema.safeParse(e).success).toBe(true);
  return events;
}

/** The text each TEXT_MESSAGE_* message carried, by messageId, and how many CONTENT events it took. */
function texts(events: BaseEvent[]): Map<string, { text: string; pieces: number }> {
  const out = new Map<string, { text: string; pieces: number }>();
  for (const e of events as unknown as Array<{ type: string; messageId: string; delta: string }>) {
    if (e.type !== 'TEXT_MESSAGE_CONTENT') continue;
    const m = out.get(e.messageId) ?? { text: '', pieces: 0 };
    out.set(e.messageId, { text: m.text + e.delta, pieces: m.pieces + 1 });
  }
  return out;
}

describe('AG-UI for the LLM agent (AGENT=openai, scripted endpoint), two instances', () => {
  let server: ScriptedLlmServer;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    server = await ScriptedLlmServer.start();
    const env = { AGENT: 'openai', LLM_BASE_URL: server.baseUrl, LLM_MODEL: 'scripted-model', LLM_TIMEOUT_MS: '2000', STREAM_FLUSH_MS: '10' };
    [a, b] = await Promise.all([startApp(env), startApp(env)]);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    await server.close();
  });

  it('streams the model’s text as deltas, pauses at send_email, and after an approval on B answers in streamed text', async () => {
    server.enqueue(...TURNS);
    const threadId = uniqueId('agui-llm');
    const agent = new HttpAgent({ url: `${a.url}/aura/agui`, headers, threadId, initialMessages: [{ id: 'u1', role: 'user', content: 'Find the open incidents and email their owner' }] });
    const first = await runOnce(agent, 'run-1');
    const interrupt = agent.pendingInterrupts[0] as Interrupt;
    expect(agent.pendingInterrupts).toHaveLength(1);
    expect(interrupt.metadata).toMatchObject({ aura: { toolName: 'send_email', params: MAIL } });
    // The two turns' text streamed as deltas (several pieces each), each closed when the turn ended in tool calls.
    const streamed = [...texts(first).values()];
    expect(streamed.map((t) => t.text)).toEqual([SEARCH_TEXT, EMAIL_TEXT]);
    expect(streamed.map((t) => t.pieces > 1)).toEqual([true, true]);
    const searchCall = first.find((e) => e.type === 'TOOL_CALL_START' && (e as unknown as { toolCallName: string }).toolCallName === 'search_incidents');
    expect(searchCall).toBeDefined();
    expect(first.filter((e) => e.type === 'TOOL_CALL_RESULT')).toHaveLength(1);

    agent.url = `${b.url}/aura/agui`;
    const second = await runOnce(agent, 'run-2', [{ interruptId: interrupt.id, status: 'resolved', payload: { approved: true } }]);
    expect(second.find((e) => e.type === 'TOOL_CALL_RESULT')).toMatchObject({ toolCallId: interrupt.id });
    expect([...texts(second).values()].map((t) => t.text)).toEqual([ANSWER]);
    expect(second.at(-1)).toMatchObject({ type: 'RUN_FINISHED', outcome: { type: 'success' } });
    expect(agent.messages.at(-1)).toMatchObject({ role: 'assistant', content: ANSWER });
    expect((await request(a.url).get(`/aura/hitl/requests/${interrupt.id}`).set(headers).expect(200)).body.status).toBe('approved');
  });

  it('two approvals in one model turn are one pause with two interrupts (one group), resumed together', async () => {
    const second = { ...MAIL, to: 'deputy@example.com' };
    server.enqueue(
      { text: EMAIL_TEXT, toolCalls: [{ name: 'send_email', arguments: MAIL, id: 'call_1' }, { name: 'send_email', arguments: second, id: 'call_2' }] },
      { text: ANSWER },
    );
    const agent = new HttpAgent({ url: `${a.url}/aura/agui`, headers, threadId: uniqueId('agui-llm-two'), initialMessages: [{ id: 'u1', role: 'user', content: 'Email both owners' }] });
    const first = await runOnce(agent, 'run-1');
    const [one, two] = agent.pendingInterrupts as Interrupt[];
    expect(agent.pendingInterrupts).toHaveLength(2);
    expect(one.metadata).toMatchObject({ aura: { params: MAIL } });
    expect(two.metadata).toMatchObject({ aura: { params: second } });
    expect(first.at(-1)).toMatchObject({ type: 'RUN_FINISHED', outcome: { type: 'interrupt', interrupts: [{ id: one.id }, { id: two.id }] } });

    agent.url = `${b.url}/aura/agui`;
    const last = await runOnce(agent, 'run-2', [
      { interruptId: one.id, status: 'resolved', payload: { approved: true } },
      { interruptId: two.id, status: 'resolved', payload: { approved: true } },
    ]);
    expect(last.filter((e) => e.type === 'TOOL_CALL_RESULT')).toMatchObject([{ toolCallId: one.id }, { toolCallId: two.id }]);
    expect(last.at(-1)).toMatchObject({ type: 'RUN_FINISHED', outcome: { type: 'success' } });
    expect((await request(a.url).get(`/aura/hitl/requests/${two.id}`).set(headers).expect(200)).body).toMatchObject({ status: 'approved', groupId: one.id, groupSize: 2 });
  });

  it('a model endpoint that keeps failing ends the AG-UI run with RUN_ERROR agent_failed', async () => {
    server.enqueue({ fault: 'status', status: 500 }, { fault: 'status', status: 500 }, { fault: 'status', status: 500 }, { fault: 'status', status: 500 });
    const agent = new HttpAgent({ url: `${a.url}/aura/agui`, headers, threadId: uniqueId('agui-llm-fail'), initialMessages: [{ id: 'u1', role: 'user', content: 'hello' }] });
    const events = await runOnce(agent, 'run-1');
    expect(events.at(-1)).toMatchObject({ type: 'RUN_ERROR', code: 'agent_failed' });
  });
});

const WORKER_SCRIPT = join(__dirname, '..', 'examples', 'python-worker', 'worker.py');

describe('AG-UI for external workers (AGENT=worker, the Python example worker)', () => {
  let a: TestApp;
  let b: TestApp;
  let worker: ChildProcess;

  beforeAll(async () => {
    const env = { AGENT: 'worker', RUN_LEASE_MS: '1500' };
    [a, b] = await Promise.all([startApp(env), startApp(env)]);
    worker = spawn('python3', [WORKER_SCRIPT], {
      env: { PATH: process.env.PATH ?? '', AURA_URL: a.url, AURA_WORKER_TOKEN: workerToken(), AURA_STEP_DELAY: '0.02', AURA_RENEW_SECONDS: '0.3', AURA_WAIT_SECONDS: '2' },
      stdio: 'ignore',
    });
  });
  afterAll(async () => {
    const exited = new Promise((r) => worker.once('exit', r));
    worker.kill('SIGKILL');
    await exited;
    await Promise.all([a.close(), b.close()]);
  });

  it('a worker’s run pauses with its approval as the interrupt, and a resume on B lets the worker finish it', async () => {
    const agent = new HttpAgent({ url: `${a.url}/aura/agui`, headers, threadId: uniqueId('agui-worker'), initialMessages: [{ id: 'u1', role: 'user', content: 'check incidents' }] });
    const first = await runOnce(agent, 'run-1');
    expect(first.at(-1)).toMatchObject({ type: 'RUN_FINISHED', outcome: { type: 'interrupt' } });
    const interrupt = agent.pendingInterrupts[0] as Interrupt;
    expect(interrupt.metadata).toMatchObject({ aura: { toolName: 'send_email' } });

    agent.url = `${b.url}/aura/agui`;
    const second = await runOnce(agent, 'run-2', [{ interruptId: interrupt.id, status: 'resolved', payload: { approved: true } }]);
    expect(second.map((e) => e.type)).toEqual(['RUN_STARTED', 'TOOL_CALL_RESULT', 'STEP_STARTED', 'STEP_FINISHED', 'TEXT_MESSAGE_START', 'TEXT_MESSAGE_CONTENT', 'TEXT_MESSAGE_END', 'RUN_FINISHED']);
    expect(second.at(-1)).toMatchObject({ outcome: { type: 'success' } });
  });
});
