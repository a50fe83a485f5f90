import type { HitlRequest } from '../contract/hitl.types';
import { logDecision } from './decision-log';

const req: HitlRequest = {
  requestId: 'r1', sessionId: 's1', tenantId: 'acme', userId: 'alice', toolName: 'send_email', params: { to: 'secret@example.com' },
  message: 'Send the secret report?', status: 'approved', allowedDecisions: ['approve', 'reject'], paramsDigest: 'sha256:00', groupId: 'g1', groupSize: 1, createdAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-01-01T00:05:00.000Z', decidedBy: 'bob',
};

describe('logDecision', () => {
  const lines: string[] = [];
  const logger = { log: (line: string) => lines.push(line) };
  beforeEach(() => lines.splice(0));

  it('names who, which request and the outcome, never params or the message', () => {
    logDecision(logger, req);
    expect(lines).toEqual(['Decision: approved request r1 (tool send_email) of session s1, tenant acme, by user "bob"']);
    expect(lines[0]).not.toContain('secret');
  });

  it('names the deadline for an expiry and the channel for a decision nobody named', () => {
    logDecision(logger, { ...req, status: 'expired', decidedBy: undefined });
    logDecision(logger, { ...req, status: 'rejected', decidedBy: undefined });
    expect(lines.map((l) => l.split(' by ')[1])).toEqual(['the deadline', 'the channel']);
  });
});
