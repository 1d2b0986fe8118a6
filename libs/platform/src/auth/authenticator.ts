/**
 * Who a bearer token belongs to, and whether that is enough for a route. Shared by the
 * AuthGuard (every Nest route) and the few hot routes served by Fastify directly.
 */
import type { Role } from '@runway/contracts';
import { DomainError } from '../errors';
import type { Principal } from './auth.decorators';
import { hashToken, type TokenRepository } from './token.repository';

export interface AuthSettings {
  adminTokenHash?: string;
  publicReads: boolean;
}

export class Authenticator {
  /**
   * What each `Authorization` header seen lately stands for: its token's hash (so a client that
   * sends the same token every request is hashed once), and whether it ever named a principal
   * (so the failed-authentication limit lets its holder through). Bounded: cleared at 10,000.
   */
  private readonly headers = new Map<string, { sha: string; proven: boolean }>();

  constructor(
    private readonly tokens: TokenRepository,
    private readonly settings: AuthSettings,
  ) {}

  get publicReads(): boolean {
    return this.settings.publicReads;
  }

  /** The principal of an `Authorization: Bearer` header, or null without one. Throws on a bad token. */
  async principal(authorization: string | undefined): Promise<Principal | null> {
    if (!authorization) return null;
    let seen = this.headers.get(authorization);
    if (seen === undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(authorization);
      if (!match) return null;
      if (this.headers.size >= 10_000) this.headers.clear();
      seen = { sha: hashToken(match[1]), proven: false };
      this.headers.set(authorization, seen);
    }
    const principal =
      this.settings.adminTokenHash && seen.sha === this.settings.adminTokenHash
        ? { tokenId: 'bootstrap-admin', name: 'bootstrap admin', roles: ['admin'] as Role[] }
        : await this.tokens.findByHash(seen.sha);
    if (!principal) throw new DomainError('UNAUTHENTICATED', 'unknown or revoked token');
    seen.proven = true;
    return principal;
  }

  /** True when this `Authorization` header has named a principal before (it may be revoked since). */
  provenBefore(authorization: string | undefined): boolean {
    return authorization !== undefined && this.headers.get(authorization)?.proven === true;
  }

  /** Throws unless `principal` holds one of `required` (admin holds all; any role can read). */
  authorize(principal: Principal | null, required: Role[]): Principal {
    if (!principal) throw new DomainError('UNAUTHENTICATED', 'a bearer token is required (Authorization: Bearer <token>)');
    if (principal.roles.includes('admin')) return principal;
    if (required.includes('viewer') && principal.roles.length > 0) return principal;
    if (required.some((r) => principal.roles.includes(r))) return principal;
    throw new DomainError('FORBIDDEN', `this action needs the role ${required.join(' or ')}; the token has ${principal.roles.join(', ')}`);
  }
}
