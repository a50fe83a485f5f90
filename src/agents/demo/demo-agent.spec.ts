import { AppConfig } from '../../config/app-config';
import type { AgentContext, WritableStep } from '../../runs/agent/agent.port';
import { DemoAgent } from './demo-agent';

const agentWithDelay = (demoStepDelayMs: number) => new DemoAgent({ agent: { demoStepDelayMs } } as unknown as AppConfig);

const ctx = (state: unknown): AgentContext => ({
  run: { sessionId: 's1', tenantId: 't1', userId: 'u1', prompt: 'check incidents', metadata: {} },
  state,
  streamText: () => undefined,
  signal: new AbortController().signal,
});

/** Steps the agent from the start to the end, as the engine would once every approval is given. */
async function playAll(agent: DemoAgent): Promise<WritableStep[]> {
  const steps: WritableStep[] = [];
  let state: unknown;
  for (;;) {
    const step = (await agent.step(ctx(state))) as WritableStep;
    steps.push(step);
    if (step.kind === 'finish') return steps;
    state = step.state;
  }
}

const shape = (steps: WritableStep[]) => steps.map((s) => `${s.kind}:${s.events.map((e) => e.type).join(',')}`);

describe('DemoAgent', () => {
  it('paced, plays one line per step, the approval as a step of its own', async () => {
    expect(shape(await playAll(agentWithDelay(1)))).toEqual([
      'continue:thought',
      'continue:plan_step',
      'continue:tool_execution',
      'continue:tool_execution',
      'continue:plan_step',
      'continue:plan_step',
      'approval:',
      'continue:tool_execution',
      'continue:tool_execution',
      'continue:plan_step',
      'continue:content',
      'finish:',
    ]);
  });

  it('unpaced, writes each burst as one step: the lines before the approval with it, the rest with the finish', async () => {
    const steps = await playAll(agentWithDelay(0));
    expect(shape(steps)).toEqual(['approval:thought,plan_step,tool_execution,tool_execution,plan_step,plan_step', 'finish:tool_execution,tool_execution,plan_step,content']);
    const approval = steps[0];
    expect(approval.kind === 'approval' && approval.toolName).toBe('send_email');
    expect(approval.events[0]).toEqual({ type: 'thought', data: { content: 'Analyzing the request: check incidents' } });
  });

  it('both ways produce the same events in the same order', async () => {
    const events = (steps: WritableStep[]) => steps.flatMap((s) => s.events);
    expect(events(await playAll(agentWithDelay(0)))).toEqual(events(await playAll(agentWithDelay(1))));
  });
});
