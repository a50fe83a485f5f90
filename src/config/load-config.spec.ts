import { ConfigError, loadAppConfig } from './load-config';

describe('loadAppConfig', () => {
  const base = { JWT_SECRET: 's3cret' };

  it('applies the contract defaults', () => {
    const c = loadAppConfig(base);
    expect(c).toMatchObject({
      http: { port: 3000, apiPrefix: '' },
      redis: { url: null },
      hitl: { timeoutSeconds: 300 },
      sse: { heartbeatSeconds: 15 },
      runs: { eventsBroadcast: true, demoStepDelayMs: 300 },
      log: { level: 'info' },
      demo: false,
    });
  });

  it('reads every variable', () => {
    const c = loadAppConfig({
      ...base,
      PORT: '8080',
      REDIS_URL: 'redis://r:6379/2',
      HITL_TIMEOUT_SECONDS: '5',
      SSE_HEARTBEAT_SECONDS: '2',
      API_PREFIX: 'api',
      EVENTS_BROADCAST: 'false',
      DEMO_STEP_DELAY_MS: '0',
      LOG_LEVEL: 'debug',
    });
    expect(c).toMatchObject({
      http: { port: 8080, apiPrefix: 'api' },
      redis: { url: 'redis://r:6379/2' },
      hitl: { timeoutSeconds: 5 },
      sse: { heartbeatSeconds: 2 },
      runs: { eventsBroadcast: false, demoStepDelayMs: 0 },
      log: { level: 'debug' },
    });
  });

  it('refuses to start without JWT_SECRET, in one line', () => {
    expect(() => loadAppConfig({})).toThrow(ConfigError);
    expect(() => loadAppConfig({})).toThrow(/^JWT_SECRET is required[^\n]*$/);
  });

  it('generates a secret only in demo mode', () => {
    const c = loadAppConfig({ AURA_DEMO: 'true' });
    expect(c.auth.jwtSecret).toMatch(/^[0-9a-f]{64}$/);
    expect(c.auth.secretGenerated).toBe(true);
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['HITL_TIMEOUT_SECONDS', '0'],
    ['HITL_TIMEOUT_SECONDS', '1.5'],
    ['SSE_HEARTBEAT_SECONDS', '-1'],
    ['EVENTS_BROADCAST', 'maybe'],
    ['LOG_LEVEL', 'loud'],
    ['REDIS_URL', 'http://x'],
    ['API_PREFIX', '/api'],
    ['DEMO_STEP_DELAY_MS', 'x'],
  ])('rejects %s=%s with a one-line reason naming it', (name, value) => {
    expect(() => loadAppConfig({ ...base, [name]: value })).toThrow(new RegExp(`^Invalid configuration: .*${name}=`));
  });
});

describe('loadAppConfig cross-checks', () => {
  it('refuses a RUN_TTL_SECONDS that would let requests vanish before they expire', () => {
    expect(() => loadAppConfig({ JWT_SECRET: 'x', RUN_TTL_SECONDS: '300', HITL_TIMEOUT_SECONDS: '300' })).toThrow(/RUN_TTL_SECONDS \(300\) must exceed HITL_TIMEOUT_SECONDS/);
  });

  it('never echoes a secret or a Redis URL in its reason', () => {
    expect(() => loadAppConfig({ JWT_SECRET: 'x', REDIS_URL: 'http://user:pw@host' })).toThrow(/^Invalid configuration: REDIS_URL=\(hidden\)/);
  });
});
