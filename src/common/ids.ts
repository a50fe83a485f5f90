import { BadRequestException, PipeTransform } from '@nestjs/common';

/** Ids become parts of Redis key and channel names: nothing but this shape may get through. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const ID_PATTERN_SOURCE = ID_PATTERN.source;

export function isValidId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}

/** Validates a route or query id; `optional` lets an absent value through as undefined. */
export class IdPipe implements PipeTransform<unknown, string | undefined> {
  constructor(
    private readonly name: string,
    private readonly optional = false,
  ) {}

  transform(value: unknown): string | undefined {
    if ((value === undefined || value === '') && this.optional) return undefined;
    if (!isValidId(value)) {
      throw new BadRequestException(`Invalid ${this.name}: must match ${ID_PATTERN_SOURCE}`);
    }
    return value;
  }
}
