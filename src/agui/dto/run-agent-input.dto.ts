import { BadRequestException } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { contentToText, type Message, type ResumeEntry, type RunAgentInput } from '@ag-ui/core';
import { RunAgentInputSchema } from '@ag-ui/core/schemas';
import { ID_PATTERN } from '../../contract/ids';
import { MAX_PROMPT_CHARS } from '../../runs/dto/start-run.dto';

/** The body as Swagger shows it; it is validated with @ag-ui/core's own RunAgentInput schema, not with these decorators. */
export class RunAgentInputDto {
  @ApiProperty({ description: 'The AG-UI thread: the Aura sessionId', pattern: ID_PATTERN.source, example: 'thread-1' })
  threadId!: string;

  @ApiProperty({ description: 'This AG-UI run (echoed in RUN_STARTED / RUN_FINISHED)', example: 'run-1' })
  runId!: string;

  @ApiProperty({
    description: 'The conversation; a new thread’s prompt is the last user message’s text',
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    example: [{ id: 'm1', role: 'user', content: 'Summarize the open incidents and notify their owner' }],
  })
  messages!: unknown[];

  @ApiPropertyOptional({
    description:
      'Answers to the open interrupts, one per interrupt (id = requestId): status "resolved" with payload {approved: true} approves, ' +
      '{approved: true, editedArgs} approves with edited arguments; {approved: false} rejects; {approved: false, message} responds (the tool is not run, the agent gets the message); status "cancelled" rejects.',
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    example: [{ interruptId: 'req-1', status: 'resolved', payload: { approved: true } }],
  })
  resume?: unknown[];

  @ApiPropertyOptional({ description: 'Accepted as AG-UI defines them and not used: tools, context, state, forwardedProps', type: 'array', items: { type: 'object' } })
  tools?: unknown[];
}

/** The body checked against the AG-UI 1.0 schema, and the thread id against the service's id pattern (it names Redis keys). */
export function parseRunAgentInput(body: unknown): RunAgentInput {
  const parsed = RunAgentInputSchema.safeParse(body ?? {});
  if (!parsed.success) {
    const where = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
    throw new BadRequestException(`Not an AG-UI RunAgentInput: ${where.join('; ')}`);
  }
  const input = parsed.data as RunAgentInput;
  if (!ID_PATTERN.test(input.threadId)) throw new BadRequestException(`Invalid threadId: must match ${ID_PATTERN.source}`);
  return input;
}

/** The last user message, whose text is a new thread's prompt. */
export function lastUserMessage(messages: Message[]): { id: string; text: string } | null {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.role !== 'user') continue;
    const text = typeof m.content === 'string' ? m.content : contentToText(m.content);
    return { id: m.id, text };
  }
  return null;
}

export function checkPrompt(text: string): string {
  if (!text.trim()) throw new BadRequestException('A new thread needs a user message with text: its last user message is the prompt');
  if (text.length > MAX_PROMPT_CHARS) throw new BadRequestException(`The prompt (the last user message) must be at most ${MAX_PROMPT_CHARS} characters`);
  return text;
}

/** What one resume entry decides. */
export interface ResumeAnswer {
  requestId: string;
  status: 'approved' | 'rejected' | 'responded';
  reason?: string;
  /** An approval with edited arguments (`editedArgs`). */
  params?: Record<string, unknown>;
  /** A response (`{approved: false, message}`): the tool is not run, the agent gets the message. */
  message?: string;
}

/** Reads each entry's answer; an answer this build cannot act on is 400 before anything is decided. */
export function parseResume(entries: ResumeEntry[]): ResumeAnswer[] {
  const seen = new Set<string>();
  return entries.map((entry, i) => {
    if (seen.has(entry.interruptId)) throw new BadRequestException(`resume.${i}: interrupt ${entry.interruptId} is answered twice`);
    seen.add(entry.interruptId);
    if (entry.status === 'cancelled') return { requestId: entry.interruptId, status: 'rejected', reason: 'Interrupt cancelled by the AG-UI client' };
    const payload = entry.payload as Record<string, unknown> | undefined;
    if (!payload || typeof payload !== 'object' || Array.isArray(payload) || typeof payload.approved !== 'boolean') {
      throw new BadRequestException(`resume.${i}.payload must be an object with a boolean "approved"`);
    }
    const unknown = Object.keys(payload).filter((k) => !['approved', 'editedArgs', 'message'].includes(k));
    if (unknown.length) throw new BadRequestException(`resume.${i}.payload has unknown fields: ${unknown.join(', ')}`);
    const { editedArgs, message } = payload;
    if (payload.approved) {
      if (message !== undefined) throw new BadRequestException(`resume.${i}.payload: a message answers a call that is not approved ({approved: false, message})`);
      if (editedArgs === undefined) return { requestId: entry.interruptId, status: 'approved' };
      if (typeof editedArgs !== 'object' || editedArgs === null || Array.isArray(editedArgs)) throw new BadRequestException(`resume.${i}.payload.editedArgs must be an object`);
      return { requestId: entry.interruptId, status: 'approved', params: editedArgs as Record<string, unknown> };
    }
    if (editedArgs !== undefined) throw new BadRequestException(`resume.${i}.payload: editedArgs go with {approved: true}`);
    if (message === undefined) return { requestId: entry.interruptId, status: 'rejected' };
    if (typeof message !== 'string' || message.length < 1 || message.length > 4000) throw new BadRequestException(`resume.${i}.payload.message must be a string of 1 to 4000 characters`);
    return { requestId: entry.interruptId, status: 'responded', message };
  });
}
