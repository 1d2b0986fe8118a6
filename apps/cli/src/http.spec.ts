import { ExitCode, exitCodeForStatus } from './exit-codes';
import { describeHttpError, withQuery } from './http';

describe('HTTP answers', () => {
  it('maps statuses to exit codes', () => {
    expect(exitCodeForStatus(401)).toBe(ExitCode.AUTH);
    expect(exitCodeForStatus(403)).toBe(ExitCode.AUTH);
    expect(exitCodeForStatus(404)).toBe(ExitCode.NOT_FOUND);
    expect(exitCodeForStatus(409)).toBe(ExitCode.CONFLICT);
    expect(exitCodeForStatus(422)).toBe(ExitCode.CONFLICT);
    expect(exitCodeForStatus(400)).toBe(ExitCode.ERROR);
    expect(exitCodeForStatus(503)).toBe(ExitCode.ERROR);
  });

  it('describes an error by service, status, code and message, with field errors', () => {
    expect(describeHttpError('promotion', 422, { statusCode: 422, error: 'UNPROCESSABLE', message: 'r9 has not been approved by QA' }))
      .toBe('promotion: 422 UNPROCESSABLE: r9 has not been approved by QA');
    expect(describeHttpError('qa-gate', 400, { statusCode: 400, error: 'VALIDATION_FAILED', message: 'invalid', fields: [{ field: 'sha', errors: ['too short'] }] }))
      .toBe('qa-gate: 400 VALIDATION_FAILED: invalid (sha: too short)');
    expect(describeHttpError('flags', 400, { code: 'INVALID_RULES', message: 'rejected' })).toBe('flags: 400 INVALID_RULES: rejected');
    expect(describeHttpError('rollout', 502, 'Bad Gateway')).toBe('rollout: 502: Bad Gateway');
  });

  it('tells where a token goes on 401', () => {
    expect(describeHttpError('qa-gate', 401, { error: 'UNAUTHENTICATED', message: 'unknown or revoked token' })).toMatch(/set RUNWAY_TOKEN/);
  });

  it('builds query strings, leaving out what is not set', () => {
    expect(withQuery('/revisions', { branch: 'stable', status: undefined, limit: 5, before: null, since: '' })).toBe('/revisions?branch=stable&limit=5');
    expect(withQuery('/rules', { flag: 'a b&c' })).toBe('/rules?flag=a+b%26c');
    expect(withQuery('/servers')).toBe('/servers');
  });
});
