import { Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppConfig } from '../../config/app-config';
import { Agent, AgentRun, AgentStep } from './agent';

type Script = (run: AgentRun) => AgentStep;

const event = (type: 'thought' | 'plan_step' | 'tool_execution' | 'content', data: Record<string, unknown>): AgentStep => ({
  kind: 'event',
  event: { type, data },
});

/** The built-in demo: research, then an action that needs a human, then the answer. */
const SCRIPT: Script[] = [
  (r) => event('thought', { content: `Analyzing the request: ${r.prompt || 'summarize the open incidents and notify the owner'}` }),
  () => event('plan_step', { id: 'step-1', title: 'Gather the open incidents', status: 'in_progress' }),
  () => event('tool_execution', { id: 'tool-1', toolName: 'search_incidents', status: 'started', params: { state: 'open', limit: 5 } }),
  () => event('tool_execution', { id: 'tool-1', toolName: 'search_incidents', status: 'completed', result: { count: 3, ids: ['INC-101', 'INC-107', 'INC-112'] } }),
  () => event('plan_step', { id: 'step-1', title: 'Gather the open incidents', status: 'completed' }),
  () => event('plan_step', { id: 'step-2', title: 'Notify the incident owner', status: 'in_progress' }),
  () => ({
    kind: 'approval',
    toolName: 'send_email',
    params: { to: 'owner@example.com', subject: '3 open incidents need attention', body: 'INC-101, INC-107, INC-112 are open.' },
    message: 'The agent wants to send an email to owner@example.com. Approve?',
  }),
  () => event('tool_execution', { id: 'tool-2', toolName: 'send_email', status: 'started', params: { to: 'owner@example.com' } }),
  () => event('tool_execution', { id: 'tool-2', toolName: 'send_email', status: 'completed', result: { messageId: 'msg-1' } }),
  () => event('plan_step', { id: 'step-2', title: 'Notify the incident owner', status: 'completed' }),
  () => event('content', { content: 'Task complete: 3 open incidents found and their owner notified.' }),
];

/** Plays SCRIPT, paced by DEMO_STEP_DELAY_MS. */
@Injectable()
export class DemoAgent extends Agent {
  constructor(private readonly config: AppConfig) {
    super();
  }

  async step(run: AgentRun, cursor: number): Promise<AgentStep> {
    if (this.config.demoStepDelayMs > 0) await sleep(this.config.demoStepDelayMs);
    const script = SCRIPT[cursor];
    return script ? script(run) : { kind: 'finish' };
  }
}
