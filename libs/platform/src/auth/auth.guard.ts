/**
 * Every HTTP route is closed unless marked otherwise: a bearer token is required, and it must
 * grant one of the route's roles. An unannotated read needs `viewer` (any role can read); an
 * unannotated write needs `admin`, so a write route someone forgot to annotate is closed, not
 * open. `admin` passes everywhere. The bootstrap admin token is compared by hash.
 */
import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Actor, Role } from '@runway/contracts';
import { actAs } from '@runway/messaging';
import { type Principal, PUBLIC_KEY, ROLES_KEY } from './auth.decorators';
import type { Authenticator } from './authenticator';

@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: Authenticator,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const req = ctx.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; method: string; principal?: Principal }>();
    const isRead = req.method === 'GET' || req.method === 'HEAD';
    const required = this.reflector.getAllAndOverride<Role[]>(ROLES_KEY, targets) ?? (isRead ? ['viewer'] : ['admin']);
    const principal = await this.auth.principal(req.headers['authorization']);
    if (!principal && this.auth.publicReads && isRead && required.length === 1 && required[0] === 'viewer') return true;
    req.principal = this.auth.authorize(principal, required);
    actAs(actorOf(req.principal));
    return true;
  }
}

/** Who a token's holder is in the trail: an agent by its host, anyone else by the token's name and roles. */
export function actorOf(p: Principal): Actor {
  return p.host ? { name: p.host, kind: 'agent', roles: p.roles } : { name: p.name, kind: 'token', roles: p.roles };
}
