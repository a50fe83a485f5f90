import { NAMES } from '../src/redis/redis-names';
import Redis from 'ioredis';
import request from 'supertest';
import { SendEmailTool } from '../src/agents/tools/send-email.tool';
import { startApp, TestApp, testRedisUrl, uniqueId } from './support/app';
import { waitFor } from './support/process';
import { ScriptedLlmServer, ScriptedTurn } from './support/scripted-llm-server';
import { SseClient, SseEvent } from './support/sse';
import { authHeaders, workerToken } from './support/tokens';

const MAIL_A = { to: 'a@example.com', subject: 'A', body: 'first' };
const MAIL_B = { to: 'b@example.com', subject: 'B', body: 'second' };
const TWO_MAILS: ScriptedTurn[] = [
  { text: 'Two mails.', toolCalls: [{ name: 'send_email', arguments: MAIL_A, id: 'call_a' }, { name: 'send_email', arguments: MAIL_B, id: 'call_b' }] },
  { text: 'Both handled.' },
];
const h = authHeaders();

const outline = (events: SseEvent[]) =>
  events.map(({ type, payload: { data } }) => [type, data.toolName, data.status, data.requiresApproval === undefined ? undefined : `approval:${data.requiresApproval}`].filter((x) => x !== undefined).join(' '));
const asked = (events: SseEvent[]) => events.filter((e) => e.type === 'hitl' && e.payload.data.requiresApproval === true);
const decided = (events: SseEvent[]) => events.filter((e) => e.type === 'hitl' && e.payload.data.requiresApproval === false);

/** Several approvals in one pause (contract v1.3), LLM agent against the scripted server, two instances on one Redis. */
describe('Several approvals at once (contract v1.3)', () => {
  let server: ScriptedLlmServer;
  let a: TestApp;
  let b: TestApp;
  let redis: Redis;
  const streams: SseClient[] = [];

  const start = async (extra: Record<string, string> = {}) => {
    const env = { AGENT: 'openai', LLM_BASE_URL: server.baseUrl, LLM_MODEL: 'scripted-model', LLM_TIMEOUT_MS: '2000', ...extra };
    [a, b] = await Promise.all([startApp(env), startApp(env)]);
  };
  /** A run paused on the two mails of one turn, watched on A. */
  const pausedOnTwo = async (completes = true) => {
    // The answer turn only for a run that gets that far: a rejected run leaves no turn behind for the next.
    server.enqueue(...(completes ? TWO_MAILS : TWO_MAILS.slice(0, 1)));
    const sessionId = uniqueId('grp');
    const s = new SseClient(`${a.url}/aura/test/stream?sessionId=${sessionId}&prompt=two%20mails`, h);
    streams.push(s);
    await s.waitFor((ev) => asked(ev).length === 2, 10000, 'two approval requests');
    const [first, second] = asked(s.events).map((e) => e.payload.data.requestId as string);
    return { sessionId, s, first, second };
  };
  const sent = () => [a, b].flatMap((app) => app.app.get(SendEmailTool).outbox);

  beforeEach(async () => {
    server = await ScriptedLlmServer.start();
    redis = new Redis(testRedisUrl());
  });
  afterEach(async () => {
    streams.splice(0).forEach((s) => s.close());
    await Promise.all([a?.close(), b?.close()]);
    await server.close();
    redis.disconnect();
  });

  it('a turn with two approvals pauses once, waits for both, then runs both in the model’s order (the second edited)', async () => {
    await start();
    const { sessionId, s, first, second } = await pausedOnTwo();
    const [ra, rb] = asked(s.events);
    // Written in one step: consecutive seqs, one group, the run waiting on the group's id.
    expect(rb.id).toBe(ra.id + 1);
    expect(ra.payload.data).toMatchObject({ toolName: 'send_email', params: MAIL_A, groupId: first, groupSize: 2 });
    expect(rb.payload.data).toMatchObject({ toolName: 'send_email', params: MAIL_B, groupId: first, groupSize: 2 });
    expect(await redis.hmget(NAMES.run(sessionId), 'status', 'requestId')).toEqual(['paused', first]);
    const inbox = (await request(b.url).get(`/aura/hitl/requests?status=pending&sessionId=${sessionId}`).set(h).expect(200)).body.items;
    expect(inbox.map((r: { requestId: string }) => r.requestId)).toEqual([first, second]);
    expect((await request(b.url).get('/aura/hitl/requests?status=pending&sessionId=bad%20id').set(h)).status).toBe(400);
    expect((await request(a.url).get(`/aura/runs/${sessionId}`).set(h).expect(200)).body.pendingRequestIds).toEqual([first, second]);

    await request(b.url).post(`/aura/hitl/approve/${first}`).set(h).send({}).expect(200);
    // One decided, one pending: the run stays paused and nothing runs.
    await new Promise((r) => setTimeout(r, 300));
    expect(decided(s.events)).toHaveLength(0);
    expect(sent()).toEqual([]);
    expect((await request(a.url).post(`/aura/hitl/reject/${first}`).set(h).send({})).status).toBe(409);
    expect((await request(a.url).get(`/aura/runs/${sessionId}`).set(h).expect(200)).body.pendingRequestIds).toEqual([second]);
    const edited = { ...MAIL_B, to: 'c@example.com' };
    await request(a.url).post(`/aura/hitl/approve/${second}`).set(h).send({ params: edited }).expect(200);
    await s.untilEnd();
    expect(outline(s.events)).toEqual([
      'plan_step in_progress',
      'thought',
      'hitl send_email approval:true',
      'hitl send_email approval:true',
      'hitl approved approval:false',
      'hitl approved approval:false',
      'tool_execution send_email started',
      'tool_execution send_email completed',
      'tool_execution send_email started',
      'tool_execution send_email completed',
      'plan_step completed',
      'plan_step in_progress',
      'content',
      'plan_step completed',
      'done completed',
    ]);
    expect(sent()).toMatchObject([MAIL_A, edited]);
    expect(server.requests).toHaveLength(2);
    const results = server.requests[1].body.messages.filter((m) => m.role === 'tool');
    expect(results.map((m) => m.tool_call_id)).toEqual(['call_a', 'call_b']);
  });

  it('a rejection in a group ends the run at once and cancels the other; a respond and an approval in one group both go back to the model', async () => {
    await start();
    const one = await pausedOnTwo(false);
    await request(b.url).post(`/aura/hitl/reject/${one.second}`).set(h).send({ reason: 'not b' }).expect(200);
    await one.s.untilEnd();
    expect(decided(one.s.events).map((e) => [e.payload.data.requestId, e.payload.data.status])).toEqual([
      [one.first, 'cancelled'],
      [one.second, 'rejected'],
    ]);
    expect(one.s.events.at(-1)?.payload.data).toEqual({ status: 'rejected' });
    expect((await request(a.url).get(`/aura/hitl/requests/${one.first}`).set(h)).body.status).toBe('cancelled');
    expect((await request(a.url).post(`/aura/hitl/approve/${one.first}`).set(h).send({})).status).toBe(409);
    expect(sent()).toEqual([]);

    const two = await pausedOnTwo();
    await request(b.url).post(`/aura/hitl/respond/${two.first}`).set(h).send({ message: 'skip A' }).expect(200);
    await request(a.url).post(`/aura/hitl/approve/${two.second}`).set(h).send({}).expect(200);
    await two.s.untilEnd();
    expect(two.s.events.at(-1)?.payload.data).toEqual({ status: 'completed' });
    expect(sent()).toMatchObject([MAIL_B]);
    expect(server.requests).toHaveLength(3);
    const results = server.requests[2].body.messages.filter((m) => m.role === 'tool');
    expect(String(results[0].content)).toContain('skip A');
    expect(String(results[1].content)).toContain('messageId');
  });

  it('a cancel cancels every pending request of the group; an expiry of one ends the run', async () => {
    await start({ HITL_TIMEOUT_SECONDS: '2' });
    const one = await pausedOnTwo(false);
    await request(b.url).post(`/aura/hitl/approve/${one.first}`).set(h).send({}).expect(200);
    await request(b.url).post(`/aura/runs/${one.sessionId}/cancel`).set(h).expect(200);
    await one.s.untilEnd();
    expect(decided(one.s.events).map((e) => e.payload.data.status)).toEqual(['approved', 'cancelled']);
    expect((await request(a.url).get(`/aura/hitl/requests/${one.second}`).set(h)).body.status).toBe('cancelled');

    const two = await pausedOnTwo(false);
    await request(b.url).post(`/aura/hitl/approve/${two.first}`).set(h).send({}).expect(200);
    await two.s.untilEnd(10000);
    expect(decided(two.s.events).map((e) => e.payload.data.status)).toEqual(['approved', 'expired']);
    expect(two.s.events.at(-1)?.payload.data).toEqual({ status: 'expired' });
    expect(sent()).toEqual([]);
  });

  it('a bare approval on the channel decides every pending request of the session; with HITL_CHANNEL_DECISIONS=closed it is ignored', async () => {
    await start();
    const open = await pausedOnTwo();
    await redis.publish(`hitl:channel:${open.sessionId}`, JSON.stringify({ type: 'approval' }));
    await open.s.untilEnd();
    expect(decided(open.s.events).map((e) => [e.payload.data.status])).toEqual([['approved'], ['approved']]);
    expect(sent()).toMatchObject([MAIL_A, MAIL_B]);
    await Promise.all([a.close(), b.close()]);

    await start({ HITL_CHANNEL_DECISIONS: 'closed' });
    const closed = await pausedOnTwo(false);
    await redis.publish(`hitl:channel:${closed.sessionId}`, JSON.stringify({ type: 'approval' }));
    await redis.publish(`hitl:channel:${closed.sessionId}`, JSON.stringify({ type: 'rejection', requestId: closed.first }));
    await redis.publish(`hitl:channel:${closed.sessionId}`, JSON.stringify({ type: 'response', requestId: closed.second, message: 'x' }));
    await new Promise((r) => setTimeout(r, 400));
    for (const id of [closed.first, closed.second]) expect((await request(a.url).get(`/aura/hitl/requests/${id}`).set(h)).body.status).toBe('pending');
    expect(decided(closed.s.events)).toHaveLength(0);
    // The HTTP routes still decide.
    await request(b.url).post(`/aura/hitl/reject/${closed.first}`).set(h).send({}).expect(200);
    await closed.s.untilEnd();
    expect(closed.s.events.at(-1)?.payload.data).toEqual({ status: 'rejected' });
  });

  it('a channel response and an edit are held to the request’s rules; valid ones decide', async () => {
    await start();
    const g = await pausedOnTwo();
    await redis.publish(`hitl:channel:${g.sessionId}`, JSON.stringify({ type: 'approval', requestId: g.first, params: { to: 5 } }));
    await redis.publish(`hitl:channel:${g.sessionId}`, JSON.stringify({ type: 'response', requestId: g.second, message: '' }));
    await new Promise((r) => setTimeout(r, 300));
    for (const id of [g.first, g.second]) expect((await request(a.url).get(`/aura/hitl/requests/${id}`).set(h)).body.status).toBe('pending');
    await redis.publish(`hitl:channel:${g.sessionId}`, JSON.stringify({ type: 'approval', requestId: g.first, params: { ...MAIL_A, subject: 'A2' } }));
    await redis.publish(`hitl:channel:${g.sessionId}`, JSON.stringify({ type: 'response', requestId: g.second, message: 'not B' }));
    await g.s.untilEnd();
    expect(sent()).toMatchObject([{ ...MAIL_A, subject: 'A2' }]);
    const signals = (await request(a.url).get(`/aura/hitl/signals/${g.sessionId}`).set(h)).body.signals;
    expect(signals).toEqual([
      expect.objectContaining({ type: 'approval', requestId: g.first, params: { ...MAIL_A, subject: 'A2' }, decidedBy: 'external' }),
      expect.objectContaining({ type: 'response', requestId: g.second, message: 'not B' }),
    ]);
  });
});

describe('Workers: approvals in one step, decisions at the next claim (contract v1.3)', () => {
  let a: TestApp;
  let b: TestApp;
  let redis: Redis;
  const wh = { Authorization: `Bearer ${workerToken()}` };

  beforeAll(async () => {
    [a, b] = await Promise.all([startApp({ AGENT: 'worker' }), startApp({ AGENT: 'worker' })]);
    redis = new Redis(testRedisUrl());
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    redis.disconnect();
  });

  it('two approvals in one step are one group; the claim after both are decided carries decisions and decision', async () => {
    const sid = uniqueId('wgrp');
    await request(a.url).post('/aura/runs').set(h).send({ sessionId: sid, prompt: 'two' }).expect(201);
    await waitFor(async () => (await redis.hget(NAMES.run(sid), 'owner')) === 'aura-worker-queue', 5000, 'the run to be queued');
    const claim = (await request(b.url).post('/aura/worker/claim').set(wh).send({ waitSeconds: 5 }).expect(200)).body;
    const ask = (to: string) => ({ toolName: 'send_email', params: { to }, message: `mail ${to}?`, allowedDecisions: ['approve', 'edit', 'reject'] });
    const both = { leaseId: claim.leaseId, expectedSeq: claim.seq, events: [], approval: ask('x@y.z'), approvals: [ask('x@y.z')] };
    expect((await request(b.url).post(`/aura/worker/runs/${sid}/steps`).set(wh).send(both)).status).toBe(400);
    const tooMany = { leaseId: claim.leaseId, expectedSeq: claim.seq, events: [], approvals: Array.from({ length: 17 }, () => ask('x@y.z')) };
    expect((await request(b.url).post(`/aura/worker/runs/${sid}/steps`).set(wh).send(tooMany)).status).toBe(400);
    const step = await request(b.url).post(`/aura/worker/runs/${sid}/steps`).set(wh).send({ leaseId: claim.leaseId, expectedSeq: claim.seq, events: [], approvals: [ask('one@x.y'), ask('two@x.y')] });
    expect(step.status).toBe(200);
    expect(step.body.seq).toBe(claim.seq + 2);
    const pending = (await request(a.url).get(`/aura/hitl/requests?status=pending&sessionId=${sid}`).set(h).expect(200)).body.items;
    expect(pending.map((r: { params: unknown; groupSize: number }) => [r.params, r.groupSize])).toEqual([[{ to: 'one@x.y' }, 2], [{ to: 'two@x.y' }, 2]]);
    await request(a.url).post(`/aura/hitl/approve/${pending[1].requestId}`).set(h).send({ params: { to: 'three@x.y' } }).expect(200);
    expect((await request(b.url).post('/aura/worker/claim').set(wh).send({ waitSeconds: 0 })).status).toBe(204);
    await request(b.url).post(`/aura/hitl/approve/${pending[0].requestId}`).set(h).send({}).expect(200);
    const resumed = (await request(a.url).post('/aura/worker/claim').set(wh).send({ waitSeconds: 5 }).expect(200)).body;
    expect(resumed.decision).toMatchObject({ requestId: pending[0].requestId, status: 'approved' });
    expect(resumed.decisions.map((d: { status: string; editedParams?: unknown }) => [d.status, d.editedParams])).toEqual([
      ['approved', undefined],
      ['approved', { to: 'three@x.y' }],
    ]);
    await request(a.url).post(`/aura/worker/runs/${sid}/steps`).set(wh).send({ leaseId: resumed.leaseId, expectedSeq: resumed.seq, events: [], finish: 'completed' }).expect(200);
  });
});
