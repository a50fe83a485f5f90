import { BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';

/** Whitelisted, transformed DTOs; a 400 is one readable sentence, like every other 400 of the service. */
export const createValidationPipe = (): ValidationPipe =>
  new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    exceptionFactory: (errors: ValidationError[]) =>
      new BadRequestException(errors.flatMap((e) => Object.values(e.constraints ?? {})).join('; ') || 'Invalid input'),
  });
