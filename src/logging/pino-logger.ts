import pino, { Logger } from 'pino';
import type { AppConfig } from '../config/app-config';
import { REDACTED_PATHS } from './log-fields';

/** The process's one pino logger: JSON lines on stdout (pretty only in development). */
export function createPinoLogger(config: AppConfig): Logger {
  return pino({
    level: config.log.level,
    redact: { paths: REDACTED_PATHS, censor: '[Redacted]' },
    transport: config.log.pretty ? { target: 'pino-pretty', options: { singleLine: true } } : undefined,
  });
}
