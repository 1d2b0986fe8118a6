/**
 * Every HTTP route is closed unless marked otherwise: a bearer token is required, and it must
 * grant one of the route's roles. An unannotated read needs `viewer` (any role can read); an
 * unannotated write needs `admin`, so a write route someone forgot to annotate is closed, not
 * open. `admin` passes everywhere. The bootstrap admin token is compared by hash.
 */
import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Role } from '@runway/contracts';
import { DomainError } from '../errors';
import { type Principal, PUBLIC_KEY, ROLES_KEY } from './auth.decorators';
import { hashToken, type TokenRepository } from './token.repository';

export interface AuthSettings {
  adminTokenHash?: string;
  publicReads: boolean;
}

@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenRepository,
    private readonly settings: AuthSettings,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const req = ctx.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; method: string; principal?: Principal }>();
    const isRead = req.method === 'GET' || req.method === 'HEAD';
    const required = this.reflector.getAllAndOverride<Role[]>(ROLES_KEY, targets) ?? (isRead ? ['viewer'] : ['admin']);

    const header = req.headers['authorization'] ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) {
      if (this.settings.publicReads && isRead && required.length === 1 && required[0] === 'viewer') return true;
      throw new DomainError('UNAUTHENTICATED', 'a bearer token is required (Authorization: Bearer <token>)');
    }
    const principal = await this.resolve(match[1]);
    if (!principal) throw new DomainError('UNAUTHENTICATED', 'unknown or revoked token');
    req.principal = principal;
    if (principal.roles.includes('admin')) return true;
    if (required.includes('viewer') && principal.roles.length > 0) return true;
    if (required.some((r) => principal.roles.includes(r))) return true;
    throw new DomainError('FORBIDDEN', `this action needs the role ${required.join(' or ')}; the token has ${principal.roles.join(', ')}`);
  }

  private async resolve(secret: string): Promise<Principal | null> {
    const sha = hashToken(secret);
    if (this.settings.adminTokenHash && sha === this.settings.adminTokenHash) {
      return { tokenId: 'bootstrap-admin', name: 'bootstrap admin', roles: ['admin'] };
    }
    return this.tokens.findByHash(sha);
  }
}
