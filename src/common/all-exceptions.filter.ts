import { ArgumentsHost, Catch, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { Response } from 'express';

/** Errors that mean Redis cannot be reached right now (ioredis with its offline queue disabled, or mid-reconnect). */
function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const name = err.name;
  const msg = err.message;
  return (
    name === 'MaxRetriesPerRequestError' ||
    /Stream isn't writeable|Connection is closed|ECONNREFUSED|ECONNRESET|ETIMEDOUT|LOADING|READONLY|MASTERDOWN/.test(msg)
  );
}

/**
 * Turns the errors that are not HttpExceptions into clear answers: a malformed body is 400, Redis
 * being unreachable is 503 (nothing was half-written: every change is one atomic script), and
 * only a real bug is 500 (logged with its stack).
 */
@Catch()
export class AllExceptionsFilter extends BaseExceptionFilter {
  private readonly logger = new Logger('Errors');

  override catch(exception: unknown, host: ArgumentsHost): void {
    if (exception instanceof HttpException || host.getType() !== 'http') return super.catch(exception, host);
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) {
      this.logger.error(`Error after the response started: ${String(exception)}`);
      return void res.end();
    }
    const status = (exception as { status?: number; type?: string })?.status;
    const type = (exception as { type?: string })?.type;
    if (type === 'entity.parse.failed') return this.reply(res, 400, 'Malformed JSON body');
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return this.reply(res, status, exception instanceof Error ? exception.message : 'Bad request');
    }
    if (isRedisUnavailable(exception)) {
      this.logger.warn(`Redis unavailable: ${(exception as Error).message}`);
      return this.reply(res, 503, 'Redis is unavailable; nothing was changed. Try again shortly.');
    }
    this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    return this.reply(res, 500, 'Internal server error');
  }

  private reply(res: Response, statusCode: number, message: string): void {
    const error = HttpStatus[statusCode]?.toString().replace(/_/g, ' ').toLowerCase().replace(/\b\w/g, (c) => c.toUpperCase());
    res.status(statusCode).json({ statusCode, message, error: error ?? 'Error' });
  }
}
