import { ScriptedLlmServer } from './scripted-llm-server';

const post = (server: ScriptedLlmServer, body: Record<string, unknown>) =>
  fetch(`${server.baseUrl}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', messages: [], ...body }) });

/** The JSON chunks of an SSE body, without the [DONE] terminator. */
const chunks = (sse: string) =>
  sse
    .split('\n\n')
    .filter((frame) => frame.startsWith('data: ') && frame !== 'data: [DONE]')
    .map((frame) => JSON.parse(frame.slice(6)));

describe('ScriptedLlmServer', () => {
  let server: ScriptedLlmServer;
  afterEach(() => server.close());

  it('streams text and tool calls in pieces, in the OpenAI chunk format, turn by turn', async () => {
    server = await ScriptedLlmServer.start([{ text: 'Looking it up now', toolCalls: [{ name: 'search_incidents', arguments: { state: 'open', limit: 3 }, id: 'call_a' }] }, { text: 'Done.' }]);
    const sse = await (await post(server, { stream: true })).text();
    expect(sse.trimEnd().endsWith('data: [DONE]')).toBe(true);
    const parsed = chunks(sse);
    const text = parsed.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    expect(text).toBe('Looking it up now');
    const calls = parsed.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
    expect(calls[0]).toMatchObject({ index: 0, id: 'call_a', function: { name: 'search_incidents' } });
    expect(calls.length).toBeGreaterThan(2);
    expect(JSON.parse(calls.map((c) => c.function.arguments ?? '').join(''))).toEqual({ state: 'open', limit: 3 });
    expect(parsed.map((c) => c.choices[0]?.finish_reason).filter(Boolean)).toEqual(['tool_calls']);

    const second = (await (await post(server, { stream: false })).json()) as { choices: unknown[] };
    expect(second.choices[0]).toMatchObject({ message: { role: 'assistant', content: 'Done.' }, finish_reason: 'stop' });
    expect(server.requests.map((r) => r.body.stream)).toEqual([true, false]);
    expect(server.remaining).toBe(0);
  });

  it('answers scripted faults, and 500 once the script is exhausted', async () => {
    server = await ScriptedLlmServer.start([{ fault: 'status', status: 503 }, { fault: 'malformed' }, { fault: 'stall' }]);
    expect((await post(server, { stream: true })).status).toBe(503);
    expect(await (await post(server, { stream: true })).text()).toContain('data: {"id": "broken"');
    const stalled = post(server, { stream: true });
    stalled.catch(() => undefined); // closing the server resets the hanging request
    const outcome = await Promise.race([stalled.then(() => 'answered'), new Promise((r) => setTimeout(() => r('silent'), 300))]);
    expect(outcome).toBe('silent');
    expect((await post(server, {})).status).toBe(500);
    expect(server.requests).toHaveLength(4);
  });

  it('paces streamed pieces at the given tokens per second', async () => {
    server = await ScriptedLlmServer.start([{ text: 'one two three four five six', tokensPerSecond: 50 }]);
    const started = Date.now();
    await (await post(server, { stream: true })).text();
    // 6 pieces at 20 ms each.
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
  });
});
