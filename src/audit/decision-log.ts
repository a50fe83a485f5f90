import type { Logger } from '@nestjs/common';
import type { HitlRequest } from '../contract/hitl.types';

/** The info line every decision leaves: who, which request of which run, what outcome; never params, messages or prompts. */
export function logDecision(logger: Pick<Logger, 'log'>, req: HitlRequest): void {
  const who = req.decidedBy ? `user ${JSON.stringify(req.decidedBy)}` : req.status === 'expired' ? 'the deadline' : 'the channel';
  logger.log(`Decision: ${req.status} request ${req.requestId} (tool ${req.toolName}) of session ${req.sessionId}, tenant ${req.tenantId}, by ${who}`);
}
