/** The validated, typed configuration. Built once at start-up by loadAppConfig(); injected everywhere else. */
export class AppConfig {
  constructor(
    readonly port: number,
    readonly jwtSecret: string,
    /** null = in-process bus and store: one instance only. */
    readonly redisUrl: string | null,
    readonly hitlTimeoutSeconds: number,
    readonly sseHeartbeatSeconds: number,
    readonly apiPrefix: string,
    readonly eventsBroadcast: boolean,
    readonly demoStepDelayMs: number,
    readonly logLevel: string,
    readonly isDevelopment: boolean,
    /** Demo mode: a generated secret when none is set, and a ready-made token printed at start-up. */
    readonly demo: boolean,
    /** How long an instance's lease on its runs lasts without a heartbeat. */
    readonly runLeaseMs: number,
    readonly runTtlSeconds: number,
    readonly shutdownGraceMs: number,
    readonly sseRetryMs: number,
    /** True when JWT_SECRET was generated for a demo start. */
    readonly jwtSecretGenerated: boolean,
  ) {}
}
