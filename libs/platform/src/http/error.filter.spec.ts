import { errorBody } from './error.filter';

/** A TypeORM QueryFailedError as Postgres raises it, without a database. */
function queryFailed(code: string, message: string): Error {
  return Object.assign(new Error(message), { name: 'QueryFailedError', code, driverError: Object.assign(new Error(message), { code }) });
}

describe('errorBody', () => {
  it('answers a value Postgres cannot take (a NUL byte in a path parameter, found by the fuzz suite) with a 400 naming it', () => {
    expect(errorBody(queryFailed('22021', 'invalid byte sequence for encoding "UTF8": 0x00'))).toEqual({
      statusCode: 400, error: 'VALIDATION_FAILED', message: 'a value in the request cannot be used: invalid byte sequence for encoding "UTF8": 0x00',
    });
    expect(errorBody(queryFailed('22P02', 'invalid input syntax for type uuid: "x"')).statusCode).toBe(400);
  });

  it('keeps other database failures a 500 without internals', () => {
    expect(errorBody(queryFailed('23505', 'duplicate key value violates unique constraint "x"'))).toEqual({ statusCode: 500, error: 'INTERNAL', message: 'internal error' });
    expect(errorBody(queryFailed('22012', 'division by zero'))).toEqual({ statusCode: 500, error: 'INTERNAL', message: 'internal error' });
  });
});
