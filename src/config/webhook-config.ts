import { ConfigError } from './config-error';
import type { EnvSchema } from './env.schema';

export interface WebhookSettings {
  /** Empty = webhooks off. */
  readonly urls: readonly string[];
  /** `whsec_<base64>`, as the Standard Webhooks libraries take it; null when webhooks are off. */
  readonly secret: string | null;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
}

export interface AuditSettings {
  readonly retentionDays: number;
  /** Role needed to read the audit trail; null = as the inbox (any user of the tenant, or the approver role when set). */
  readonly role: string | null;
}

export function webhookSettings(parsed: EnvSchema): WebhookSettings {
  const urls = parsed.WEBHOOK_URLS.split(',').map((u) => u.trim()).filter(Boolean);
  for (const url of urls) {
    try {
      new URL(url);
    } catch {
      throw new ConfigError(`Invalid configuration: WEBHOOK_URLS has an entry that is not a URL (entry ${urls.indexOf(url) + 1})`);
    }
  }
  if (urls.length > 0 && !parsed.WEBHOOK_SECRET) {
    throw new ConfigError('Invalid configuration: WEBHOOK_SECRET (whsec_ followed by base64) is required when WEBHOOK_URLS is set');
  }
  // The secret's base64 part must decode to something to sign with.
  if (parsed.WEBHOOK_SECRET && Buffer.from(parsed.WEBHOOK_SECRET.slice('whsec_'.length), 'base64').length < 16) {
    throw new ConfigError('Invalid configuration: WEBHOOK_SECRET must carry at least 16 bytes of base64 after whsec_');
  }
  return { urls, secret: urls.length > 0 ? parsed.WEBHOOK_SECRET : null, timeoutMs: parsed.WEBHOOK_TIMEOUT_MS, maxAttempts: parsed.WEBHOOK_MAX_ATTEMPTS };
}

export const auditSettings = (parsed: EnvSchema): AuditSettings => ({ retentionDays: parsed.AUDIT_RETENTION_DAYS, role: parsed.AUDIT_ROLE || null });
