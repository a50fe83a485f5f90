import { ConfigError, loadAppConfig } from './load-config';

describe('loadAppConfig', () => {
  const base = { JWT_SECRET: 's3cret' };

  it('applies the contract defaults', () => {
    const c = loadAppConfig(base);
    expect(c).toMatchObject({
      http: { port: 3000, apiPrefix: '' },
      redis: { url: null, target: null },
      hitl: { timeoutSeconds: 300 },
      sse: { heartbeatSeconds: 15 },
      runs: { eventsBroadcast: true, streamFlushMs: 50 },
      agent: { kind: 'demo', demoStepDelayMs: 300, hitlTools: ['send_email'] },
      access: { approverRole: null, selfApproval: true, runAccess: 'tenant' },
      limits: { activeRunsPerUser: 50, activeRunsPerTenant: 5000 },
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
      runs: { eventsBroadcast: false },
      agent: { demoStepDelayMs: 0 },
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
    ['AGENT', 'robot'],
    ['RUN_ACCESS', 'everyone'],
    ['MAX_ACTIVE_RUNS_PER_USER', '0'],
    ['MAX_ACTIVE_RUNS_PER_TENANT', 'many'],
    ['HITL_SELF_APPROVAL', 'perhaps'],
    ['STREAM_FLUSH_MS', '0'],
    ['LLM_TIMEOUT_MS', 'fast'],
    ['LLM_CALL_TIMEOUT_MS', '50'],
    ['LLM_MAX_TOKENS', '0'],
    ['LLM_MAX_TOOL_CALLS', '1000'],
    ['LLM_MAX_TOOL_ARGS_BYTES', '16KB'],
    ['LLM_MAX_ANSWER_BYTES', '-1'],
    ['LLM_MAX_STATE_BYTES', '100'],
    ['HITL_TOOLS', 'send email'],
    ['CORS_ORIGINS', '*'],
    ['WORKER_QUEUE_WARN_SECONDS', '0'],
    ['WORKER_QUEUE_WARN_SECONDS', 'soon'],
    ['CORS_ORIGINS', 'https://app.example.com/path'],
    ['CORS_ORIGINS', 'app.example.com'],
  ])('rejects %s=%s with a one-line reason naming it', (name, value) => {
    expect(() => loadAppConfig({ ...base, [name]: value })).toThrow(new RegExp(`^Invalid configuration: .*${name}=`));
  });
});

describe('loadAppConfig v1.2 variables', () => {
  it('reads the agent, access and limit variables', () => {
    const c = loadAppConfig({
      JWT_SECRET: 'x',
      AGENT: 'openai',
      LLM_BASE_URL: 'http://127.0.0.1:11434/v1',
      LLM_MODEL: 'llama3.1',
      LLM_API_KEY: 'k',
      LLM_TIMEOUT_MS: '5000',
      HITL_TOOLS: 'send_email, delete_file',
      STREAM_FLUSH_MS: '20',
      HITL_APPROVER_ROLE: 'approver',
      HITL_SELF_APPROVAL: 'false',
      RUN_ACCESS: 'owner',
      MAX_ACTIVE_RUNS_PER_USER: '3',
      MAX_ACTIVE_RUNS_PER_TENANT: '7',
    });
    expect(c.agent).toEqual({
      kind: 'openai',
      demoStepDelayMs: 300,
      llm: {
        baseUrl: 'http://127.0.0.1:11434/v1',
        model: 'llama3.1',
        apiKey: 'k',
        timeoutMs: 5000,
        // The contract's defaults (v1.3 "Bounds").
        callTimeoutMs: 300000,
        maxTokens: 4096,
        bounds: { maxToolCalls: 16, maxToolArgsBytes: 16384, maxAnswerBytes: 262144, maxStateBytes: 1048576 },
      },
      hitlTools: ['send_email', 'delete_file'],
    });
    const bounded = loadAppConfig({ JWT_SECRET: 'x', LLM_CALL_TIMEOUT_MS: '1000', LLM_MAX_TOKENS: '10', LLM_MAX_TOOL_CALLS: '2', LLM_MAX_TOOL_ARGS_BYTES: '300', LLM_MAX_ANSWER_BYTES: '2000', LLM_MAX_STATE_BYTES: '20000' });
    expect(bounded.agent.llm).toMatchObject({ callTimeoutMs: 1000, maxTokens: 10, bounds: { maxToolCalls: 2, maxToolArgsBytes: 300, maxAnswerBytes: 2000, maxStateBytes: 20000 } });
    expect(c.runs.streamFlushMs).toBe(20);
    expect(c.access).toEqual({ approverRole: 'approver', selfApproval: false, runAccess: 'owner' });
    expect(c.limits).toEqual({ activeRunsPerUser: 3, activeRunsPerTenant: 7, streamsPerUser: 100 });
  });

  it('refuses AGENT=openai without an endpoint and a model, without echoing the URL', () => {
    expect(() => loadAppConfig({ JWT_SECRET: 'x', AGENT: 'openai', LLM_MODEL: 'm' })).toThrow(/AGENT=openai needs LLM_BASE_URL/);
    expect(() => loadAppConfig({ JWT_SECRET: 'x', LLM_BASE_URL: 'ftp://u:pw@h' })).toThrow(/^Invalid configuration: LLM_BASE_URL=\(hidden\)/);
  });
});

describe('loadAppConfig v1.3 variables', () => {
  it('reads WORKER_QUEUE_WARN_SECONDS (default 30)', () => {
    expect(loadAppConfig({ JWT_SECRET: 'x' }).worker).toEqual({ queueWarnSeconds: 30 });
    expect(loadAppConfig({ JWT_SECRET: 'x', WORKER_QUEUE_WARN_SECONDS: '5' }).worker).toEqual({ queueWarnSeconds: 5 });
  });

  it('reads CORS_ORIGINS as a list of origins, empty = off', () => {
    expect(loadAppConfig({ JWT_SECRET: 'x' }).http.corsOrigins).toEqual([]);
    expect(loadAppConfig({ JWT_SECRET: 'x', CORS_ORIGINS: 'https://app.example.com, http://localhost:5173' }).http.corsOrigins).toEqual(['https://app.example.com', 'http://localhost:5173']);
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
