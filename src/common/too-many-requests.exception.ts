import { HttpException, HttpStatus } from '@nestjs/common';

/** 429 with a `Retry-After` header (seconds), which AllExceptionsFilter sets from `retryAfterSeconds`. */
export class TooManyRequestsException extends HttpException {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super({ statusCode: HttpStatus.TOO_MANY_REQUESTS, message, error: 'Too Many Requests' }, HttpStatus.TOO_MANY_REQUESTS);
  }
}
