import { BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';

/**
 * Every failed constraint, nested ones included, each naming where it failed: a nested DTO's errors
 * sit in `children` with no constraints of their own, which alone read as "Invalid input".
 */
export function validationMessages(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((e) => {
    const path = parent ? (/^\d+$/.test(e.property) ? `${parent}[${e.property}]` : `${parent}.${e.property}`) : e.property;
    const own = Object.values(e.constraints ?? {}).map((m) => (parent ? `${path}: ${m}` : m));
    return [...own, ...validationMessages(e.children ?? [], path)];
  });
}

/** Whitelisted, transformed DTOs; a 400 is one readable sentence, like every other 400 of the service. */
export const createValidationPipe = (): ValidationPipe =>
  new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    exceptionFactory: (errors: ValidationError[]) => new BadRequestException(validationMessages(errors).join('; ') || 'Invalid input'),
  });
