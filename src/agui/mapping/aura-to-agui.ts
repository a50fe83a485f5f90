import { BaseEvent, EventType, PROTOCOL_VERSION } from '@ag-ui/core';
import { PendingRequest, pendingRequestOf, toInterrupt } from './interrupts';
import { Transcript, resultMessageId } from './transcript';

/** One event of the run's log, parsed: its seq and `{type, data}`. */
export interface AuraLogEvent {
  seq: number;
  type: string;
  data: Record<string, unknown>;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const json = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v ?? {}));
const toolCall = (toolCallId: string, toolCallName: string, args: string): BaseEvent[] => [
  { type: EventType.TOOL_CALL_START, toolCallId, toolCallName } as BaseEvent,
  { type: EventType.TOOL_CALL_ARGS, toolCallId, delta: args } as BaseEvent,
  { type: EventType.TOOL_CALL_END, toolCallId } as BaseEvent,
];

/**
 * Turns the events of one Aura run (one AG-UI thread) into AG-UI events, one AG-UI run at a time:
 * each ends at a pause (RUN_FINISHED with an interrupt outcome) or at the Aura run's end. Events
 * before the window a POST streams are `absorb`ed: they build the conversation (for
 * MESSAGES_SNAPSHOT) and what is known of the requests, and send nothing. Every run it emits is
 * closed (messages, steps, tool calls), so it passes @ag-ui/client's verifier.
 */
export class AuraToAgui {
  private readonly transcript: Transcript;
  private readonly requests = new Map<string, PendingRequest>();
  /** Approved requests whose tool has not run yet: the tool_execution that runs it is the interrupt's tool call. */
  private readonly approved: PendingRequest[] = [];
  /** tool_execution id → the tool call id the client knows it by (the requestId for an approved call). */
  private readonly callIds = new Map<string, string>();

  // Per AG-UI run, reset by beginRun().
  private openText = new Map<string, string>();
  private activeSteps = new Map<string, string>();
  private paused: PendingRequest[] = [];
  private finished = false;

  constructor(
    private readonly threadId: string,
    private readonly runId: string,
    user: { id: string; content: string },
  ) {
    this.transcript = new Transcript(user);
  }

  /** True once this AG-UI run has ended (RUN_FINISHED or RUN_ERROR sent). */
  get ended(): boolean {
    return this.finished;
  }

  /** Takes an event from before the window: it shapes the conversation, nothing is sent. */
  absorb(e: AuraLogEvent): void {
    this.map(e);
    if (this.finished) this.beginRun();
  }

  /** Starts the AG-UI run the window is: RUN_STARTED. */
  start(): BaseEvent[] {
    this.beginRun();
    return [{ type: EventType.RUN_STARTED, threadId: this.threadId, runId: this.runId, protocolVersion: PROTOCOL_VERSION } as BaseEvent];
  }

  /** The AG-UI run ends in an error (RUN_ERROR may come at any point: nothing needs closing). */
  error(code: string, message: string): BaseEvent[] {
    if (this.finished) return [];
    this.finished = true;
    return [{ type: EventType.RUN_ERROR, message, code } as BaseEvent];
  }

  map(e: AuraLogEvent): BaseEvent[] {
    if (this.finished) return [];
    switch (e.type) {
      case 'content': return e.data.delta === true ? this.delta(e) : this.text(e);
      case 'thought': return this.thought(e);
      case 'plan_step': return this.step(e);
      case 'tool_execution': return this.tool(e);
      case 'hitl': return this.hitl(e);
      case 'run_error': return this.error(str(e.data.code) ?? 'run_failed', str(e.data.message) ?? 'The run failed');
      case 'done': return this.done(str(e.data.status) ?? 'completed');
      default: return [];
    }
  }

  private beginRun(): void {
    this.openText = new Map();
    this.activeSteps = new Map();
    this.paused = [];
    this.finished = false;
  }

  private delta(e: AuraLogEvent): BaseEvent[] {
    const messageId = str(e.data.messageId) ?? `msg-${e.seq}`;
    const chunk = str(e.data.content) ?? '';
    const out: BaseEvent[] = [];
    if (!this.openText.has(messageId)) {
      this.openText.set(messageId, '');
      out.push({ type: EventType.TEXT_MESSAGE_START, messageId, role: 'assistant' } as BaseEvent);
    }
    this.openText.set(messageId, this.openText.get(messageId) + chunk);
    if (chunk) out.push({ type: EventType.TEXT_MESSAGE_CONTENT, messageId, delta: chunk } as BaseEvent);
    return out;
  }

  /** Closes a streamed message with the part of the complete text its deltas did not carry (a window that began mid-message). */
  private closeText(messageId: string, content: string): BaseEvent[] {
    const streamed = this.openText.get(messageId) ?? '';
    this.openText.delete(messageId);
    const rest = content.startsWith(streamed) ? content.slice(streamed.length) : '';
    return [...(rest ? [{ type: EventType.TEXT_MESSAGE_CONTENT, messageId, delta: rest } as BaseEvent] : []), { type: EventType.TEXT_MESSAGE_END, messageId } as BaseEvent];
  }

  private text(e: AuraLogEvent): BaseEvent[] {
    const messageId = str(e.data.messageId) ?? `msg-${e.seq}`;
    const content = str(e.data.content) ?? '';
    this.transcript.text(messageId, content);
    if (this.openText.has(messageId)) return this.closeText(messageId, content);
    return [
      { type: EventType.TEXT_MESSAGE_START, messageId, role: 'assistant' } as BaseEvent,
      ...(content ? [{ type: EventType.TEXT_MESSAGE_CONTENT, messageId, delta: content } as BaseEvent] : []),
      { type: EventType.TEXT_MESSAGE_END, messageId } as BaseEvent,
    ];
  }

  /** Deltas do not say whether they become a thought or the answer: a thought that streamed was shown as text, and is closed as such. */
  private thought(e: AuraLogEvent): BaseEvent[] {
    const messageId = str(e.data.messageId) ?? `thought-${e.seq}`;
    const content = str(e.data.content) ?? '';
    this.transcript.reasoning(messageId, content);
    if (this.openText.has(messageId)) return this.closeText(messageId, content);
    return [
      { type: EventType.REASONING_START, messageId } as BaseEvent,
      { type: EventType.REASONING_MESSAGE_START, messageId, role: 'reasoning' } as BaseEvent,
      ...(content ? [{ type: EventType.REASONING_MESSAGE_CONTENT, messageId, delta: content } as BaseEvent] : []),
      { type: EventType.REASONING_MESSAGE_END, messageId } as BaseEvent,
      { type: EventType.REASONING_END, messageId } as BaseEvent,
    ];
  }

  private step(e: AuraLogEvent): BaseEvent[] {
    const id = str(e.data.id) ?? `step-${e.seq}`;
    const status = str(e.data.status);
    if (status === 'pending') return [];
    const open = this.activeSteps.get(id);
    if (status === 'in_progress') {
      if (open !== undefined) return [];
      let stepName = str(e.data.title) || id;
      // The verifier refuses two active steps of one name; titles are not ids.
      if ([...this.activeSteps.values()].includes(stepName)) stepName = `${stepName} (${id})`;
      this.activeSteps.set(id, stepName);
      return [{ type: EventType.STEP_STARTED, stepName } as BaseEvent];
    }
    if (open !== undefined) {
      this.activeSteps.delete(id);
      return [{ type: EventType.STEP_FINISHED, stepName: open } as BaseEvent];
    }
    // Started before this AG-UI run (before a pause): a step the client sees open and close here.
    const stepName = str(e.data.title) || id;
    return [
      { type: EventType.STEP_STARTED, stepName } as BaseEvent,
      { type: EventType.STEP_FINISHED, stepName } as BaseEvent,
    ];
  }

  private tool(e: AuraLogEvent): BaseEvent[] {
    const id = str(e.data.id) ?? `tool-${e.seq}`;
    const toolName = str(e.data.toolName) ?? 'unknown';
    if (e.data.status === 'started') {
      const i = this.approved.findIndex((r) => r.toolName === toolName);
      if (i >= 0) {
        // The approved call: the client has had its TOOL_CALL_* with the interrupt; only its result is to come.
        this.callIds.set(id, this.approved[i].requestId);
        this.approved.splice(i, 1);
        return [];
      }
      this.callIds.set(id, id);
      const args = json(e.data.params);
      this.transcript.toolCall(id, toolName, args);
      return toolCall(id, toolName, args);
    }
    const toolCallId = this.callIds.get(id) ?? id;
    const failed = e.data.status !== 'completed';
    const content = failed ? json({ status: e.data.status, error: e.data.error }) : json(e.data.result);
    return this.result(toolCallId, content, failed ? (str(e.data.error) ?? String(e.data.status)) : undefined);
  }

  private result(toolCallId: string, content: string, error?: string): BaseEvent[] {
    this.transcript.toolResult(toolCallId, content, error);
    return [{ type: EventType.TOOL_CALL_RESULT, messageId: resultMessageId(toolCallId), toolCallId, content, role: 'tool' } as BaseEvent];
  }

  private hitl(e: AuraLogEvent): BaseEvent[] {
    const request = pendingRequestOf(e.data);
    if (request) {
      this.requests.set(request.requestId, request);
      this.transcript.toolCall(request.requestId, request.toolName, JSON.stringify(request.params));
      this.paused.push(request);
      // A group is asked in one step: the pause is complete with its last request.
      const size = request.groupSize ?? 1;
      const inGroup = this.paused.filter((r) => r.groupId === request.groupId).length;
      return inGroup >= size ? this.pause() : [];
    }
    const requestId = str(e.data.requestId);
    const known = requestId ? this.requests.get(requestId) : undefined;
    if (!requestId || !known) return [];
    if (e.data.status === 'approved') {
      this.approved.push(known);
      return [];
    }
    // Rejected, expired or cancelled: the call is answered with what happened, and the run ends after it.
    const reason = str(e.data.reason);
    return this.result(requestId, json({ status: e.data.status, ...(reason ? { reason } : {}) }), String(e.data.status));
  }

  private pause(): BaseEvent[] {
    const pending = this.paused;
    const out = this.closeAll();
    for (const r of pending) out.push(...toolCall(r.requestId, r.toolName, JSON.stringify(r.params)));
    out.push(
      { type: EventType.STATE_SNAPSHOT, snapshot: { aura: { sessionId: this.threadId, status: 'paused', pendingRequestIds: pending.map((r) => r.requestId) } } } as BaseEvent,
      { type: EventType.MESSAGES_SNAPSHOT, messages: this.transcript.snapshot() } as BaseEvent,
      { type: EventType.RUN_FINISHED, threadId: this.threadId, runId: this.runId, outcome: { type: 'interrupt', interrupts: pending.map(toInterrupt) } } as BaseEvent,
    );
    this.finished = true;
    return out;
  }

  private done(status: string): BaseEvent[] {
    if (status === 'failed') return this.error('run_failed', 'The run failed');
    const out = this.closeAll();
    out.push({ type: EventType.RUN_FINISHED, threadId: this.threadId, runId: this.runId, outcome: { type: status === 'cancelled' ? 'cancelled' : 'success' } } as BaseEvent);
    this.finished = true;
    return out;
  }

  /** Ends what is open, so RUN_FINISHED leaves no message or step behind. */
  private closeAll(): BaseEvent[] {
    const out: BaseEvent[] = [];
    for (const [messageId, streamed] of [...this.openText]) out.push(...this.closeText(messageId, streamed));
    for (const stepName of this.activeSteps.values()) out.push({ type: EventType.STEP_FINISHED, stepName } as BaseEvent);
    this.activeSteps.clear();
    return out;
  }
}
