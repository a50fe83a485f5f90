import type { HitlRequest } from '../contract/hitl.types';
import { groupMemberIds, groupOutcome } from './request-group';

const of = (...statuses: HitlRequest['status'][]) => statuses.map((status) => ({ status }) as HitlRequest);

describe('request groups', () => {
  it('a lone request is a group of one under its own id; the others append their place', () => {
    expect(groupMemberIds('req-1', 1)).toEqual(['req-1']);
    expect(groupMemberIds('req-1', 3)).toEqual(['req-1', 'req-1-2', 'req-1-3']);
  });

  it('goes on when every request is approved or responded, waits while one is pending and none ends it', () => {
    expect(groupOutcome(of('approved', 'responded'))).toBe('running');
    expect(groupOutcome(of('approved', 'pending'))).toBe('pending');
  });

  it('any rejection, expiry or cancel ends it, a rejection first', () => {
    expect(groupOutcome(of('pending', 'expired', 'rejected'))).toBe('rejected');
    expect(groupOutcome(of('approved', 'expired', 'pending'))).toBe('expired');
    expect(groupOutcome(of('cancelled', 'approved'))).toBe('cancelled');
  });
});
