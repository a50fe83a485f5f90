import { Type } from 'class-transformer';
import { IsString, MaxLength, ValidateNested } from 'class-validator';
import { createValidationPipe } from './validation.pipe';

class Inner {
  @IsString() @MaxLength(3) toolName!: string;
}
class Outer {
  @ValidateNested() @Type(() => Inner) approval!: Inner;
  @ValidateNested({ each: true }) @Type(() => Inner) items!: Inner[];
}

describe('createValidationPipe', () => {
  it('names the nested field that failed instead of "Invalid input"', async () => {
    const pipe = createValidationPipe();
    const body = { approval: { toolName: 'too long' }, items: [{ toolName: 'ok' }, { toolName: 7 }] };
    await expect(pipe.transform(body, { type: 'body', metatype: Outer })).rejects.toMatchObject({
      response: { message: 'approval.toolName: toolName must be shorter than or equal to 3 characters; items[1].toolName: toolName must be shorter than or equal to 3 characters; items[1].toolName: toolName must be a string' },
    });
  });
});
