import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import OpenAI from 'openai';
import type { ChatCompletionFunctionTool } from 'openai/resources/chat/completions';
import { Agent, AgentContext, AgentFailure, AgentStep } from '../../runs/agent/agent.port';
import type { AuraEvent } from '../../contract/run.types';
import { ToolRegistry } from '../tools/tool-registry';
import { OpenAiAgentState, PendingCall, initialState, readState, toJsonValue } from './agent-state';
import { toChatTool } from './chat-messages';
import type { ConversationMessage, TextPart, ToolCallPart } from './conversation';
import { createChatClient } from './chat-client';
import { ModelAnswer, callModel } from './model-call';

export const OPENAI_AGENT_OPTIONS = Symbol('OPENAI_AGENT_OPTIONS');

export interface OpenAiAgentOptions {
  /** The endpoint's base, e.g. https://api.openai.com/v1 (the agent appends /chat/completions). */
  baseUrl: string;
  model: string;
  apiKey?: string;
  /** The longest the endpoint may stay silent within one call, before each attempt is given up. */
  timeoutMs: number;
  /** Tools a human must approve before each call. */
  hitlTools: string[];
}

/** A run whose model keeps calling tools is stopped rather than left to loop (and bill) forever. */
export const MAX_TURNS = 16;
const MAX_PARAMS_IN_MESSAGE = 1000;

const SYSTEM_PROMPT =
  'You are Aura, an operations assistant. Use the tools when they help answer the request. ' +
  'Some tools need a human to approve each call; the system asks for that approval, so call them directly. ' +
  'When you have what you need, answer concisely.';

type PlanStatus = 'in_progress' | 'completed' | 'failed' | 'cancelled';
const planStep = (turn: number, status: PlanStatus, title = `Turn ${turn}`): AuraEvent => ({
  type: 'plan_step',
  data: { id: `turn-${turn}`, title, status },
});

/**
 * Runs a tool-calling model over an OpenAI-compatible Chat Completions endpoint, one durable step
 * at a time. A step does at most one of: open a turn, ask the model (one call), run one tool. So a
 * step that dies before it is written repeats only that one thing, and everything written is in
 * the state: the model is never asked again for a written turn, nor a tool run again for a
 * written result.
 */
@Injectable()
export class OpenAiAgent extends Agent {
  private readonly client: OpenAI;
  private readonly hitl: Set<string>;
  /** The tools as the model is offered them: the registry does not change after boot. */
  private readonly chatTools: ChatCompletionFunctionTool[];

  constructor(
    @Inject(OPENAI_AGENT_OPTIONS) private readonly options: OpenAiAgentOptions,
    private readonly tools: ToolRegistry,
  ) {
    super();
    this.client = createChatClient(options);
    this.hitl = new Set(options.hitlTools);
    this.chatTools = tools.list().map(toChatTool);
  }

  async step(ctx: AgentContext): Promise<AgentStep> {
    ctx.signal.throwIfAborted();
    if (ctx.state === undefined) {
      // Its own step, so plan_step in_progress is on the wire before the model's text streams.
      return { kind: 'continue', events: [planStep(1, 'in_progress')], state: initialState(ctx.run.prompt) };
    }
    const state = readState(ctx.state);
    if (state.finished) return { kind: 'finish', events: [], state, status: 'completed' };
    if (state.pending.length > 0) return this.runTool(ctx, state);
    return this.askModel(ctx, state);
  }

  private async askModel(ctx: AgentContext, s: OpenAiAgentState): Promise<AgentStep> {
    if (s.turn > MAX_TURNS) throw new AgentFailure('agent_turn_limit', `The model was still calling tools after ${MAX_TURNS} turns`);
    // One message id per attempt: text streamed by a failed attempt must not run into the next one's.
    const messageIds: string[] = [];
    const messageId = (attempt: number) => (messageIds[attempt] ??= `turn-${s.turn}-${randomUUID().slice(0, 8)}`);
    const answer = await callModel({
      client: this.client,
      model: this.options.model,
      system: this.systemPrompt(ctx),
      messages: s.messages,
      tools: this.chatTools,
      timeoutMs: this.options.timeoutMs,
      signal: ctx.signal,
      onText: (attempt, chunk) => ctx.streamText(messageId(attempt), chunk),
    });
    const id = messageId(answer.attempt);
    s.messages.push(this.assistantMessage(answer));
    s.turnText = answer.text;

    if (answer.toolCalls.length === 0) {
      s.finished = true;
      const events = [{ type: 'content' as const, data: { content: answer.text, messageId: id } }, planStep(s.turn, 'completed', `Turn ${s.turn}: answered`)];
      return { kind: 'finish', events, state: s, status: 'completed' };
    }
    s.pending = answer.toolCalls.map((call, i) => this.pendingCall(s.turn, i, call));
    const events: AuraEvent[] = answer.text ? [{ type: 'thought', data: { content: answer.text, messageId: id } }] : [];
    return this.next(s, events);
  }

  private async runTool(ctx: AgentContext, s: OpenAiAgentState): Promise<AgentStep> {
    const call = s.pending[0];
    if (this.needsApproval(call)) {
      const approved = ctx.approved !== undefined && s.awaiting === call.callId && ctx.approved.toolName === call.toolName;
      // Asked again without the approval (e.g. the engine lost the decision): ask again, never run it.
      if (!approved) return this.next(s, []);
    }
    s.awaiting = undefined;
    const started: AuraEvent = { type: 'tool_execution', data: { id: call.id, toolName: call.toolName, status: 'started', params: call.params } };
    const outcome = await this.execute(ctx, call);
    ctx.signal.throwIfAborted();
    const events: AuraEvent[] = [started];
    if (outcome.ok) {
      events.push({ type: 'tool_execution', data: { id: call.id, toolName: call.toolName, status: 'completed', result: outcome.value } });
    } else {
      events.push({ type: 'tool_execution', data: { id: call.id, toolName: call.toolName, status: 'failed', error: outcome.error } });
    }
    s.messages.push({
      role: 'tool',
      content: [
        {
          type: 'tool-result',
          toolCallId: call.callId,
          toolName: call.toolName,
          // A failed tool goes back to the model as an error it can work around, not as the run's end.
          output: outcome.ok ? { type: 'json', value: outcome.value } : { type: 'error-text', value: outcome.error },
        },
      ],
    });
    s.pending.shift();
    if (s.pending.length === 0) {
      const names = [...new Set(this.callsOfTurn(s).map((c) => c.toolName))].join(', ');
      events.push(planStep(s.turn, 'completed', `Turn ${s.turn}: called ${names}`), planStep(s.turn + 1, 'in_progress'));
      s.turn += 1;
      s.turnText = '';
    }
    return this.next(s, events);
  }

  /** Continue, or pause first if the next tool to run needs a human. */
  private next(s: OpenAiAgentState, events: AuraEvent[]): AgentStep {
    const call = s.pending[0];
    if (!call || !this.needsApproval(call)) return { kind: 'continue', events, state: s };
    s.awaiting = call.callId;
    return { kind: 'approval', events, state: s, toolName: call.toolName, params: call.params, message: this.approvalMessage(s, call) };
  }

  private needsApproval(call: PendingCall): boolean {
    return !call.invalid && this.hitl.has(call.toolName);
  }

  private approvalMessage(s: OpenAiAgentState, call: PendingCall): string {
    let params = JSON.stringify(call.params);
    if (params.length > MAX_PARAMS_IN_MESSAGE) params = `${params.slice(0, MAX_PARAMS_IN_MESSAGE)}…`;
    const ask = `The agent wants to call ${call.toolName} with ${params}.`;
    return s.turnText.trim() ? `${s.turnText.trim()}\n\n${ask}` : ask;
  }

  private async execute(ctx: AgentContext, call: PendingCall): Promise<{ ok: true; value: ReturnType<typeof toJsonValue> } | { ok: false; error: string }> {
    if (call.invalid) return { ok: false, error: call.invalid };
    const tool = this.tools.get(call.toolName);
    if (!tool) return { ok: false, error: `There is no tool named ${call.toolName}` };
    try {
      const value = await tool.run(call.params, { run: ctx.run, callId: call.callId, signal: ctx.signal });
      return { ok: true, value: toJsonValue(value) };
    } catch (err) {
      return { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
  }

  private pendingCall(turn: number, index: number, call: ModelAnswer['toolCalls'][number]): PendingCall {
    const base = { id: `tool-${turn}-${index + 1}`, callId: call.callId, toolName: call.toolName };
    const input = call.input;
    if (call.invalid) return { ...base, params: {}, invalid: `The call could not be used: ${call.invalid}` };
    // Never ask a human to approve a tool that does not exist (HITL_TOOLS may name one).
    if (!this.tools.get(call.toolName)) return { ...base, params: {}, invalid: `There is no tool named ${call.toolName}` };
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      return { ...base, params: {}, invalid: 'The arguments must be a JSON object' };
    }
    return { ...base, params: toJsonValue(input) as Record<string, unknown> };
  }

  /** The tool calls of the current turn, from its assistant message (the latest one). */
  private callsOfTurn(s: OpenAiAgentState): ToolCallPart[] {
    const last = [...s.messages].reverse().find((m) => m.role === 'assistant');
    if (!last || typeof last.content === 'string') return [];
    return last.content.filter((p): p is ToolCallPart => p.type === 'tool-call');
  }

  private assistantMessage(answer: ModelAnswer): ConversationMessage {
    const content: Array<TextPart | ToolCallPart> = [];
    if (answer.text) content.push({ type: 'text', text: answer.text });
    for (const c of answer.toolCalls) content.push({ type: 'tool-call', toolCallId: c.callId, toolName: c.toolName, input: toJsonValue(c.input) });
    return { role: 'assistant', content };
  }

  private systemPrompt(ctx: AgentContext): string {
    const meta = ctx.run.metadata ?? {};
    return Object.keys(meta).length ? `${SYSTEM_PROMPT}\n\nContext given with the request: ${JSON.stringify(meta)}` : SYSTEM_PROMPT;
  }
}
