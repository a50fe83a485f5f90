import { Injectable } from '@nestjs/common';
import { AgentTool, ToolContext, ToolInputError, ToolParametersSchema, requiredString } from './tool';

export interface SentEmail {
  messageId: string;
  sessionId: string;
  callId: string;
  idempotencyKey: string;
  to: string;
  subject: string;
  body: string;
}

/** Also the demo agent's approval schema, so its edit form is the real tool's. */
export const SEND_EMAIL_PARAMETERS: ToolParametersSchema = {
  type: 'object',
  properties: {
    to: { type: 'string', description: 'Recipient email address.' },
    subject: { type: 'string' },
    body: { type: 'string' },
  },
  required: ['to', 'subject', 'body'],
  additionalProperties: false,
};

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Records mail instead of sending it: there is no mail server behind Aura yet. The outbox stands in
 * for the mail service, which would take the idempotency key and drop a repeat; this one keeps the
 * keys in memory, so it drops repeats within one process only.
 */
@Injectable()
export class SendEmailTool extends AgentTool {
  readonly name = 'send_email';
  readonly description = 'Send an email. A human must approve each email before it goes out.';
  readonly parameters: ToolParametersSchema = SEND_EMAIL_PARAMETERS;

  /** What was "sent", in order; tests read it. */
  readonly outbox: SentEmail[] = [];

  async run(params: Record<string, unknown>, ctx: ToolContext): Promise<{ messageId: string }> {
    const to = requiredString(params, 'to');
    if (!EMAIL.test(to)) throw new ToolInputError(`to must be an email address, got "${to}"`);
    const subject = requiredString(params, 'subject');
    const body = requiredString(params, 'body');
    // A step re-run (its write lost, or after a crash) calls the tool again with the same key: send once.
    const already = this.outbox.find((m) => m.idempotencyKey === ctx.idempotencyKey);
    if (already) return { messageId: already.messageId };
    const messageId = `mail-${this.outbox.length + 1}`;
    this.outbox.push({ messageId, sessionId: ctx.run.sessionId, callId: ctx.callId, idempotencyKey: ctx.idempotencyKey, to, subject, body });
    return { messageId };
  }
}
