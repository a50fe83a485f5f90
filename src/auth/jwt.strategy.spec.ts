import { claimsProblem } from './jwt.strategy';

describe('claimsProblem', () => {
  const now = 1_800_000_000;
  const good = { sub: 'alice', tenant_id: 'acme', iat: now, exp: now + 60 };

  it('accepts the contract’s claims', () => expect(claimsProblem(good, now)).toBeNull());

  it.each([
    ['roles absent', good],
    ['roles empty', { ...good, roles: [] }],
    ['50 roles of 128 characters', { ...good, roles: Array.from({ length: 50 }, (_, i) => `${i}`.padEnd(128, 'r')) }],
  ])('accepts %s', (_, payload) => expect(claimsProblem(payload, now)).toBeNull());

  it.each([
    ['sub missing', { ...good, sub: undefined }],
    ['sub empty', { ...good, sub: '' }],
    ['sub a number', { ...good, sub: 7 }],
    ['tenant_id missing', { ...good, tenant_id: undefined }],
    ['tenant_id not an id', { ...good, tenant_id: 'a/b' }],
    ['exp a float', { ...good, exp: now + 0.5 }],
    ['exp a string', { ...good, exp: String(now + 60) }],
    ['iat missing', { ...good, iat: undefined }],
    ['iat a string', { ...good, iat: String(now) }],
    ['iat in the future', { ...good, iat: now + 3600 }],
    ['roles a string', { ...good, roles: 'approver' }],
    ['roles null', { ...good, roles: null }],
    ['roles an object', { ...good, roles: { 0: 'approver' } }],
    ['roles with a number', { ...good, roles: ['approver', 7] }],
    ['roles with a nested array', { ...good, roles: [['approver']] }],
    ['51 roles', { ...good, roles: Array.from({ length: 51 }, (_, i) => `r${i}`) }],
    ['a role of 129 characters', { ...good, roles: ['r'.repeat(129)] }],
  ])('refuses %s', (_, payload) => expect(claimsProblem(payload as Record<string, unknown>, now)).not.toBeNull());

  it('accepts a worker token (scope aura:worker among others) without tenant_id, but not a user token without one', () => {
    const worker = { sub: 'w1', scope: 'read aura:worker', iat: now, exp: now + 60 };
    expect(claimsProblem(worker, now)).toBeNull();
    expect(claimsProblem({ ...worker, scope: 'aura:workers' }, now)).not.toBeNull();
    expect(claimsProblem({ ...worker, scope: ['aura:worker'] }, now)).not.toBeNull();
    expect(claimsProblem({ ...worker, exp: undefined }, now)).not.toBeNull();
  });
});
