import request from 'supertest';
import { SendEmailTool } from '../src/agents/tools/send-email.tool';
import { startApp, TestApp, uniqueId } from './support/app';
import { ScriptedLlmServer } from './support/scripted-llm-server';
import { SseClient, SseEvent } from './support/sse';
import { authHeaders } from './support/tokens';

const MAIL = { to: 'owner@example.com', subject: 'Open incidents', body: 'INC-101 is open.' };
const EDITED = { to: 'cfo@example.com', subject: 'Open incidents', body: 'INC-101 is open (edited).' };
const h = authHeaders();

const outline = (events: SseEvent[]) =>
  events.map(({ type, payload: { data } }) => [type, data.toolName, data.status, data.requiresApproval === undefined ? undefined : `approval:${data.requiresApproval}`].filter((x) => x !== undefined).join(' '));

/** The LLM agent and the decisions of contract v1.3, against the scripted OpenAI-compatible server, two instances on one Redis. */
describe('AGENT=openai: edit and respond (contract v1.3)', () => {
  let server: ScriptedLlmServer;
  let a: TestApp;
  let b: TestApp;

  beforeEach(async () => {
    server = await ScriptedLlmServer.start();
    const env = { AGENT: 'openai', LLM_BASE_URL: server.baseUrl, LLM_MODEL: 'scripted-model', LLM_TIMEOUT_MS: '2000' };
    [a, b] = await Promise.all([startApp(env), startApp(env)]);
  });
  afterEach(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await server.close();
  });

  const sent = () => [a, b].flatMap((app) => app.app.get(SendEmailTool).outbox);

  it('an edited approval on B runs the edited call on A; tool_execution shows it; the model is told a human changed the arguments', async () => {
    server.enqueue({ text: 'Emailing the owner.', toolCalls: [{ name: 'send_email', arguments: MAIL, id: 'call_mail' }] }, { text: 'Sent to the CFO.' });
    const s = new SseClient(`${a.url}/aura/test/stream?sessionId=${uniqueId('llm-edit')}&prompt=mail`, h);
    const { requestId } = await s.hitlRequest();
    const req = (await request(b.url).get(`/aura/hitl/requests/${requestId}`).set(h).expect(200)).body;
    expect(req.paramsSchema).toMatchObject({ type: 'object', required: ['to', 'subject', 'body'] });
    const bad = await request(b.url).post(`/aura/hitl/approve/${requestId}`).set(h).send({ params: { ...EDITED, to: ['x'] }, paramsDigest: req.paramsDigest });
    expect([bad.status, bad.body.message]).toEqual([400, 'params.to must be string']);
    await request(b.url).post(`/aura/hitl/approve/${requestId}`).set(h).send({ params: EDITED, paramsDigest: req.paramsDigest }).expect(200);
    await s.untilEnd();
    expect(outline(s.events).slice(-8)).toEqual([
      'hitl approved approval:false',
      'tool_execution send_email started',
      'tool_execution send_email completed',
      'plan_step completed',
      'plan_step in_progress',
      'content',
      'plan_step completed',
      'done completed',
    ]);
    const started = s.events.find((e) => e.type === 'tool_execution' && e.payload.data.status === 'started')!;
    expect(started.payload.data).toMatchObject({ toolName: 'send_email', params: EDITED });
    expect(sent()).toMatchObject([EDITED]);
    const toolMessage = server.requests[1].body.messages.find((m) => m.role === 'tool')!;
    expect(String(toolMessage.content)).toContain('A human approver changed the arguments');
    expect(String(toolMessage.content)).toContain('cfo@example.com');
    // The model's own call is kept as it made it: the tool name and its arguments never change in the conversation.
    const assistant = server.requests[1].body.messages.find((m) => m.role === 'assistant')!;
    expect(assistant.tool_calls?.[0].function).toEqual({ name: 'send_email', arguments: JSON.stringify(MAIL) });
    expect(s.events.at(-1)?.payload.data).toEqual({ status: 'completed' });
  });

  it('a respond on B reaches the model as the call’s result; the tool is not run; the model tries again and the run completes', async () => {
    server.enqueue(
      { toolCalls: [{ name: 'send_email', arguments: MAIL, id: 'call_1' }] },
      { text: 'Trying the CFO instead.', toolCalls: [{ name: 'send_email', arguments: EDITED, id: 'call_2' }] },
      { text: 'Done.' },
    );
    const s = new SseClient(`${a.url}/aura/test/stream?sessionId=${uniqueId('llm-respond')}&prompt=mail`, h);
    const first = await s.hitlRequest();
    await request(b.url).post(`/aura/hitl/respond/${first.requestId}`).set(h).send({ message: 'Not the owner: write to the CFO.' }).expect(200);
    await s.waitFor((ev) => ev.filter((e) => e.type === 'hitl' && e.payload.data.requiresApproval === true).length === 2, 10000, 'the second approval');
    const second = s.events.filter((e) => e.type === 'hitl' && e.payload.data.requiresApproval === true)[1].payload.data.requestId as string;
    expect(server.requests).toHaveLength(2);
    const reply = server.requests[1].body.messages.find((m) => m.role === 'tool')!;
    expect(reply.tool_call_id).toBe('call_1');
    expect(String(reply.content)).toContain('Not the owner: write to the CFO.');
    expect(sent()).toEqual([]);
    await request(a.url).post(`/aura/hitl/approve/${second}`).set(h).send({}).expect(200);
    await s.untilEnd();
    expect(outline(s.events)).toEqual([
      'plan_step in_progress',
      'hitl send_email approval:true',
      'hitl responded approval:false',
      'tool_execution send_email cancelled',
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
    expect(sent()).toMatchObject([EDITED]);
  });
});
