import { BadRequestException, ConflictException } from '@nestjs/common';
import type { HitlRequest } from '../contract/hitl.types';
import { checkDecision, compileSchema, kindOf } from './decision-rules';
import { paramsDigest } from './params-digest';

const params = { to: 'a@b.c', subject: 's', body: 'b' };
const req = (over: Partial<HitlRequest> = {}): HitlRequest => ({
  requestId: 'r1', sessionId: 's1', tenantId: 't', userId: 'u', toolName: 'send_email', params, message: 'm', status: 'pending',
  createdAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-01-01T00:05:00.000Z', allowedDecisions: ['approve', 'edit', 'reject', 'respond'],
  paramsSchema: { type: 'object', properties: { to: { type: 'string' }, subject: { type: 'string' }, body: { type: 'string' }, n: { type: 'object', properties: { k: { type: 'integer' } } } }, required: ['to', 'subject', 'body'], additionalProperties: false },
  paramsDigest: paramsDigest(params), groupId: 'r1', groupSize: 1, ...over,
});
const message = (fn: () => void): string => {
  try {
    fn();
  } catch (err) {
    return err instanceof BadRequestException ? `400 ${(err.getResponse() as { message: string }).message}` : err instanceof ConflictException ? '409' : String(err);
  }
  return 'ok';
};

describe('decision rules', () => {
  it('names the kind of a decision', () => {
    expect([kindOf({ status: 'approved' }), kindOf({ status: 'approved', params: {} }), kindOf({ status: 'rejected' }), kindOf({ status: 'responded', message: 'x' })]).toEqual(['approve', 'edit', 'reject', 'respond']);
  });

  it('a digest other than the request’s is 409; the request’s, or none, passes', () => {
    expect(message(() => checkDecision(req(), { status: 'approved', paramsDigest: paramsDigest({ to: 'x' }) }))).toBe('409');
    expect(message(() => checkDecision(req(), { status: 'approved', paramsDigest: paramsDigest({ body: 'b', subject: 's', to: 'a@b.c' }) }))).toBe('ok');
    expect(message(() => checkDecision(req(), { status: 'rejected' }))).toBe('ok');
  });

  it('refuses what the request does not allow, naming what it does', () => {
    const only = req({ allowedDecisions: ['approve', 'reject'] });
    expect(message(() => checkDecision(only, { status: 'approved', params }))).toBe('400 Request r1 does not allow edit: it allows approve, reject');
    expect(message(() => checkDecision(only, { status: 'responded', message: 'x' }))).toBe('400 Request r1 does not allow respond: it allows approve, reject');
  });

  it('an edit that breaks the schema is 400 naming the field, nested ones by their path', () => {
    expect(message(() => checkDecision(req(), { status: 'approved', params: { ...params, to: 1 } }))).toBe('400 params.to must be string');
    expect(message(() => checkDecision(req(), { status: 'approved', params: { to: 'x' } }))).toBe('400 params.subject is required');
    expect(message(() => checkDecision(req(), { status: 'approved', params: { ...params, n: { k: 1.5 } } }))).toBe('400 params.n.k must be integer');
    expect(message(() => checkDecision(req(), { status: 'approved', params: { ...params, x: 1 } }))).toMatch(/^400 params\.x is not allowed/);
    expect(message(() => checkDecision(req(), { status: 'approved', params: { ...params, body: 'x'.repeat(16 * 1024) } }))).toMatch(/^400 params may weigh at most 16384 bytes/);
    expect(message(() => checkDecision(req({ paramsSchema: undefined }), { status: 'approved', params: { anything: true } }))).toBe('ok');
  });

  it('a response is 1 to 4000 characters', () => {
    expect(message(() => checkDecision(req(), { status: 'responded', message: '' }))).toMatch(/^400 message must be 1 to 4000/);
    expect(message(() => checkDecision(req(), { status: 'responded', message: 'x'.repeat(4001) }))).toMatch(/^400 message must be 1 to 4000/);
    expect(message(() => checkDecision(req(), { status: 'responded', message: 'x'.repeat(4000) }))).toBe('ok');
  });

  it('tells a schema ajv cannot compile from one it can', () => {
    expect(typeof compileSchema({ type: 'object' })).toBe('function');
    expect(typeof compileSchema({ type: 'no-such-type' })).toBe('string');
  });
});
