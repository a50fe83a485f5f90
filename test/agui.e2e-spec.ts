import { HttpAgent } from '@ag-ui/client';
import type { AgentSubscriber } from '@ag-ui/client';
import type { BaseEvent, Interrupt, Message, ResumeEntry } from '@ag-ui/core';
import { EventSchema } from '@ag-ui/core/schemas';
import { createParser } from 'eventsource-parser';
import request from 'supertest';
import { startApp, TestApp, uniqueId } from './support/app';
import { authHeaders } from './support/tokens';

const PROMPT = 'Summarize the open incidents and notify their owner';

/** What one HttpAgent.runAgent saw: every event, and how the run ended. */
interface Seen {
  events: BaseEvent[];
  types: string[];
  errors: Array<{ message: string; code?: string }>;
  outcome?: string;
}

async function run(agent: HttpAgent, params: { runId: string; resume?: ResumeEntry[] }): Promise<Seen> {
  const seen: Seen = { events: [], types: [], errors: [] };
  const subscriber: AgentSubscriber = {
    onEvent: ({ event }) => {
      seen.events.push(event);
      seen.types.push(event.type);
    },
    onRunErrorEvent: ({ event }) => {
      seen.errors.push({ message: event.message, code: event.code });
    },
    onRunFinishedEvent: (p) => {
      seen.outcome = p.outcome;
    },
  };
  await agent.runAgent(params, subscriber);
  return seen;
}

/** The raw response: status, and each SSE event's id and parsed data (for the schema checks the client does not show). */
async function post(app: TestApp, body: unknown, headers: Record<string, string>) {
  const res = await fetch(`${app.url}/aura/agui`, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json', Accept: 'text/event-stream' }, body: JSON.stringify(body) });
  const text = await res.text();
  const frames: Array<{ id?: string; data: unknown }> = [];
  const parser = createParser({ onEvent: (e) => frames.push({ id: e.id, data: JSON.parse(e.data) }) });
  parser.feed(text);
  return { status: res.status, contentType: res.headers.get('content-type'), headers: res.headers, text, frames, events: frames.map((f) => f.data as BaseEvent) };
}

const userMessage = (content = PROMPT, id = 'u-1'): Message => ({ id, role: 'user', content });

const PAUSE = [
  'RUN_STARTED',
  'REASONING_START', 'REASONING_MESSAGE_START', 'REASONING_MESSAGE_CONTENT', 'REASONING_MESSAGE_END', 'REASONING_END',
  'STEP_STARTED', 'TOOL_CALL_START', 'TOOL_CALL_ARGS', 'TOOL_CALL_END', 'TOOL_CALL_RESULT', 'STEP_FINISHED',
  'STEP_STARTED', 'STEP_FINISHED',
  'TOOL_CALL_START', 'TOOL_CALL_ARGS', 'TOOL_CALL_END', 'STATE_SNAPSHOT', 'MESSAGES_SNAPSHOT', 'RUN_FINISHED',
];

describe('AG-UI: HttpAgent drives Aura runs across two instances (real Redis)', () => {
  let a: TestApp;
  let b: TestApp;
  const headers = authHeaders('alice', 'acme');
  const warnings: string[] = [];
  let warnSpy: jest.SpyInstance;

  const agentOn = (app: TestApp, threadId: string, messages: Message[] = [userMessage()], h = headers) =>
    new HttpAgent({ url: `${app.url}/aura/agui`, headers: h, threadId, initialMessages: messages });

  /** A demo thread run on A up to its pause. */
  async function paused(threadId = uniqueId('agui')) {
    const agent = agentOn(a, threadId);
    const seen = await run(agent, { runId: 'run-1' });
    return { threadId, agent, seen, interrupt: agent.pendingInterrupts[0] as Interrupt };
  }

  beforeAll(async () => {
    [a, b] = await Promise.all([startApp(), startApp()]);
    // The client strips and warns about anything the protocol does not describe: there must be nothing to warn about.
    warnSpy = jest.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => void warnings.push(args.map(String).join(' ')));
  });

  afterEach(() => {
    expect(warnings.filter((w) => w.includes('[ag-ui]'))).toEqual([]);
    warnings.length = 0;
  });

  afterAll(async () => {
    warnSpy.mockRestore();
    await Promise.all([a.close(), b.close()]);
  });

  it('pauses with one interrupt whose id is the request id; a resume on the other instance approves it and the run completes', async () => {
    const { threadId, agent, seen, interrupt } = await paused();
    expect(seen.types).toEqual(PAUSE);
    expect(seen.outcome).toBe('interrupt');
    expect(agent.pendingInterrupts).toHaveLength(1);

    const req = await request(b.url).get(`/aura/hitl/requests/${interrupt.id}`).set(headers).expect(200);
    expect(req.body).toMatchObject({ sessionId: threadId, toolName: 'send_email', status: 'pending' });
    expect(interrupt).toEqual({
      id: req.body.requestId,
      reason: 'tool_call',
      toolCallId: req.body.requestId,
      message: req.body.message,
      expiresAt: req.body.expiresAt,
      responseSchema: expect.objectContaining({ type: 'object', required: ['approved'] }),
      metadata: { aura: { requestId: req.body.requestId, toolName: 'send_email', params: req.body.params, paramsDigest: req.body.paramsDigest, allowedDecisions: ['approve', 'edit', 'reject', 'respond'] } },
    });
    // The pending call is the interrupt's tool call, with the request's params as its arguments.
    const start = seen.events.filter((e) => e.type === 'TOOL_CALL_START').at(-1) as unknown as { toolCallId: string; toolCallName: string };
    expect(start).toMatchObject({ toolCallId: interrupt.id, toolCallName: 'send_email' });
    const snapshot = seen.events.find((e) => e.type === 'MESSAGES_SNAPSHOT') as unknown as { messages: Message[] };
    expect(snapshot.messages[0]).toEqual({ id: 'u-1', role: 'user', content: PROMPT });

    agent.url = `${b.url}/aura/agui`;
    const resumed = await run(agent, { runId: 'run-2', resume: [{ interruptId: interrupt.id, status: 'resolved', payload: { approved: true } }] });
    expect(resumed.types).toEqual(['RUN_STARTED', 'TOOL_CALL_RESULT', 'STEP_STARTED', 'STEP_FINISHED', 'TEXT_MESSAGE_START', 'TEXT_MESSAGE_CONTENT', 'TEXT_MESSAGE_END', 'RUN_FINISHED']);
    expect(resumed.outcome).toBe('success');
    expect(resumed.events[1]).toMatchObject({ toolCallId: interrupt.id, content: JSON.stringify({ messageId: 'msg-1' }) });
    expect(agent.pendingInterrupts).toEqual([]);
    expect(agent.messages.at(-1)).toMatchObject({ role: 'assistant', content: 'Task complete: 3 open incidents found and their owner notified.' });

    const decided = await request(a.url).get(`/aura/hitl/requests/${interrupt.id}`).set(headers).expect(200);
    expect(decided.body).toMatchObject({ status: 'approved', decidedBy: 'alice' });
  });

  it('a rejection through resume ends the run: the call’s result says so, then RUN_FINISHED success', async () => {
    const { agent, interrupt } = await paused();
    agent.url = `${b.url}/aura/agui`;
    const resumed = await run(agent, { runId: 'run-2', resume: [{ interruptId: interrupt.id, status: 'resolved', payload: { approved: false } }] });
    expect(resumed.types).toEqual(['RUN_STARTED', 'TOOL_CALL_RESULT', 'RUN_FINISHED']);
    expect(resumed.events[1]).toMatchObject({ toolCallId: interrupt.id, content: JSON.stringify({ status: 'rejected' }) });
    expect(resumed.outcome).toBe('success');
    const decided = await request(a.url).get(`/aura/hitl/requests/${interrupt.id}`).set(headers).expect(200);
    expect(decided.body.status).toBe('rejected');
  });

  it('new user input while an interrupt is open is RUN_ERROR pending_interrupts, and decides nothing', async () => {
    const { threadId, agent, interrupt } = await paused();
    // A second client on the thread that does not know of the interrupt (the first one refuses to send such input itself).
    const other = agentOn(b, threadId, [...agent.messages, userMessage('And what about the closed ones?', 'u-2')]);
    const seen = await run(other, { runId: 'run-x' });
    expect(seen.types).toEqual(['RUN_STARTED', 'RUN_ERROR']);
    expect(seen.errors).toEqual([{ code: 'pending_interrupts', message: expect.stringContaining('resume') }]);
    const req = await request(a.url).get(`/aura/hitl/requests/${interrupt.id}`).set(headers).expect(200);
    expect(req.body.status).toBe('pending');
  });

  it('every event of a pause and of its continuation parses with the @ag-ui/core schemas, with an id line each', async () => {
    const threadId = uniqueId('agui-raw');
    const first = await post(a, { threadId, runId: 'r1', messages: [userMessage()] }, headers);
    expect(first.status).toBe(200);
    expect(first.contentType).toMatch(/^text\/event-stream/);
    expect([first.headers.get('cache-control'), first.headers.get('x-accel-buffering'), first.headers.get('x-session-id')]).toEqual([expect.stringContaining('no-cache'), 'no', threadId]);
    expect(first.events.map((e) => e.type)).toEqual(PAUSE);
    expect(first.frames.map((f) => f.id)).toEqual(first.frames.map((_, i) => String(i + 1)));
    // AG-UI frames are `id:` and `data:` only: the event's type is inside its JSON.
    expect(first.text).not.toMatch(/^event:/m);
    for (const e of first.events) expect(EventSchema.safeParse(e)).toMatchObject({ success: true });
    const interrupt = (first.events.at(-1) as unknown as { outcome: { interrupts: Interrupt[] } }).outcome.interrupts[0];

    const second = await post(b, { threadId, runId: 'r2', messages: [userMessage()], resume: [{ interruptId: interrupt.id, status: 'resolved', payload: { approved: true } }] }, headers);
    expect(second.status).toBe(200);
    expect(second.events.at(-1)).toEqual({ type: 'RUN_FINISHED', threadId, runId: 'r2', outcome: { type: 'success' } });
    for (const e of second.events) expect(EventSchema.safeParse(e)).toMatchObject({ success: true });
  });

  it('is in the OpenAPI document: POST with the RunAgentInput body, answering text/event-stream', async () => {
    const doc = (await request(a.url).get('/docs-json').expect(200)).body;
    const op = doc.paths['/aura/agui'].post;
    expect(op.tags).toEqual(['agui']);
    expect(op.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/RunAgentInputDto' });
    expect(Object.keys(op.responses['200'].content)).toEqual(['text/event-stream']);
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['400', '401', '403', '404', '409', '429']));
  });

  describe('bad input: a 4xx before any SSE, nothing started or decided', () => {
    const json = async (res: Response) => ({ status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as { message: string } });
    const raw = (app: TestApp, body: unknown, h = headers) =>
      fetch(`${app.url}/aura/agui`, { method: 'POST', headers: { ...h, 'Content-Type': 'application/json' }, body: JSON.stringify(body) }).then(json);

    it('a body that is not a RunAgentInput is 400 and says where', async () => {
      const res = await raw(a, { threadId: 'x', messages: 'no' });
      expect(res.status).toBe(400);
      expect(res.type).toMatch(/^application\/json/);
      expect(res.body.message).toMatch(/^Not an AG-UI RunAgentInput: .*runId/);
      expect(res.body.message).toContain('messages');
    });

    it('a threadId outside the id pattern is 400', async () => {
      const res = await raw(a, { threadId: 'bad thread/../x', runId: 'r', messages: [userMessage()] });
      expect(res).toMatchObject({ status: 400, body: { message: expect.stringContaining('Invalid threadId') } });
    });

    it('a new thread without a user message is 400 and starts no run', async () => {
      const threadId = uniqueId('agui-empty');
      const res = await raw(a, { threadId, runId: 'r', messages: [{ id: 's', role: 'system', content: 'be brief' }] });
      expect(res).toMatchObject({ status: 400, body: { message: expect.stringContaining('needs a user message') } });
      await request(a.url).get(`/aura/hitl/signals/${threadId}`).set(headers).expect(404);
    });

    it('malformed editedArgs or message are 400 before anything is decided, and the interrupt stays open', async () => {
      const { threadId, interrupt } = await paused();
      const resume = (payload: unknown) => raw(b, { threadId, runId: 'r2', messages: [], resume: [{ interruptId: interrupt.id, status: 'resolved', payload }] });
      expect(await resume({ approved: true, editedArgs: ['not', 'an', 'object'] })).toMatchObject({ status: 400, body: { message: expect.stringContaining('editedArgs must be an object') } });
      expect(await resume({ approved: false, editedArgs: { to: 'x@y.z' } })).toMatchObject({ status: 400, body: { message: expect.stringContaining('editedArgs go with {approved: true}') } });
      expect(await resume({ approved: false, message: 'x'.repeat(4001) })).toMatchObject({ status: 400, body: { message: expect.stringContaining('1 to 4000 characters') } });
      expect(await resume({ approved: true, message: 'hi' })).toMatchObject({ status: 400 });
      const req = await request(a.url).get(`/aura/hitl/requests/${interrupt.id}`).set(headers).expect(200);
      expect(req.body.status).toBe('pending');
    });

    it('a resume with editedArgs on the other instance approves with edits; one with a message responds; both runs complete', async () => {
      const edited = await paused();
      edited.agent.url = `${b.url}/aura/agui`;
      const params = { to: 'someone-else@example.com', subject: 'Incidents', body: 'Three are open.' };
      const afterEdit = await run(edited.agent, { runId: 'run-2', resume: [{ interruptId: edited.interrupt.id, status: 'resolved', payload: { approved: true, editedArgs: params } }] });
      expect(afterEdit.outcome).toBe('success');
      const editedReq = await request(a.url).get(`/aura/hitl/requests/${edited.interrupt.id}`).set(headers).expect(200);
      expect(editedReq.body).toMatchObject({ status: 'approved', editedParams: params, decidedBy: 'alice' });

      const answered = await paused();
      answered.agent.url = `${b.url}/aura/agui`;
      const afterRespond = await run(answered.agent, { runId: 'run-2', resume: [{ interruptId: answered.interrupt.id, status: 'resolved', payload: { approved: false, message: 'Do not send it, just summarise.' } }] });
      expect(afterRespond.outcome).toBe('success');
      const respondedReq = await request(a.url).get(`/aura/hitl/requests/${answered.interrupt.id}`).set(headers).expect(200);
      expect(respondedReq.body).toMatchObject({ status: 'responded', response: 'Do not send it, just summarise.' });
    });

    it('another tenant’s thread is 404; another tenant’s interrupt named on one’s own thread is stale_resume and decides nothing', async () => {
      const { threadId, interrupt } = await paused();
      const globex = authHeaders('gina', 'globex');
      const foreign = await raw(b, { threadId, runId: 'r', messages: [userMessage()] }, globex);
      expect(foreign.status).toBe(404);

      const theirThread = uniqueId('globex');
      const theirs = await post(b, { threadId: theirThread, runId: 'r', messages: [userMessage()] }, globex);
      expect(theirs.events.at(-1)).toMatchObject({ type: 'RUN_FINISHED', outcome: { type: 'interrupt' } });
      const res = await post(b, { threadId: theirThread, runId: 'r2', messages: [], resume: [{ interruptId: interrupt.id, status: 'resolved', payload: { approved: true } }] }, globex);
      expect(res.status).toBe(200);
      expect(res.events).toEqual([
        { type: 'RUN_STARTED', threadId: theirThread, runId: 'r2', protocolVersion: '1.0' },
        { type: 'RUN_ERROR', code: 'stale_resume', message: expect.any(String) },
      ]);
      const req = await request(a.url).get(`/aura/hitl/requests/${interrupt.id}`).set(headers).expect(200);
      expect(req.body.status).toBe('pending');
    });
  });

  it('an unknown interrupt is RUN_ERROR stale_resume; the same resume again streams the continuation again; another answer after it is stale', async () => {
    const { threadId, interrupt } = await paused();
    const resumeWith = (interruptId: string, approved: boolean, app = b) =>
      post(app, { threadId, runId: uniqueId('run'), messages: [userMessage()], resume: [{ interruptId, status: 'resolved', payload: { approved } }] }, headers);

    const unknown = await resumeWith('req-does-not-exist', true);
    expect(unknown.events.map((e) => [e.type, (e as { code?: string }).code])).toEqual([['RUN_STARTED', undefined], ['RUN_ERROR', 'stale_resume']]);

    const first = await resumeWith(interrupt.id, true);
    const again = await resumeWith(interrupt.id, true, a);
    expect(again.events.map((e) => e.type)).toEqual(first.events.map((e) => e.type));
    expect(again.events.at(-1)).toMatchObject({ type: 'RUN_FINISHED', outcome: { type: 'success' } });

    const otherwise = await resumeWith(interrupt.id, false);
    expect(otherwise.events.at(-1)).toMatchObject({ type: 'RUN_ERROR', code: 'stale_resume' });
    const req = await request(a.url).get(`/aura/hitl/requests/${interrupt.id}`).set(headers).expect(200);
    expect(req.body.status).toBe('approved');
  });

  it('a run cancelled during its pause is RUN_FINISHED cancelled for the next POST; new input on the ended thread is 409', async () => {
    const { threadId, agent, interrupt } = await paused();
    await request(b.url).post(`/aura/runs/${threadId}/cancel`).set(headers).expect(200);
    const after = await post(b, { threadId, runId: 'r2', messages: agent.messages }, headers);
    expect(after.events.map((e) => e.type)).toEqual(['RUN_STARTED', 'TOOL_CALL_RESULT', 'RUN_FINISHED']);
    expect(after.events[1]).toMatchObject({ toolCallId: interrupt.id, content: JSON.stringify({ status: 'cancelled' }) });
    expect(after.events[2]).toEqual({ type: 'RUN_FINISHED', threadId, runId: 'r2', outcome: { type: 'cancelled' } });

    const more = await fetch(`${a.url}/aura/agui`, {
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'application/json' },
      body: JSON.stringify({ threadId, runId: 'r3', messages: [...agent.messages, userMessage('One more thing', 'u-9')] }),
    });
    expect(more.status).toBe(409);
    expect(((await more.json()) as { message: string }).message).toContain('has ended');
  });

  it('a resume with status "cancelled" rejects the request', async () => {
    const { agent, interrupt } = await paused();
    const resumed = await run(agent, { runId: 'run-2', resume: [{ interruptId: interrupt.id, status: 'cancelled' }] });
    expect(resumed.types).toEqual(['RUN_STARTED', 'TOOL_CALL_RESULT', 'RUN_FINISHED']);
    const req = await request(a.url).get(`/aura/hitl/requests/${interrupt.id}`).set(headers).expect(200);
    expect(req.body).toMatchObject({ status: 'rejected', decidedBy: 'alice' });
  });

  it('a client that goes away leaves the run going; a POST on the thread later gets its open interrupt again', async () => {
    const threadId = uniqueId('agui-gone');
    // A slower demo (some 700 ms to its approval), so the client is gone long before the run pauses.
    const slow = await startApp({ DEMO_STEP_DELAY_MS: '100' });
    const abort = new AbortController();
    const res = await fetch(`${slow.url}/aura/agui`, {
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'application/json' },
      body: JSON.stringify({ threadId, runId: 'r1', messages: [userMessage()] }),
      signal: abort.signal,
    });
    const frame = new TextDecoder().decode((await res.body!.getReader().read()).value);
    expect(frame).toContain('RUN_STARTED');
    abort.abort();

    // The demo run reaches its approval with nobody watching: another client, on B, finds it waiting.
    await new Promise((r) => setTimeout(r, 1500));
    await slow.close();
    const pause = await post(b, { threadId, runId: 'r2', messages: [userMessage()] }, headers);
    const last = pause.events.at(-1) as unknown as { outcome: { type: string; interrupts: Interrupt[] } };
    expect(last.outcome.type).toBe('interrupt');
    // Only the open pause: what came before it is in MESSAGES_SNAPSHOT, not streamed again.
    expect(pause.events.map((e) => e.type)).toEqual(['RUN_STARTED', 'TOOL_CALL_START', 'TOOL_CALL_ARGS', 'TOOL_CALL_END', 'STATE_SNAPSHOT', 'MESSAGES_SNAPSHOT', 'RUN_FINISHED']);
    const snapshot = pause.events.find((e) => e.type === 'MESSAGES_SNAPSHOT') as unknown as { messages: Message[] };
    expect(snapshot.messages.map((m) => m.role)).toEqual(['user', 'reasoning', 'assistant', 'tool', 'assistant']);
    const req = await request(a.url).get(`/aura/hitl/requests/${last.outcome.interrupts[0].id}`).set(headers).expect(200);
    expect(req.body).toMatchObject({ sessionId: threadId, status: 'pending' });
  });

  it('an AG-UI response holds one of the user’s MAX_STREAMS_PER_USER slots until it ends, and gives it back at the pause', async () => {
    const c = await startApp({ MAX_STREAMS_PER_USER: '1', DEMO_STEP_DELAY_MS: '100' });
    try {
      const threadId = uniqueId('agui-slot');
      const first = post(c, { threadId, runId: 'r1', messages: [userMessage()] }, headers);
      await new Promise((r) => setTimeout(r, 200));
      const second = await fetch(`${c.url}/aura/agui`, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify({ threadId: uniqueId('agui-slot'), runId: 'r', messages: [userMessage()] }) });
      expect(second.status).toBe(429);
      expect((await first).events.at(-1)).toMatchObject({ type: 'RUN_FINISHED', outcome: { type: 'interrupt' } });
      // Ended at the pause: the slot is free again.
      const third = await post(c, { threadId, runId: 'r3', messages: [userMessage()] }, headers);
      expect(third.status).toBe(200);
      expect(third.events.at(-1)).toMatchObject({ type: 'RUN_FINISHED', outcome: { type: 'interrupt' } });
    } finally {
      await c.close();
    }
  });

  it('a POST on a running thread attaches to its run: both clients see the same run and the same interrupt', async () => {
    const slow = await startApp({ DEMO_STEP_DELAY_MS: '100' });
    try {
      const threadId = uniqueId('agui-attach');
      const first = post(slow, { threadId, runId: 'r1', messages: [userMessage()] }, headers);
      await new Promise((r) => setTimeout(r, 250));
      const second = await post(b, { threadId, runId: 'r2', messages: [userMessage()] }, headers);
      const one = await first;
      expect(one.events.map((e) => e.type)).toEqual(PAUSE);
      // Attached mid-run from the start of the log: the whole AG-UI run, live.
      expect(second.events.map((e) => e.type)).toEqual(PAUSE);
      const idOf = (r: typeof one) => (r.events.at(-1) as unknown as { outcome: { interrupts: Interrupt[] } }).outcome.interrupts.map((i) => i.id);
      expect(idOf(second)).toEqual(idOf(one));
    } finally {
      await slow.close();
    }
  });

  it('an interrupt that expires ends the run: the next POST gets the call’s expired result and RUN_FINISHED success; a resume then is stale', async () => {
    const c = await startApp({ HITL_TIMEOUT_SECONDS: '1' });
    try {
      const threadId = uniqueId('agui-expire');
      const first = await post(c, { threadId, runId: 'r1', messages: [userMessage()] }, headers);
      const interrupt = (first.events.at(-1) as unknown as { outcome: { interrupts: Interrupt[] } }).outcome.interrupts[0];
      let status = 'pending';
      for (let i = 0; i < 60 && status === 'pending'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = (await request(a.url).get(`/aura/hitl/requests/${interrupt.id}`).set(headers).expect(200)).body.status;
      }
      expect(status).toBe('expired');
      await new Promise((r) => setTimeout(r, 200));
      const after = await post(a, { threadId, runId: 'r2', messages: [userMessage()] }, headers);
      expect(after.events.map((e) => e.type)).toEqual(['RUN_STARTED', 'TOOL_CALL_RESULT', 'RUN_FINISHED']);
      expect(after.events[1]).toMatchObject({ toolCallId: interrupt.id, content: JSON.stringify({ status: 'expired' }) });
      expect(after.events[2]).toMatchObject({ outcome: { type: 'success' } });
      const late = await post(a, { threadId, runId: 'r3', messages: [], resume: [{ interruptId: interrupt.id, status: 'resolved', payload: { approved: true } }] }, headers);
      expect(late.events.at(-1)).toMatchObject({ type: 'RUN_ERROR', code: 'stale_resume' });
    } finally {
      await c.close();
    }
  });

  it('a resume decides under the approve route’s rules: with HITL_SELF_APPROVAL=false the run’s own user is 403 and nothing is decided', async () => {
    const c = await startApp({ HITL_SELF_APPROVAL: 'false' });
    try {
      const { threadId, interrupt } = await paused();
      const body = { threadId, runId: 'r2', messages: [userMessage()], resume: [{ interruptId: interrupt.id, status: 'resolved', payload: { approved: true } }] };
      const self = await fetch(`${c.url}/aura/agui`, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      expect(self.status).toBe(403);
      expect(((await self.json()) as { message: string }).message).toMatch(/started the run|four-eyes|own/i);
      expect((await request(a.url).get(`/aura/hitl/requests/${interrupt.id}`).set(headers).expect(200)).body.status).toBe('pending');

      const bob = await post(c, body, authHeaders('bob', 'acme'));
      expect(bob.events.at(-1)).toMatchObject({ type: 'RUN_FINISHED', outcome: { type: 'success' } });
      expect((await request(a.url).get(`/aura/hitl/requests/${interrupt.id}`).set(headers).expect(200)).body).toMatchObject({ status: 'approved', decidedBy: 'bob' });
    } finally {
      await c.close();
    }
  });
});
