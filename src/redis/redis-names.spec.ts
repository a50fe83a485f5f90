import calculateSlot from 'cluster-key-slot';
import { ALL_BUCKETS, bucketOf, NAMES, parseRequestMember, requestMember } from './redis-names';

describe('key names', () => {
  it("put every key of a session in the session id's slot, and a tenant's in the tenant id's", () => {
    const sid = 'sess-1';
    const sessionKeys = [NAMES.run(sid), NAMES.events(sid), NAMES.eventsChannel(sid), NAMES.request(sid, 'req-9'), NAMES.signals(sid), NAMES.idempotency(sid, 'h'), NAMES.changes(sid)];
    expect(new Set(sessionKeys.map((k) => calculateSlot(k)))).toEqual(new Set([calculateSlot(sid)]));
    const tenantKeys = [NAMES.index('t1', 'pending'), NAMES.activeRuns('t1'), NAMES.activeUserRuns('t1', 'a user {with} braces'), NAMES.tenantRuns('t1'), NAMES.audit('t1')];
    expect(new Set(tenantKeys.map((k) => calculateSlot(k)))).toEqual(new Set([calculateSlot('t1')]));
  });

  it('spread ids over the buckets', () => {
    const used = new Set(Array.from({ length: 200 }, (_, i) => bucketOf(`req-${i}`)));
    expect([...used].sort((a, b) => a - b)).toEqual([...ALL_BUCKETS]);
  });

  it('read a request member back', () => {
    expect(parseRequestMember(requestMember('req-1', 'sess-1'))).toEqual({ requestId: 'req-1', sessionId: 'sess-1' });
    expect(parseRequestMember('req-1')).toBeNull();
  });
});
