import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsString, Matches, Max, Min } from 'class-validator';

/** Every environment variable the service reads, with its default. The only place that knows their names. */
export const ENV_DEFAULTS = {
  PORT: '3000',
  JWT_SECRET: '',
  REDIS_URL: '',
  HITL_TIMEOUT_SECONDS: '300',
  SSE_HEARTBEAT_SECONDS: '15',
  API_PREFIX: '',
  EVENTS_BROADCAST: 'true',
  DEMO_STEP_DELAY_MS: '300',
  LOG_LEVEL: 'info',
  NODE_ENV: 'production',
  AURA_DEMO: 'false',
  RUN_LEASE_MS: '5000',
  RUN_TTL_SECONDS: '86400',
  SHUTDOWN_GRACE_MS: '10000',
  SSE_RETRY_MS: '1000',
  AGENT: 'demo',
  LLM_BASE_URL: '',
  LLM_MODEL: '',
  LLM_API_KEY: '',
  LLM_TIMEOUT_MS: '60000',
  LLM_CALL_TIMEOUT_MS: '300000',
  LLM_MAX_TOKENS: '4096',
  LLM_MAX_TOOL_CALLS: '16',
  LLM_MAX_TOOL_ARGS_BYTES: '16384',
  LLM_MAX_ANSWER_BYTES: '262144',
  LLM_MAX_STATE_BYTES: '1048576',
  HITL_TOOLS: 'send_email',
  STREAM_FLUSH_MS: '50',
  HITL_APPROVER_ROLE: '',
  HITL_SELF_APPROVAL: 'true',
  HITL_CHANNEL_DECISIONS: 'open',
  RUN_ACCESS: 'tenant',
  MAX_ACTIVE_RUNS_PER_USER: '50',
  MAX_ACTIVE_RUNS_PER_TENANT: '5000',
  MAX_STREAMS_PER_USER: '100',
  REDIS_TLS_CA_FILE: '',
  REDIS_SENTINELS: '',
  REDIS_SENTINEL_MASTER: '',
  REDIS_CLUSTER_NODES: '',
  REDIS_WAIT_REPLICAS: '0',
  REDIS_WAIT_TIMEOUT_MS: '1000',
  CORS_ORIGINS: '',
  WORKER_QUEUE_WARN_SECONDS: '30',
  WEBHOOK_URLS: '',
  WEBHOOK_SECRET: '',
  WEBHOOK_TIMEOUT_MS: '5000',
  WEBHOOK_MAX_ATTEMPTS: '10',
  HITL_EXPIRY_WARNING_SECONDS: '60',
  AUDIT_RETENTION_DAYS: '400',
  AUDIT_ROLE: '',
} as const;

export type EnvName = keyof typeof ENV_DEFAULTS;
export const ENV_NAMES = Object.keys(ENV_DEFAULTS) as EnvName[];

const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value);
const toBool = ({ value }: { value: unknown }) => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  return value;
};

/** `host:port,host:port`, hosts as names, IPv4 or bracketed IPv6; empty = unset. */
const HOST_PORTS = /^$|^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):\d{1,5}(\s*,\s*(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):\d{1,5})*$/;

/** The raw environment after defaults, validated field by field. */
export class EnvSchema {
  @Transform(toInt) @IsInt() @Min(0) @Max(65535) PORT!: number;
  @IsString() JWT_SECRET!: string;
  @IsString() @Matches(/^$|^rediss?:\/\/\S+$/, { message: 'REDIS_URL must be a redis:// or rediss:// URL' }) REDIS_URL!: string;
  @Transform(toInt) @IsInt() @Min(1) @Max(86400) HITL_TIMEOUT_SECONDS!: number;
  @Transform(toInt) @IsInt() @Min(1) @Max(3600) SSE_HEARTBEAT_SECONDS!: number;
  @IsString() @Matches(/^([A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*)?$/, { message: 'API_PREFIX must be a path like "api" (no leading slash)' }) API_PREFIX!: string;
  @Transform(toBool) @IsBoolean({ message: 'EVENTS_BROADCAST must be true or false' }) EVENTS_BROADCAST!: boolean;
  @Transform(toInt) @IsInt() @Min(0) @Max(60000) DEMO_STEP_DELAY_MS!: number;
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) LOG_LEVEL!: string;
  @IsIn(['production', 'development', 'test']) NODE_ENV!: string;
  @Transform(toBool) @IsBoolean({ message: 'AURA_DEMO must be true or false' }) AURA_DEMO!: boolean;
  @Transform(toInt) @IsInt() @Min(500) @Max(600000) RUN_LEASE_MS!: number;
  @Transform(toInt) @IsInt() @Min(60) RUN_TTL_SECONDS!: number;
  @Transform(toInt) @IsInt() @Min(0) @Max(120000) SHUTDOWN_GRACE_MS!: number;
  @Transform(toInt) @IsInt() @Min(0) @Max(600000) SSE_RETRY_MS!: number;
  @IsIn(['demo', 'openai', 'worker'], { message: 'AGENT must be demo, openai or worker' }) AGENT!: string;
  @IsString() @Matches(/^$|^https?:\/\/\S+$/, { message: 'LLM_BASE_URL must be an http(s) URL' }) LLM_BASE_URL!: string;
  @IsString() @Matches(/^\S*$/, { message: 'LLM_MODEL must be a model name without spaces' }) LLM_MODEL!: string;
  @IsString() LLM_API_KEY!: string;
  @Transform(toInt) @IsInt() @Min(100) @Max(600000) LLM_TIMEOUT_MS!: number;
  @Transform(toInt) @IsInt() @Min(100) @Max(3600000) LLM_CALL_TIMEOUT_MS!: number;
  @Transform(toInt) @IsInt() @Min(1) @Max(1000000) LLM_MAX_TOKENS!: number;
  @Transform(toInt) @IsInt() @Min(1) @Max(256) LLM_MAX_TOOL_CALLS!: number;
  @Transform(toInt) @IsInt() @Min(256) @Max(1048576) LLM_MAX_TOOL_ARGS_BYTES!: number;
  @Transform(toInt) @IsInt() @Min(1024) @Max(16777216) LLM_MAX_ANSWER_BYTES!: number;
  @Transform(toInt) @IsInt() @Min(16384) @Max(16777216) LLM_MAX_STATE_BYTES!: number;
  @IsString() @Matches(/^([A-Za-z0-9_-]+(\s*,\s*[A-Za-z0-9_-]+)*)?$/, { message: 'HITL_TOOLS must be tool names separated by commas' }) HITL_TOOLS!: string;
  @Transform(toInt) @IsInt() @Min(1) @Max(5000) STREAM_FLUSH_MS!: number;
  @IsString() @Matches(/^[A-Za-z0-9:._-]{0,128}$/, { message: 'HITL_APPROVER_ROLE must be a role name' }) HITL_APPROVER_ROLE!: string;
  @Transform(toBool) @IsBoolean({ message: 'HITL_SELF_APPROVAL must be true or false' }) HITL_SELF_APPROVAL!: boolean;
  @IsIn(['open', 'closed'], { message: 'HITL_CHANNEL_DECISIONS must be open or closed' }) HITL_CHANNEL_DECISIONS!: string;
  @IsIn(['tenant', 'owner'], { message: 'RUN_ACCESS must be tenant or owner' }) RUN_ACCESS!: string;
  @Transform(toInt) @IsInt() @Min(1) @Max(1000000) MAX_ACTIVE_RUNS_PER_USER!: number;
  @Transform(toInt) @IsInt() @Min(1) @Max(10000000) MAX_ACTIVE_RUNS_PER_TENANT!: number;
  @Transform(toInt) @IsInt() @Min(1) @Max(1000000) MAX_STREAMS_PER_USER!: number;
  @IsString() REDIS_TLS_CA_FILE!: string;
  @IsString() @Matches(HOST_PORTS, { message: 'REDIS_SENTINELS must be host:port pairs separated by commas' }) REDIS_SENTINELS!: string;
  @IsString() @Matches(/^[A-Za-z0-9._-]{0,128}$/, { message: 'REDIS_SENTINEL_MASTER must be a master name' }) REDIS_SENTINEL_MASTER!: string;
  @IsString() @Matches(HOST_PORTS, { message: 'REDIS_CLUSTER_NODES must be host:port pairs separated by commas' }) REDIS_CLUSTER_NODES!: string;
  @Transform(toInt) @IsInt() @Min(0) @Max(16) REDIS_WAIT_REPLICAS!: number;
  @Transform(toInt) @IsInt() @Min(1) @Max(60000) REDIS_WAIT_TIMEOUT_MS!: number;
  // Origins exactly as a browser sends them (scheme, host, optional port; no path, no wildcard).
  @IsString() @Matches(/^(https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?(\s*,\s*https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?)*)?$/, {
    message: 'CORS_ORIGINS must be origins like https://app.example.com or http://localhost:5173, separated by commas',
  })
  CORS_ORIGINS!: string;
  @Transform(toInt) @IsInt() @Min(1) @Max(86400) WORKER_QUEUE_WARN_SECONDS!: number;
  @IsString() @Matches(/^(https?:\/\/[^\s,]+(\s*,\s*https?:\/\/[^\s,]+)*)?$/, { message: 'WEBHOOK_URLS must be http(s) URLs separated by commas' }) WEBHOOK_URLS!: string;
  @IsString() @Matches(/^$|^whsec_[A-Za-z0-9+/]+={0,2}$/, { message: 'WEBHOOK_SECRET must be whsec_ followed by base64' }) WEBHOOK_SECRET!: string;
  @Transform(toInt) @IsInt() @Min(100) @Max(60000) WEBHOOK_TIMEOUT_MS!: number;
  @Transform(toInt) @IsInt() @Min(1) @Max(100) WEBHOOK_MAX_ATTEMPTS!: number;
  @Transform(toInt) @IsInt() @Min(0) @Max(86400) HITL_EXPIRY_WARNING_SECONDS!: number;
  @Transform(toInt) @IsInt() @Min(1) @Max(36500) AUDIT_RETENTION_DAYS!: number;
  @IsString() @Matches(/^[A-Za-z0-9:._-]{0,128}$/, { message: 'AUDIT_ROLE must be a role name' }) AUDIT_ROLE!: string;
}
