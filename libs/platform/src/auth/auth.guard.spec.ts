import 'reflect-metadata';
import { createHash } from 'node:crypto';
import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Role } from '@runway/contracts';
import { DomainError } from '../errors';
import { type Principal, Public, Roles } from './auth.decorators';
import { AuthGuard } from './auth.guard';
import { Authenticator, type AuthSettings } from './authenticator';
import { hashToken, newTokenSecret, type TokenRepository } from './token.repository';

class RoutesController {
  unannotated(): void {}
  @Public() health(): void {}
  @Roles('operator') deploy(): void {}
  @Roles('qa', 'operator') review(): void {}
}

type Route = keyof RoutesController;
type Request = { headers: Record<string, string | undefined>; method: string; principal?: Principal };

/** Tokens by secret, looked up by hash as the real repository does. */
function fakeTokens(tokens: Record<string, Role[]>): TokenRepository {
  const byHash = new Map(Object.entries(tokens).map(([secret, roles]) => [hashToken(secret), { tokenId: secret, name: secret, roles }]));
  return { findByHash: async (sha: string) => byHash.get(sha) ?? null } as unknown as TokenRepository;
}

function context(route: Route, req: Request): ExecutionContext {
  return {
    getType: () => 'http',
    getHandler: () => RoutesController.prototype[route],
    getClass: () => RoutesController,
    switchToHttp: () => ({ getRequest: () => req }),
  } as unknown as ExecutionContext;
}

const ADMIN_SECRET = 'bootstrap-admin-secret-of-enough-length';

function guard(settings: Partial<AuthSettings> = {}): AuthGuard {
  const tokens = fakeTokens({ 'tok-viewer': ['viewer'], 'tok-qa': ['qa'], 'tok-operator': ['operator'], 'tok-admin': ['admin'] });
  return new AuthGuard(new Reflector(), new Authenticator(tokens, { publicReads: false, adminTokenHash: hashToken(ADMIN_SECRET), ...settings }));
}

function request(token?: string, method = 'GET'): Request {
  return { headers: token ? { authorization: `Bearer ${token}` } : {}, method };
}

async function refusal(g: AuthGuard, route: Route, req: Request): Promise<DomainError> {
  const error = await g.canActivate(context(route, req)).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

describe('AuthGuard', () => {
  it('lets anyone through a @Public route, without a token', async () => {
    await expect(guard().canActivate(context('health', request(undefined, 'POST')))).resolves.toBe(true);
  });

  it('refuses a missing, malformed or unknown token as UNAUTHENTICATED', async () => {
    expect((await refusal(guard(), 'unannotated', request())).code).toBe('UNAUTHENTICATED');
    expect((await refusal(guard(), 'unannotated', { headers: { authorization: 'Basic abc' }, method: 'GET' })).code).toBe('UNAUTHENTICATED');
    expect((await refusal(guard(), 'unannotated', request('tok-nobody'))).code).toBe('UNAUTHENTICATED');
  });

  it('refuses the wrong role as FORBIDDEN, naming the role needed', async () => {
    const error = await refusal(guard(), 'deploy', request('tok-qa', 'POST'));
    expect(error.code).toBe('FORBIDDEN');
    expect(error.message).toContain('operator');
    expect((await refusal(guard(), 'deploy', request('tok-viewer', 'POST'))).code).toBe('FORBIDDEN');
  });

  it('lets the right role through and sets req.principal', async () => {
    for (const token of ['tok-operator', 'tok-qa']) {
      const req = request(token, 'POST');
      await expect(guard().canActivate(context('review', req))).resolves.toBe(true);
      expect(req.principal).toMatchObject({ tokenId: token });
    }
  });

  it('lets admin through anything', async () => {
    for (const route of ['unannotated', 'deploy', 'review'] as const) {
      await expect(guard().canActivate(context(route, request('tok-admin', 'POST')))).resolves.toBe(true);
    }
  });

  it('accepts the bootstrap admin token by its hash', async () => {
    const req = request(ADMIN_SECRET, 'POST');
    await expect(guard().canActivate(context('deploy', req))).resolves.toBe(true);
    expect(req.principal).toMatchObject({ tokenId: 'bootstrap-admin', roles: ['admin'] });
    expect((await refusal(guard({ adminTokenHash: undefined }), 'deploy', request(ADMIN_SECRET, 'POST'))).code).toBe('UNAUTHENTICATED');
  });

  it('lets any role read an unannotated route', async () => {
    for (const token of ['tok-viewer', 'tok-qa', 'tok-operator']) {
      await expect(guard().canActivate(context('unannotated', request(token)))).resolves.toBe(true);
    }
  });

  it('closes an unannotated write to everyone but admin', async () => {
    for (const token of ['tok-viewer', 'tok-qa', 'tok-operator']) {
      expect((await refusal(guard(), 'unannotated', request(token, 'POST'))).code).toBe('FORBIDDEN');
    }
    await expect(guard().canActivate(context('unannotated', request('tok-admin', 'POST')))).resolves.toBe(true);
  });

  it('with RUNWAY_PUBLIC_READS, lets an anonymous GET through an unannotated route only', async () => {
    const open = guard({ publicReads: true });
    await expect(open.canActivate(context('unannotated', request()))).resolves.toBe(true);
    expect((await refusal(open, 'unannotated', request(undefined, 'POST'))).code).toBe('UNAUTHENTICATED');
    expect((await refusal(open, 'deploy', request())).code).toBe('UNAUTHENTICATED');
  });
});

describe('token secrets', () => {
  it('hashes a token as SHA-256 hex', () => {
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hashToken('rwy_x')).toBe(createHash('sha256').update('rwy_x').digest('hex'));
  });

  it('makes a new secret of rwy_ and 43 base64url characters each time', () => {
    const a = newTokenSecret();
    const b = newTokenSecret();
    expect(a).toMatch(/^rwy_[A-Za-z0-9_-]{43}$/);
    expect(b).toMatch(/^rwy_[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
  });
});
