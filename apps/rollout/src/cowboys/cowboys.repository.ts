/** Where rollout keeps cowboys. Only one live cowboy per server and patch. */
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';

export interface CowboyRow {
  id: string;
  host: string;
  patch_hash: string;
  description: string | null;
  reason: string | null;
  applied_by: string;
  applied_at: Date;
  policy: 'hold' | 'carry';
  fixed_by: string | null;
  detected: boolean;
  status: 'applied' | 'retired';
  retired_at: Date | null;
  retired_by_revision: string | null;
  retired_reason: string | null;
}

@Injectable()
export class CowboysRepository {
  constructor(@Inject(DataSource) private readonly ds: DataSource) {}

  transaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.ds.transaction(fn);
  }

  /** Records a cowboy, or completes what is known of a live one (a fix, a policy, a reason). */
  async record(
    em: EntityManager,
    c: { host: string; patchHash: string; description?: string | null; reason?: string | null; appliedBy: string; appliedAt: Date; policy?: 'hold' | 'carry' | null; fixedBy?: string | null; detected: boolean },
  ): Promise<CowboyRow> {
    const [row]: CowboyRow[] = await em.query(
      `INSERT INTO cowboys (id, host, patch_hash, description, reason, applied_by, applied_at, policy, fixed_by, detected)
       VALUES ($1, $2, $3, $4, $5, $6, $7, coalesce($8, 'hold'), $9, $10)
       ON CONFLICT (host, patch_hash) WHERE status = 'applied' DO UPDATE SET
         description = coalesce(EXCLUDED.description, cowboys.description),
         reason = coalesce($5, cowboys.reason),
         policy = coalesce($8, cowboys.policy),
         fixed_by = coalesce(EXCLUDED.fixed_by, cowboys.fixed_by)
       RETURNING *`,
      [randomUUID(), c.host, c.patchHash, c.description ?? null, c.reason ?? null, c.appliedBy, c.appliedAt, c.policy ?? null, c.fixedBy ?? null, c.detected],
    );
    return row;
  }

  live(em: EntityManager | null, hosts?: string[]): Promise<CowboyRow[]> {
    return (em ?? this.ds.manager).query(
      `SELECT * FROM cowboys WHERE status = 'applied' ${hosts ? 'AND host = ANY($1)' : ''} ORDER BY applied_at`,
      hosts ? [hosts] : [],
    );
  }

  get(em: EntityManager | null, id: string): Promise<CowboyRow | undefined> {
    return (em ?? this.ds.manager).query(`SELECT * FROM cowboys WHERE id = $1`, [id]).then((r: CowboyRow[]) => r[0]);
  }

  async update(em: EntityManager, id: string, set: { fixedBy?: string; policy?: 'hold' | 'carry' }): Promise<CowboyRow | undefined> {
    const rows: [CowboyRow[], number] = await em.query(
      `UPDATE cowboys SET fixed_by = coalesce($2, fixed_by), policy = coalesce($3, policy) WHERE id = $1 AND status = 'applied' RETURNING *`,
      [id, set.fixedBy ?? null, set.policy ?? null],
    );
    return rows[0][0];
  }

  async retire(em: EntityManager, id: string, reason: string, revision: string | null): Promise<CowboyRow | undefined> {
    const rows: [CowboyRow[], number] = await em.query(
      `UPDATE cowboys SET status = 'retired', retired_at = now(), retired_reason = $2, retired_by_revision = $3
        WHERE id = $1 AND status = 'applied' RETURNING *`,
      [id, reason, revision],
    );
    return rows[0][0];
  }

  list(status?: 'applied' | 'retired'): Promise<CowboyRow[]> {
    return this.ds.query(`SELECT * FROM cowboys ${status ? 'WHERE status = $1' : ''} ORDER BY applied_at DESC LIMIT 1000`, status ? [status] : []);
  }

}
