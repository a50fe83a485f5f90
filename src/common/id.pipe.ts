import { BadRequestException, PipeTransform } from '@nestjs/common';
import { ID_PATTERN, isValidId } from '../contract/ids';

export const ID_PATTERN_SOURCE = ID_PATTERN.source;

/** Validates a route or query id before it can reach a Redis name; `optional` lets an absent value through as undefined. */
export class IdPipe implements PipeTransform<unknown, string | undefined> {
  constructor(
    private readonly name: string,
    private readonly optional = false,
  ) {}

  transform(value: unknown): string | undefined {
    if ((value === undefined || value === '') && this.optional) return undefined;
    if (!isValidId(value)) throw new BadRequestException(`Invalid ${this.name}: must match ${ID_PATTERN_SOURCE}`);
    return value;
  }
}
