import { EventSchema } from '@ag-ui/core/schemas';
import { windowStart } from '../agui-log';
import { AuraLogEvent, AuraToAgui } from './aura-to-agui';

let seq = 0;
const ev = (type: string, data: Record<string, unknown>): AuraLogEvent => ({ seq: ++seq, type, data });
const request = (requestId: string, extra: Record<string, unknown> = {}) =>
  ev('hitl', { requestId, sessionId: 't', requiresApproval: true, toolName: 'send_email', params: { to: 'a@b.c' }, message: 'ok?', expiresAt: '2030-01-01T00:00:00.000Z', ...extra });
const decision = (requestId: string, status: string) => ev('hitl', { requestId, sessionId: 't', requiresApproval: false, status });

function play(events: AuraLogEvent[], mapper = new AuraToAgui('t', 'r', { id: 'u', content: 'hi' })) {
  const out = [...mapper.start(), ...events.flatMap((e) => mapper.map(e))];
  for (const e of out) expect(EventSchema.safeParse(e).success).toBe(true);
  return { out, types: out.map((e) => e.type), mapper };
}

describe('AuraToAgui', () => {
  it('streams deltas as one text message and closes it with the complete content, adding what the window did not see', () => {
    const { out, types } = play([
      ev('content', { content: 'Hel', messageId: 'm1', delta: true }),
      ev('content', { content: 'lo', messageId: 'm1', delta: true }),
      ev('content', { content: 'Hello world', messageId: 'm1' }),
      ev('done', { status: 'completed' }),
    ]);
    expect(types).toEqual(['RUN_STARTED', 'TEXT_MESSAGE_START', 'TEXT_MESSAGE_CONTENT', 'TEXT_MESSAGE_CONTENT', 'TEXT_MESSAGE_CONTENT', 'TEXT_MESSAGE_END', 'RUN_FINISHED']);
    expect(out.filter((e) => e.type === 'TEXT_MESSAGE_CONTENT').map((e) => (e as unknown as { delta: string }).delta)).toEqual(['Hel', 'lo', ' world']);
    expect(out.at(-1)).toEqual({ type: 'RUN_FINISHED', threadId: 't', runId: 'r', outcome: { type: 'success' } });
  });

  it('a thought that streamed closes as the text it was shown as; one that did not is a reasoning message', () => {
    const { types } = play([ev('content', { content: 'let me', messageId: 'm1', delta: true }), ev('thought', { content: 'let me', messageId: 'm1' }), ev('thought', { content: 'plain' })]);
    expect(types).toEqual([
      'RUN_STARTED', 'TEXT_MESSAGE_START', 'TEXT_MESSAGE_CONTENT', 'TEXT_MESSAGE_END',
      'REASONING_START', 'REASONING_MESSAGE_START', 'REASONING_MESSAGE_CONTENT', 'REASONING_MESSAGE_END', 'REASONING_END',
    ]);
  });

  it('ends a failed run with RUN_ERROR {message, code} and sends nothing after it', () => {
    const { out } = play([ev('run_error', { code: 'agent_failed', message: 'model down' }), ev('done', { status: 'failed' })]);
    expect(out.slice(1)).toEqual([{ type: 'RUN_ERROR', message: 'model down', code: 'agent_failed' }]);
  });

  it('a cancel during a pause answers the call, then RUN_FINISHED cancelled; steps open across the pause open and close again', () => {
    const mapper = new AuraToAgui('t', 'r', { id: 'u', content: 'hi' });
    mapper.start();
    [ev('plan_step', { id: 's', title: 'Send', status: 'in_progress' }), request('q1')].forEach((e) => mapper.absorb(e));
    const { types, out } = play([decision('q1', 'cancelled'), ev('plan_step', { id: 's', title: 'Send', status: 'cancelled' }), ev('done', { status: 'cancelled' })], mapper);
    expect(types).toEqual(['RUN_STARTED', 'TOOL_CALL_RESULT', 'STEP_STARTED', 'STEP_FINISHED', 'RUN_FINISHED']);
    expect(out[1]).toMatchObject({ toolCallId: 'q1', content: '{"status":"cancelled"}' });
    expect(out.at(-1)).toMatchObject({ outcome: { type: 'cancelled' } });
  });

  it('a group of requests is one pause: one RUN_FINISHED with an interrupt per request', () => {
    const { out, types } = play([request('q1', { groupId: 'g', groupSize: 2 }), request('q2', { groupId: 'g', groupSize: 2 })]);
    expect(types.filter((t) => t === 'RUN_FINISHED')).toHaveLength(1);
    const finished = out.at(-1) as unknown as { outcome: { type: string; interrupts: Array<{ id: string }> } };
    expect(finished.outcome.interrupts.map((i) => i.id)).toEqual(['q1', 'q2']);
  });

  it('the approved call’s tool run is the interrupt’s tool call: only its result is sent', () => {
    const mapper = new AuraToAgui('t', 'r', { id: 'u', content: 'hi' });
    mapper.absorb(request('q1'));
    const { out, types } = play([decision('q1', 'approved'), ev('tool_execution', { id: 'x', toolName: 'send_email', status: 'started' }), ev('tool_execution', { id: 'x', toolName: 'send_email', status: 'completed', result: { ok: 1 } })], mapper);
    expect(types).toEqual(['RUN_STARTED', 'TOOL_CALL_RESULT']);
    expect(out[1]).toMatchObject({ toolCallId: 'q1', content: '{"ok":1}' });
  });
});

describe('windowStart', () => {
  const thought = ev('thought', { content: 'x' });
  const q = request('q9');
  it('is 0 without a pause, just before an open pause, and just after a decided one (or the one a resume names)', () => {
    expect(windowStart([thought])).toBe(0);
    expect(windowStart([thought, q])).toBe(q.seq - 1);
    expect(windowStart([thought, q, decision('q9', 'approved')])).toBe(q.seq);
    expect(windowStart([thought, q], 'q9')).toBe(q.seq);
    expect(windowStart([thought, q], 'nope')).toBeNull();
  });
});
