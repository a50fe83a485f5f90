import { ConfigError, loadAppConfig } from './load-config';

const base = { JWT_SECRET: 's3cret' };
const SECRET = `whsec_${Buffer.alloc(24, 7).toString('base64')}`;

describe('webhook and audit configuration', () => {
  it('defaults: webhooks off, 60 s warning, 400 days of audit, no audit role', () => {
    const c = loadAppConfig(base);
    expect(c.webhooks).toEqual({ urls: [], secret: null, timeoutMs: 5000, maxAttempts: 10 });
    expect(c.hitl.expiryWarningSeconds).toBe(60);
    expect(c.audit).toEqual({ retentionDays: 400, role: null });
  });

  it('reads every variable', () => {
    const c = loadAppConfig({
      ...base,
      WEBHOOK_URLS: 'https://hooks.example.com/aura , http://127.0.0.1:9000/x',
      WEBHOOK_SECRET: SECRET,
      WEBHOOK_TIMEOUT_MS: '800',
      WEBHOOK_MAX_ATTEMPTS: '3',
      HITL_EXPIRY_WARNING_SECONDS: '0',
      AUDIT_RETENTION_DAYS: '30',
      AUDIT_ROLE: 'auditor',
    });
    expect(c.webhooks).toEqual({ urls: ['https://hooks.example.com/aura', 'http://127.0.0.1:9000/x'], secret: SECRET, timeoutMs: 800, maxAttempts: 3 });
    expect(c.hitl.expiryWarningSeconds).toBe(0);
    expect(c.audit).toEqual({ retentionDays: 30, role: 'auditor' });
  });

  it.each([
    [{ WEBHOOK_URLS: 'ftp://x.example.com' }, /WEBHOOK_URLS=\(hidden\): WEBHOOK_URLS must be http\(s\) URLs/],
    [{ WEBHOOK_URLS: 'https://a.example.com,,' }, /WEBHOOK_URLS must be http\(s\) URLs/],
    [{ WEBHOOK_URLS: 'https://a.example.com' }, /WEBHOOK_SECRET \(whsec_ followed by base64\) is required/],
    [{ WEBHOOK_URLS: 'https://a.example.com', WEBHOOK_SECRET: 'not-a-secret' }, /WEBHOOK_SECRET must be whsec_ followed by base64/],
    [{ WEBHOOK_URLS: 'https://a.example.com', WEBHOOK_SECRET: 'whsec_abc' }, /at least 16 bytes/],
    [{ WEBHOOK_TIMEOUT_MS: '10' }, /WEBHOOK_TIMEOUT_MS/],
    [{ WEBHOOK_MAX_ATTEMPTS: '0' }, /WEBHOOK_MAX_ATTEMPTS/],
    [{ HITL_EXPIRY_WARNING_SECONDS: '-1' }, /HITL_EXPIRY_WARNING_SECONDS/],
    [{ AUDIT_RETENTION_DAYS: 'forever' }, /AUDIT_RETENTION_DAYS/],
    [{ AUDIT_ROLE: 'two words' }, /AUDIT_ROLE must be a role name/],
  ])('refuses %j in one line', (env, message) => {
    let err: unknown;
    try {
      loadAppConfig({ ...base, ...env });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('\n');
    expect((err as Error).message).not.toContain('whsec_abc');
  });
});
