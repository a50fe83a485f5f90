import { AppConfig, AppConfigValues, RunAccess } from '../config/app-config';
import { AccessPolicy } from './access-policy.service';
import type { AuthUser } from './auth-user';

const policy = (approverRole: string | null, selfApproval = true, runAccess: RunAccess = 'tenant') =>
  new AccessPolicy(new AppConfig({ access: { approverRole, selfApproval, runAccess } } as unknown as AppConfigValues));
const user = (sub: string, roles: string[] = [], tenantId = 'acme'): AuthUser => ({ sub, tenantId, roles });
const alices = { tenantId: 'acme', userId: 'alice' };

describe('AccessPolicy', () => {
  it('with the defaults, lets any user of the tenant see, decide and access everything, and nobody of another tenant', () => {
    const p = policy(null);
    for (const u of [user('alice'), user('bob'), user('bob', ['approver'])]) {
      expect(p.canAccessRun(u, alices)).toBe(true);
      expect(p.canSeeRequest(u, alices)).toBe(true);
      expect(p.requestsOwnerFilter(u)).toBeUndefined();
      expect(p.decisionVerdict(u, alices)).toBe('allowed');
    }
    const eve = user('alice', ['approver'], 'other');
    expect(p.canAccessRun(eve, alices)).toBe(false);
    expect(p.canSeeRequest(eve, alices)).toBe(false);
    expect(p.decisionVerdict(eve, alices)).toBe('not_found');
  });

  it('with no role configured, a user whose roles happen to include an empty or any name holds nothing', () => {
    expect(policy(null).holdsApproverRole(user('bob', ['', 'approver']))).toBe(false);
  });

  it('with a role: deciding and the whole inbox need it; a request the caller may not see (another tenant’s, another user’s) is not_found before any 403', () => {
    const p = policy('approver');
    expect(p.decisionVerdict(user('bob', ['approver']), alices)).toBe('allowed');
    expect(p.decisionVerdict(user('bob', ['Approver', 'approver2']), alices)).toBe('not_found');
    expect(p.decisionVerdict(user('alice'), alices)).toEqual({ forbidden: 'Approving or rejecting needs the role approver' });
    expect(p.decisionVerdict(user('bob', [], 'other'), alices)).toBe('not_found');
    expect(p.requestsOwnerFilter(user('bob', ['approver']))).toBeUndefined();
    expect(p.requestsOwnerFilter(user('bob'))).toBe('bob');
    expect(p.canSeeRequest(user('bob'), alices)).toBe(false);
    expect(p.canSeeRequest(user('alice'), alices)).toBe(true);
    // RUN_ACCESS=tenant: the role does not narrow watching or cancelling.
    expect(p.canAccessRun(user('bob'), alices)).toBe(true);
  });

  it('with self-approval off: the run’s own user is refused after the role check, others are not', () => {
    expect(policy(null, false).decisionVerdict(user('alice'), alices)).toEqual({ forbidden: 'The user who started the run may not decide its requests (four-eyes rule)' });
    expect(policy(null, false).decisionVerdict(user('bob'), alices)).toBe('allowed');
    expect(policy('approver', false).decisionVerdict(user('alice'), alices)).toEqual({ forbidden: 'Approving or rejecting needs the role approver' });
    expect(policy('approver', false).decisionVerdict(user('alice', ['approver']), alices)).toEqual({ forbidden: 'The user who started the run may not decide its requests (four-eyes rule)' });
    // Cancelling is a run access, untouched by the four-eyes rule.
    expect(policy('approver', false, 'owner').canAccessRun(user('alice'), alices)).toBe(true);
  });

  it('with RUN_ACCESS=owner: the run’s user and role holders only; without a role configured, its user only', () => {
    const p = policy('approver', true, 'owner');
    expect(p.canAccessRun(user('alice'), alices)).toBe(true);
    expect(p.canAccessRun(user('bob', ['approver']), alices)).toBe(true);
    expect(p.canAccessRun(user('bob', ['viewer']), alices)).toBe(false);
    expect(p.canAccessRun(user('alice', ['approver'], 'other'), alices)).toBe(false);
    const noRole = policy(null, true, 'owner');
    expect(noRole.canAccessRun(user('alice'), alices)).toBe(true);
    expect(noRole.canAccessRun(user('bob', ['approver']), alices)).toBe(false);
  });
});
