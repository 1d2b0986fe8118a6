/**
 * This service's copy of the API-token registry (table `api_tokens` in its own schema). Issued
 * tokens reach every service through `token-issued` / `token-revoked` events, so each checks
 * tokens locally and no service reads another's tables. Only SHA-256 hashes are stored.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import type { Role } from '@runway/contracts';
import type { Principal } from './auth.decorators';

export function hashToken(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** A new secret: `rwy_` and 256 random bits. High entropy, so a plain SHA-256 is the right hash. */
export function newTokenSecret(): string {
  return `rwy_${randomBytes(32).toString('base64url')}`;
}

export interface TokenRecord {
  id: string;
  name: string;
  roles: Role[];
  host: string | null;
  sha256: string;
  issued_by: string;
  created_at: Date;
  revoked_at: Date | null;
}

export class TokenRepository {
  private readonly cache = new Map<string, { principal: Principal | null; until: number }>();

  constructor(private readonly ds: DataSource) {}

  async findByHash(sha256: string): Promise<Principal | null> {
    const hit = this.cache.get(sha256);
    if (hit && hit.until > Date.now()) return hit.principal;
    const rows: TokenRecord[] = await this.ds.query(
      `SELECT id, name, roles, host FROM api_tokens WHERE sha256 = $1 AND revoked_at IS NULL`,
      [sha256],
    );
    const principal = rows[0] ? { tokenId: rows[0].id, name: rows[0].name, roles: rows[0].roles, host: rows[0].host ?? undefined } : null;
    if (this.cache.size > 10_000) this.cache.clear();
    // An unknown token is remembered for a second only: a token issued at another service may
    // arrive here any moment (token-issued), and its holder is probably retrying.
    this.cache.set(sha256, { principal, until: Date.now() + (principal ? 5_000 : 1_000) });
    return principal;
  }

  async upsert(em: EntityManager, t: { id: string; name: string; roles: Role[]; host?: string; sha256: string; issuedBy: string }): Promise<void> {
    await em.query(
      `INSERT INTO api_tokens (id, name, roles, host, sha256, issued_by) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO NOTHING`,
      [t.id, t.name, t.roles, t.host ?? null, t.sha256, t.issuedBy],
    );
    // Someone may have tried the token here before it arrived: forget that it was unknown.
    this.cache.delete(t.sha256);
  }

  async revoke(em: EntityManager, id: string): Promise<boolean> {
    // TypeORM answers an UPDATE with [rows, affected].
    const [, affected]: [unknown[], number] = await em.query(`UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`, [id]);
    this.cache.clear();
    return affected > 0;
  }

  async list(): Promise<Omit<TokenRecord, 'sha256'>[]> {
    return this.ds.query(`SELECT id, name, roles, host, issued_by, created_at, revoked_at FROM api_tokens ORDER BY created_at`);
  }
}

export async function createAuthTables(q: QueryRunner): Promise<void> {
  await q.query(`
    CREATE TABLE api_tokens (
      id         uuid PRIMARY KEY,
      name       text NOT NULL,
      roles      text[] NOT NULL,
      host       text,
      sha256     char(64) NOT NULL,
      issued_by  text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      revoked_at timestamptz,
      CONSTRAINT api_tokens_sha256_key UNIQUE (sha256)
    )`);
}
