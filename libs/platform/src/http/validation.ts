/** The ValidationPipe every service uses: unknown fields rejected, and a 400 that names each bad field. */
import { type ArgumentMetadata, ValidationPipe, type ValidationError } from '@nestjs/common';
import { MAX_INPUT_DEPTH, nestedDeeperThan } from '@runway/contracts';
import { DomainError, type FieldError } from '../errors';

function flatten(errors: ValidationError[], path = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors) {
    const field = path ? `${path}.${e.property}` : e.property;
    if (e.constraints) out.push({ field, errors: Object.values(e.constraints) });
    if (e.children?.length) out.push(...flatten(e.children, field));
  }
  return out;
}

/**
 * Refuses a request body, query or parameter nested deeper than MAX_INPUT_DEPTH before
 * class-transformer recurses into it. Other arguments (an event handler's context) are not input.
 */
class RunwayValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type !== 'custom' && nestedDeeperThan(value)) {
      const field = metadata.data ?? metadata.type;
      const problem = `nested more than ${MAX_INPUT_DEPTH} levels deep`;
      throw new DomainError('VALIDATION_FAILED', `${field}: ${problem}`, { fields: [{ field, errors: [problem] }] });
    }
    return super.transform(value, metadata);
  }
}

export function validationPipe(): ValidationPipe {
  return new RunwayValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: true,
    exceptionFactory: (errors) => {
      const fields = flatten(errors);
      return new DomainError('VALIDATION_FAILED', fields.map((f) => `${f.field}: ${f.errors.join(', ')}`).join('; '), { fields });
    },
  });
}
