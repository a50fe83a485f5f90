import { ArgumentsHost, Catch, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { Response } from 'express';
import { StoreUnavailableError } from './store-errors';
import { TooManyRequestsException } from './too-many-requests.exception';

/**
 * Turns the errors that are not HttpExceptions into clear answers: a malformed body is 400, the
 * store being unreachable is 503 (nothing was half-written: every change is one atomic step), and
 * only a real bug is 500 (logged with its stack).
 */
@Catch()
export class AllExceptionsFilter extends BaseExceptionFilter {
  private readonly logger = new Logger('Errors');

  override catch(exception: unknown, host: ArgumentsHost): void {
    if (exception instanceof TooManyRequestsException && host.getType() === 'http') {
      const res = host.switchToHttp().getResponse<Response>();
      if (!res.headersSent) res.setHeader('Retry-After', String(exception.retryAfterSeconds));
    }
    if (exception instanceof HttpException || host.getType() !== 'http') return super.catch(exception, host);
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) {
      this.logger.error(`Error after the response started: ${String(exception)}`);
      return void res.end();
    }
    const status = (exception as { status?: number })?.status;
    const type = (exception as { type?: string })?.type;
    if (type === 'entity.parse.failed') return this.reply(res, 400, 'Malformed JSON body');
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return this.reply(res, status, exception instanceof Error ? exception.message : 'Bad request');
    }
    if (exception instanceof StoreUnavailableError) {
      this.logger.warn(exception.message);
      return this.reply(res, 503, exception.answer);
    }
    this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    return this.reply(res, 500, 'Internal server error');
  }

  private reply(res: Response, statusCode: number, message: string): void {
    const error = HttpStatus[statusCode]?.toString().replace(/_/g, ' ').toLowerCase().replace(/\b\w/g, (c) => c.toUpperCase());
    res.status(statusCode).json({ statusCode, message, error: error ?? 'Error' });
  }
}
