import { paramsDigest } from '../params-digest';
import { decodeCursor, encodeCursor, requestFromFields, requestToFields } from './request-fields.codec';

describe('request fields codec', () => {
  it('round-trips a request through Redis hash fields, in the contract’s key order', () => {
    const req = {
      requestId: 'r1', sessionId: 's1', tenantId: 't', userId: 'u', toolName: 'send', params: { a: [1, {}], b: null },
      message: 'm', status: 'approved' as const, createdAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-01-01T00:05:00.000Z',
      decidedAt: '2026-01-01T00:01:00.000Z', decidedBy: 'bob', reason: 'why',
      allowedDecisions: ['approve' as const, 'edit' as const], paramsSchema: { type: 'object', required: [] }, paramsDigest: 'sha256:00', editedParams: { a: [] },
      groupId: 'g1', groupSize: 2,
    };
    const back = requestFromFields(requestToFields(req));
    expect(back).toEqual(req);
    expect(Object.keys(back)).toEqual(Object.keys(req));
  });

  it('leaves optional fields out when absent', () => {
    const f = requestToFields({ requestId: 'r', sessionId: 's', tenantId: 't', userId: 'u', toolName: 'x', params: {}, message: '', status: 'pending', createdAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-01-01T00:00:01.000Z', allowedDecisions: ['approve'], paramsDigest: 'sha256:00', groupId: 'r', groupSize: 1 });
    expect(Object.keys(requestFromFields(f))).not.toContain('decidedAt');
  });

  it('reads a request stored before v1.3 as a group of one offering approve and reject, with its digest', () => {
    const f = { requestId: 'r', sessionId: 's', tenantId: 't', userId: 'u', toolName: 'x', params: '{"b":1,"a":2}', message: '', status: 'pending', createdAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-01-01T00:00:01.000Z' };
    expect(requestFromFields(f)).toMatchObject({ allowedDecisions: ['approve', 'reject'], groupId: 'r', groupSize: 1, paramsDigest: paramsDigest({ a: 2, b: 1 }) });
  });

  it('round-trips an inbox cursor and refuses anything it did not issue', () => {
    expect(decodeCursor(encodeCursor(1700000000000, 'req-1'))).toEqual({ score: 1700000000000, requestId: 'req-1' });
    expect(decodeCursor('bm9wZQ')).toBeNull();
    expect(decodeCursor(Buffer.from('12:../x').toString('base64url'))).toBeNull();
  });
});
