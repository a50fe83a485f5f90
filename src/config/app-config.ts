import type { RedisSettings } from './redis-config';
import type { AuditSettings, WebhookSettings } from './webhook-config';

export type AgentKind = 'demo' | 'openai' | 'worker';
export type RunAccess = 'tenant' | 'owner';

/** What one run of the LLM agent may hold or receive; beyond any of them the run fails with its own code. */
export interface LlmBounds {
  /** Tool calls in one model turn. */
  readonly maxToolCalls: number;
  /** One tool call's arguments, UTF-8 bytes. */
  readonly maxToolArgsBytes: number;
  /** One model answer (its text and every call's arguments), UTF-8 bytes. */
  readonly maxAnswerBytes: number;
  /** The agent state (the conversation) as JSON, UTF-8 bytes. */
  readonly maxStateBytes: number;
}

/** The validated configuration, grouped by concern. Built once at start-up by loadAppConfig(); injected everywhere else. */
export interface AppConfigValues {
  readonly http: {
    readonly port: number;
    readonly apiPrefix: string;
    /** Browser origins answered with CORS headers (and preflights); empty = CORS off. */
    readonly corsOrigins: readonly string[];
  };
  readonly auth: {
    readonly jwtSecret: string;
    /** True when JWT_SECRET was generated for a demo start: only then does the service hand out tokens. */
    readonly secretGenerated: boolean;
  };
  /** target null = in-process bus and stores: one instance only. */
  readonly redis: RedisSettings;
  readonly runs: {
    /** How long an instance's lease on its runs lasts without a heartbeat. */
    readonly leaseMs: number;
    readonly ttlSeconds: number;
    readonly eventsBroadcast: boolean;
    /** Longest wait before streamed text (deltas) is written. */
    readonly streamFlushMs: number;
  };
  readonly agent: {
    readonly kind: AgentKind;
    readonly demoStepDelayMs: number;
    /** The OpenAI-compatible endpoint of AGENT=openai. */
    readonly llm: {
      readonly baseUrl: string;
      readonly model: string;
      readonly apiKey: string | null;
      /** Longest silence of the endpoint within one call. */
      readonly timeoutMs: number;
      /** Longest one call may take, however steadily the endpoint streams. */
      readonly callTimeoutMs: number;
      /** Sent as max_tokens. */
      readonly maxTokens: number;
      readonly bounds: LlmBounds;
    };
    /** Tools that need a human's approval before they run. */
    readonly hitlTools: readonly string[];
  };
  readonly access: {
    /** Role needed to decide (and to see the whole tenant's inbox and runs); null = any user of the tenant. */
    readonly approverRole: string | null;
    /** May the user who started a run decide its requests (false = four-eyes rule). */
    readonly selfApproval: boolean;
    /** Who may watch, read the signals of and cancel a run: any user of its tenant, or its owner and approvers. */
    readonly runAccess: RunAccess;
  };
  /** Unfinished runs per user and tenant (across instances); open streams per user (on one instance). */
  readonly limits: { readonly activeRunsPerUser: number; readonly activeRunsPerTenant: number; readonly streamsPerUser: number };
  readonly hitl: {
    readonly timeoutSeconds: number;
    /** open: anyone who can publish on hitl:channel:* decides (v1); closed: only the HTTP routes decide. */
    readonly channelDecisions: 'open' | 'closed';
    /** How long before its deadline a pending request is announced as hitl.expiring (0 = never). */
    readonly expiryWarningSeconds: number;
  };
  readonly webhooks: WebhookSettings;
  readonly audit: AuditSettings;
  /** AGENT=worker: warn when a run has waited this long in the ready queue (no worker claims it). */
  readonly worker: { readonly queueWarnSeconds: number };
  readonly sse: { readonly heartbeatSeconds: number; readonly retryMs: number };
  readonly log: { readonly level: string; readonly pretty: boolean };
  /** Demo mode: a generated secret when none is set, a ready-made token printed at start-up. */
  readonly demo: boolean;
  readonly shutdownGraceMs: number;
}

// The class is the DI token; the interface of the same name gives it the typed fields.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface AppConfig extends AppConfigValues {}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class AppConfig {
  constructor(values: AppConfigValues) {
    Object.assign(this, values);
  }
}
