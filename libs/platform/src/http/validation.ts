/** The ValidationPipe every service uses: unknown fields rejected, and a 400 that names each bad field. */
import { ValidationPipe, type ValidationError } from '@nestjs/common';
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

export function validationPipe(): ValidationPipe {
  return new ValidationPipe({
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
