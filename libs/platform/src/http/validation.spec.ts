import { IsString } from 'class-validator';
import { MAX_INPUT_DEPTH } from '@runway/contracts';
import { DomainError } from '../errors';
import { validationPipe } from './validation';

class Body {
  @IsString() name!: string;
}

describe('validationPipe', () => {
  const pipe = validationPipe();
  const meta = { type: 'body' as const, metatype: Body, data: undefined };

  it('answers a body nested 10,000 levels deep with a validation error, not a stack overflow (found by the fuzz suite)', async () => {
    const deep = JSON.parse('{"name":"x","a":' + '['.repeat(10_000) + ']'.repeat(10_000) + '}');
    const err = await pipe.transform(deep, meta).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({ code: 'VALIDATION_FAILED', details: { fields: [{ field: 'body', errors: [`nested more than ${MAX_INPUT_DEPTH} levels deep`] }] } });
  });

  it('leaves arguments that are not input alone, however deep (an event handler\'s context)', async () => {
    const ctx: Record<string, unknown> = {};
    ctx.self = ctx;
    await expect(pipe.transform(ctx, { type: 'custom', metatype: Object, data: undefined })).resolves.toBe(ctx);
  });

  it('still names unknown and bad fields of ordinary bodies', async () => {
    const err = await pipe.transform({ name: 3, extra: { a: { b: 1 } } }, meta).catch((e: unknown) => e);
    expect((err as DomainError).details?.fields?.map((f) => f.field).sort()).toEqual(['extra', 'name']);
  });
});
