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

  it('answers 503, so the client tries again, when Postgres is away or aborted the transaction for a concurrent one', () => {
    const unavailable = { statusCode: 503, error: 'UNAVAILABLE', message: 'the database or the message broker is unavailable for a moment: try again' };
    // An immediate stop cuts queries in flight (seen in the cluster chaos run as a 500).
    expect(errorBody(new Error('Connection terminated unexpectedly'))).toEqual(unavailable);
    expect(errorBody(queryFailed('57P01', 'terminating connection due to administrator command'))).toEqual(unavailable);
    expect(errorBody(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toEqual(unavailable);
    expect(errorBody(new Error('timeout exceeded when trying to connect'))).toEqual(unavailable);
    expect(errorBody(queryFailed('40P01', 'deadlock detected'))).toEqual(unavailable);
    expect(errorBody(queryFailed('40001', 'could not serialize access due to concurrent update'))).toEqual(unavailable);
    // A lost NATS connection, from a route that publishes or asks NATS directly.
    expect(errorBody(Object.assign(new Error('closed connection'), { name: 'ClosedConnectionError' }))).toEqual(unavailable);
  });
});
