import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import OpenAI from 'openai';
import type { ChatCompletionFunctionTool } from 'openai/resources/chat/completions';
import type { LlmBounds } from '../../config/app-config';
import { runErrorEvent } from '../../contract/events';
import { Agent, AgentContext, AgentFailure, AgentStep } from '../../runs/agent/agent.port';
import type { AuraEvent } from '../../contract/run.types';
import { ToolRegistry } from '../tools/tool-registry';
import { OpenAiAgentState, PendingCall, idempotencyKeyOf, initialState, readState, stateBytes, toJsonValue } from './agent-state';
import { toChatTool } from './chat-messages';
import { createChatClient } from './chat-client';
import { callModel } from './model-call';
import { approvalMessage, assistantMessage, callsOfTurn, pendingCalls } from './turn-calls';
import { callResult, decisionOn, recordDecisions, responseResult } from './human-decisions';

export const OPENAI_AGENT_OPTIONS = Symbol('OPENAI_AGENT_OPTIONS');

export interface OpenAiAgentOptions {
  /** The endpoint's base, e.g. https://api.openai.com/v1 (the agent appends /chat/completions). */
  baseUrl: string;
  model: string;
  apiKey?: string;
  /** The longest the endpoint may stay silent within one call, before each attempt is given up. */
  timeoutMs: number;
  /** The longest one call may take in all. */
  callTimeoutMs: number;
  /** Sent as max_tokens. */
  maxTokens: number;
  bounds: LlmBounds;
  /** Tools a human must approve before each call. */
  hitlTools: string[];
}

/** A run whose model keeps calling tools is stopped rather than left to loop (and bill) forever. */
export const MAX_TURNS = 16;

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
  private readonly logger = new Logger(OpenAiAgent.name);
  private readonly client: OpenAI;
  private readonly hitl: Set<string>;
  /** The tools as the model is offered them: the registry does not change after boot. */
  private readonly chatTools: ChatCompletionFunctionTool[];

  constructor(
    @Inject(OPENAI_AGENT_OPTIONS) private readonly options: OpenAiAgentOptions,
    private readonly tools: ToolRegistry,
  ) {
    super();
    // One streamed chunk carries at most the whole answer, JSON-escaped (\uXXXX: up to 6 bytes a byte).
    this.client = createChatClient({ ...options, maxLineBytes: 6 * options.bounds.maxAnswerBytes + 64 * 1024 });
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
    if (state.failed) return this.failed(state, state.failed);
    try {
      const step = state.pending.length > 0 ? await this.runTool(ctx, state) : await this.askModel(ctx, state);
      return this.withinStateBound(step);
    } catch (err) {
      if (!(err instanceof AgentFailure) || ctx.signal.aborted) throw err;
      this.logger.warn(`Run ${ctx.run.sessionId} failed: ${err.code}`);
      // From the state as stored: the step may have changed its copy half-way.
      return this.failed(readState(ctx.state), { code: err.code, message: err.message });
    }
  }

  /**
   * Ends the run failed, in its own words, closing the turn in progress: the engine writes done.
   * The state records it, so a step asked again after this one only repeats it.
   */
  private failed(s: OpenAiAgentState, failure: { code: string; message: string }): AgentStep {
    s.failed = failure;
    s.pending = [];
    s.awaiting = undefined;
    const events = [planStep(s.turn, 'failed', `Turn ${s.turn}: stopped (${failure.code})`), runErrorEvent(failure.code, failure.message)];
    return { kind: 'finish', events, state: s, status: 'failed' };
  }

  private withinStateBound(step: AgentStep): AgentStep {
    if (step.kind === 'handed_off') return step;
    const max = this.options.bounds.maxStateBytes;
    if (stateBytes(step.state as OpenAiAgentState) > max) throw new AgentFailure('state_too_large', `The conversation outgrew the agent state's ${max} bytes`);
    return step;
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
      callTimeoutMs: this.options.callTimeoutMs,
      maxTokens: this.options.maxTokens,
      bounds: this.options.bounds,
      sessionId: ctx.run.sessionId,
      signal: ctx.signal,
      onText: (attempt, chunk) => ctx.streamText(messageId(attempt), chunk),
    });
    const id = messageId(answer.attempt);
    s.messages.push(assistantMessage(answer));
    s.turnText = answer.text;

    if (answer.toolCalls.length === 0) {
      s.finished = true;
      const events = [{ type: 'content' as const, data: { content: answer.text, messageId: id } }, planStep(s.turn, 'completed', `Turn ${s.turn}: answered`)];
      return { kind: 'finish', events, state: s, status: 'completed' };
    }
    s.pending = pendingCalls(ctx.run.sessionId, s.turn, answer, this.tools, (name) => this.hitl.has(name));
    const events: AuraEvent[] = answer.text ? [{ type: 'thought', data: { content: answer.text, messageId: id } }] : [];
    return this.next(s, events);
  }

  private async runTool(ctx: AgentContext, s: OpenAiAgentState): Promise<AgentStep> {
    recordDecisions(s, ctx);
    const call = s.pending[0];
    let edited: Record<string, unknown> | undefined;
    if (this.needsApproval(call)) {
      const decision = decisionOn(s, call, ctx);
      // Asked again without the decision (e.g. the engine lost it): ask again, never run it.
      if (!decision) return this.next(s, []);
      s.awaiting = undefined;
      if (decision.status === 'responded') {
        s.messages.push({ role: 'tool', content: [responseResult(call, decision.response ?? '')] });
        return this.afterCall(s, [{ type: 'tool_execution', data: { id: call.id, toolName: call.toolName, status: 'cancelled', error: 'Not run: a human replied instead' } }]);
      }
      edited = decision.editedParams;
    }
    s.awaiting = undefined;
    const params = edited ?? call.params;
    const started: AuraEvent = { type: 'tool_execution', data: { id: call.id, toolName: call.toolName, status: 'started', params } };
    const outcome = await this.execute(ctx, { ...call, params });
    ctx.signal.throwIfAborted();
    const events: AuraEvent[] = [started];
    if (outcome.ok) {
      events.push({ type: 'tool_execution', data: { id: call.id, toolName: call.toolName, status: 'completed', result: outcome.value } });
    } else {
      events.push({ type: 'tool_execution', data: { id: call.id, toolName: call.toolName, status: 'failed', error: outcome.error } });
    }
    s.messages.push({ role: 'tool', content: [callResult(call, outcome, edited)] });
    return this.afterCall(s, events);
  }

  /** The call is answered: on to the next one, or, when it was the turn's last, to the next turn. */
  private afterCall(s: OpenAiAgentState, events: AuraEvent[]): AgentStep {
    s.pending.shift();
    if (s.pending.length === 0) {
      const names = [...new Set(callsOfTurn(s).map((c) => c.toolName))].join(', ');
      events.push(planStep(s.turn, 'completed', `Turn ${s.turn}: called ${names}`), planStep(s.turn + 1, 'in_progress'));
      s.turn += 1;
      s.turnText = '';
      s.decided = undefined;
    }
    return this.next(s, events);
  }

  /**
   * Continue, or pause first: every call of the turn that needs a human and has no decision yet is
   * asked in this one step, in the model's order (one group of requests); the run goes on once all
   * are decided.
   */
  private next(s: OpenAiAgentState, events: AuraEvent[]): AgentStep {
    const open = s.pending.filter((c) => this.needsApproval(c) && !s.decided?.[c.id]);
    if (open.length === 0) return { kind: 'continue', events, state: s };
    s.asked = open.map((c) => c.id);
    // The tool's own schema: the model was offered it, and a human's edit is held to it too.
    const ask = (call: PendingCall) => ({
      toolName: call.toolName,
      params: call.params,
      message: approvalMessage(s, call),
      paramsSchema: { ...this.tools.get(call.toolName)?.parameters } as Record<string, unknown>,
    });
    const [first, ...more] = open.map(ask);
    return { kind: 'approval', events, state: s, ...first, ...(more.length ? { more } : {}) };
  }

  private needsApproval(call: PendingCall): boolean {
    return !call.invalid && this.hitl.has(call.toolName);
  }

  private async execute(ctx: AgentContext, call: PendingCall): Promise<{ ok: true; value: ReturnType<typeof toJsonValue> } | { ok: false; error: string }> {
    if (call.invalid) return { ok: false, error: call.invalid };
    const tool = this.tools.get(call.toolName);
    if (!tool) return { ok: false, error: `There is no tool named ${call.toolName}` };
    try {
      const idempotencyKey = call.idempotencyKey ?? idempotencyKeyOf(ctx.run.sessionId, call.id);
      const value = await tool.run(call.params, { run: ctx.run, callId: call.id, idempotencyKey, signal: ctx.signal });
      return { ok: true, value: toJsonValue(value) };
    } catch (err) {
      return { ok: false, error: toJsonValue(err instanceof Error ? err.message : String(err)) as string };
    }
  }

  private systemPrompt(ctx: AgentContext): string {
    const meta = ctx.run.metadata ?? {};
    return Object.keys(meta).length ? `${SYSTEM_PROMPT}\n\nContext given with the request: ${JSON.stringify(meta)}` : SYSTEM_PROMPT;
  }
}
