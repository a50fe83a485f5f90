import { randomBytes } from 'node:crypto';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { AgentKind, AppConfig, RunAccess } from './app-config';
import { ConfigError } from './config-error';
import { readEnvFile } from './env-file';
import { ENV_DEFAULTS, ENV_NAMES, EnvSchema } from './env.schema';
import { RedisConfigError, redisSettings } from './redis-config';
import { auditSettings, webhookSettings } from './webhook-config';

export { ConfigError };

const SECRET_NAMES = ['JWT_SECRET', 'REDIS_URL', 'LLM_API_KEY', 'LLM_BASE_URL', 'WEBHOOK_URLS', 'WEBHOOK_SECRET'];

function redisOrThrow(parsed: EnvSchema) {
  try {
    return redisSettings(parsed);
  } catch (err) {
    if (err instanceof RedisConfigError) throw new ConfigError(`Invalid configuration: ${err.message}`);
    throw err;
  }
}

/**
 * Reads and validates the environment once. Throws ConfigError with a one-line reason;
 * main.ts turns that into exit code 1.
 */
export function loadAppConfig(env: NodeJS.ProcessEnv): AppConfig {
  const raw: Record<string, string> = {};
  for (const name of ENV_NAMES) {
    const value = env[name];
    raw[name] = value === undefined || value.trim() === '' ? ENV_DEFAULTS[name] : value.trim();
  }
  const parsed = plainToInstance(EnvSchema, raw);
  const errors = validateSync(parsed, { forbidUnknownValues: false });
  if (errors.length > 0) {
    // Secrets (and URLs, which may carry credentials) are named, never echoed.
    const shown = (name: string) => (SECRET_NAMES.includes(name) ? '(hidden)' : JSON.stringify(raw[name]));
    const reasons = errors.map((e) => `${e.property}=${shown(e.property)}: ${Object.values(e.constraints ?? {}).join(', ')}`);
    throw new ConfigError(`Invalid configuration: ${reasons.join('; ')}`);
  }

  if (parsed.RUN_TTL_SECONDS < parsed.HITL_TIMEOUT_SECONDS + 60) {
    throw new ConfigError(
      `Invalid configuration: RUN_TTL_SECONDS (${parsed.RUN_TTL_SECONDS}) must exceed HITL_TIMEOUT_SECONDS (${parsed.HITL_TIMEOUT_SECONDS}) by at least 60, or requests would vanish before they expire`,
    );
  }

  if (parsed.AGENT === 'openai' && (!parsed.LLM_BASE_URL || !parsed.LLM_MODEL)) {
    throw new ConfigError('Invalid configuration: AGENT=openai needs LLM_BASE_URL (an OpenAI-compatible endpoint, e.g. http://127.0.0.1:11434/v1) and LLM_MODEL');
  }

  const redis = redisOrThrow(parsed);
  const webhooks = webhookSettings(parsed);

  let secret = parsed.JWT_SECRET;
  let generated = false;
  if (!secret) {
    if (!parsed.AURA_DEMO) {
      throw new ConfigError('JWT_SECRET is required (set it to the HS256 secret shared with the token issuer; or run `npm run start:demo` for a local demo)');
    }
    secret = randomBytes(32).toString('hex');
    generated = true;
  }

  return new AppConfig({
    http: {
      port: parsed.PORT,
      apiPrefix: parsed.API_PREFIX,
      corsOrigins: parsed.CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean),
    },
    auth: { jwtSecret: secret, secretGenerated: generated },
    redis,
    runs: { leaseMs: parsed.RUN_LEASE_MS, ttlSeconds: parsed.RUN_TTL_SECONDS, eventsBroadcast: parsed.EVENTS_BROADCAST, streamFlushMs: parsed.STREAM_FLUSH_MS },
    agent: {
      kind: parsed.AGENT as AgentKind,
      demoStepDelayMs: parsed.DEMO_STEP_DELAY_MS,
      llm: {
        baseUrl: parsed.LLM_BASE_URL,
        model: parsed.LLM_MODEL,
        apiKey: parsed.LLM_API_KEY || null,
        timeoutMs: parsed.LLM_TIMEOUT_MS,
        callTimeoutMs: parsed.LLM_CALL_TIMEOUT_MS,
        maxTokens: parsed.LLM_MAX_TOKENS,
        bounds: {
          maxToolCalls: parsed.LLM_MAX_TOOL_CALLS,
          maxToolArgsBytes: parsed.LLM_MAX_TOOL_ARGS_BYTES,
          maxAnswerBytes: parsed.LLM_MAX_ANSWER_BYTES,
          maxStateBytes: parsed.LLM_MAX_STATE_BYTES,
        },
      },
      hitlTools: parsed.HITL_TOOLS.split(',').map((t) => t.trim()).filter(Boolean),
    },
    access: { approverRole: parsed.HITL_APPROVER_ROLE || null, selfApproval: parsed.HITL_SELF_APPROVAL, runAccess: parsed.RUN_ACCESS as RunAccess },
    limits: { activeRunsPerUser: parsed.MAX_ACTIVE_RUNS_PER_USER, activeRunsPerTenant: parsed.MAX_ACTIVE_RUNS_PER_TENANT, streamsPerUser: parsed.MAX_STREAMS_PER_USER },
    hitl: {
      timeoutSeconds: parsed.HITL_TIMEOUT_SECONDS,
      channelDecisions: parsed.HITL_CHANNEL_DECISIONS as 'open' | 'closed',
      expiryWarningSeconds: parsed.HITL_EXPIRY_WARNING_SECONDS,
    },
    webhooks,
    audit: auditSettings(parsed),
    worker: { queueWarnSeconds: parsed.WORKER_QUEUE_WARN_SECONDS },
    sse: { heartbeatSeconds: parsed.SSE_HEARTBEAT_SECONDS, retryMs: parsed.SSE_RETRY_MS },
    log: { level: parsed.LOG_LEVEL, pretty: parsed.NODE_ENV === 'development' },
    demo: parsed.AURA_DEMO,
    shutdownGraceMs: parsed.SHUTDOWN_GRACE_MS,
  });
}

/**
 * The process environment, read here and nowhere else, over the `.env` file of the working
 * directory (`cp .env.example .env`): a variable set in the real environment wins over the file.
 */
export const loadAppConfigFromProcess = (dir: string = process.cwd()): AppConfig => loadAppConfig({ ...readEnvFile(dir), ...process.env });
