/** Pieces shared by the pages. */
import type { ReactNode } from 'react';
import { revisionLabel, revisionPath } from './format';
import { Link } from './router';

export function Section({ title, children, id, actions }: { title: string; children: ReactNode; id?: string; actions?: ReactNode }) {
  const headingId = `${id ?? title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-heading`;
  return (
    <section className="card" aria-labelledby={headingId}>
      <div className="card-head">
        <h2 id={headingId}>{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

export function Problem({ message }: { message: string | undefined }) {
  return message ? (
    <p className="problem" role="alert">
      {message}
    </p>
  ) : null;
}

export function Loading({ what }: { what: string }) {
  return <p className="muted" aria-busy="true">Loading {what}…</p>;
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="muted">{children}</p>;
}

export function Badge({ kind, children, title }: { kind: string; children: ReactNode; title?: string }) {
  return (
    <span className={`badge badge-${kind}`} title={title}>
      {children}
    </span>
  );
}

/**
 * A revision wherever a page shows one, linking to its story (the Revision page): "r5
 * (0123456789)" unless the page words it otherwise. Plain text when it has neither sha nor revno.
 */
export function RevisionLink({ rev, children, label }: { rev: { revno?: number | null; sha?: string | null }; children?: ReactNode; label?: string }) {
  const to = revisionPath(rev);
  const text = children ?? revisionLabel({ revno: rev.revno ?? null, sha: rev.sha ?? null });
  return to ? (
    <Link to={to} className="revision-link" aria-label={label}>
      {text}
    </Link>
  ) : (
    <>{text}</>
  );
}
