import { Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppConfig } from '../../config/app-config';
import { DECISION_KINDS } from '../../contract/hitl.types';
import type { AuraEvent } from '../../contract/run.types';
import { SEND_EMAIL_PARAMETERS } from '../tools/send-email.tool';
import { Agent, AgentContext, AgentRun, AgentStep, ApprovalAsk } from '../../runs/agent/agent.port';

type Line = { event: (run: AgentRun, edited?: Record<string, unknown>) => AuraEvent } | { approval: ApprovalAsk };

const say = (type: AuraEvent['type'], data: Record<string, unknown>): Line => ({ event: () => ({ type, data }) });

/** The built-in demo: research, then an action that needs a human, then the answer. One line per step. */
const SCRIPT: Line[] = [
  { event: (r) => ({ type: 'thought', data: { content: `Analyzing the request: ${r.prompt || 'summarize the open incidents and notify the owner'}` } }) },
  say('plan_step', { id: 'step-1', title: 'Gather the open incidents', status: 'in_progress' }),
  say('tool_execution', { id: 'tool-1', toolName: 'search_incidents', status: 'started', params: { state: 'open', limit: 5 } }),
  say('tool_execution', { id: 'tool-1', toolName: 'search_incidents', status: 'completed', result: { count: 3, ids: ['INC-101', 'INC-107', 'INC-112'] } }),
  say('plan_step', { id: 'step-1', title: 'Gather the open incidents', status: 'completed' }),
  say('plan_step', { id: 'step-2', title: 'Notify the incident owner', status: 'in_progress' }),
  {
    approval: {
      toolName: 'send_email',
      params: { to: 'owner@example.com', subject: '3 open incidents need attention', body: 'INC-101, INC-107, INC-112 are open.' },
      message: 'The agent wants to send an email to owner@example.com. Approve?',
      paramsSchema: { ...SEND_EMAIL_PARAMETERS },
      allowedDecisions: [...DECISION_KINDS],
    },
  },
  // An approver who edited the mail sees it go out as they changed it.
  { event: (_r, edited) => ({ type: 'tool_execution', data: { id: 'tool-2', toolName: 'send_email', status: 'started', params: edited ?? { to: 'owner@example.com' } } }) },
  say('tool_execution', { id: 'tool-2', toolName: 'send_email', status: 'completed', result: { messageId: 'msg-1' } }),
  say('plan_step', { id: 'step-2', title: 'Notify the incident owner', status: 'completed' }),
  say('content', { content: 'Task complete: 3 open incidents found and their owner notified.' }),
];

/**
 * Plays SCRIPT; its state is the next line to play. Paced by DEMO_STEP_DELAY_MS, one line per step;
 * unpaced (0), a burst of lines up to the next approval or the end is one step, written at once, as a
 * real agent writes what it produced together.
 */
@Injectable()
export class DemoAgent extends Agent {
  constructor(private readonly config: AppConfig) {
    super();
  }

  async step(ctx: AgentContext): Promise<AgentStep> {
    const paced = this.config.agent.demoStepDelayMs > 0;
    if (paced) await sleep(this.config.agent.demoStepDelayMs, undefined, { signal: ctx.signal });
    let position = typeof ctx.state === 'number' ? ctx.state : 0;
    if (ctx.responded) return this.afterResponse(ctx.responded.response ?? '');
    const events: AuraEvent[] = [];
    for (;;) {
      const line = SCRIPT[position];
      position += 1;
      if (!line) return { kind: 'finish', events, state: position, status: 'completed' };
      if ('approval' in line) return { kind: 'approval', events, state: position, ...line.approval };
      events.push(line.event(ctx.run, ctx.approved?.editedParams));
      if (paced) return { kind: 'continue', events, state: position };
    }
  }

  /** The approver replied instead of letting the mail go: it is not sent, and the answer says why. */
  private afterResponse(message: string): AgentStep {
    const events: AuraEvent[] = [
      { type: 'thought', data: { content: `The approver replied instead of approving: ${message}` } },
      { type: 'tool_execution', data: { id: 'tool-2', toolName: 'send_email', status: 'cancelled', error: 'Not sent: the approver replied instead' } },
      { type: 'plan_step', data: { id: 'step-2', title: 'Notify the incident owner', status: 'cancelled' } },
      { type: 'content', data: { content: `Task complete: 3 open incidents found. The email was not sent; the approver said: ${message}` } },
    ];
    return { kind: 'finish', events, state: SCRIPT.length, status: 'completed' };
  }
}
