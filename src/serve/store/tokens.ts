/**
 * API tokens: random 32-byte secrets shown once at creation, stored only as SHA-256 hashes with
 * their scopes. A token looks like `spoor_<id>_<secret>`; the id lets `token list/revoke` name it.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from './db.js';

/**
 * `ingest`: send events. `read`: alerts, rules, health details. `triage`: an alert's status,
 * notes and assignee (implies read). `admin`: rules on/off, exceptions, reloads (implies all).
 */
export const SCOPES = ['ingest', 'read', 'triage', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export interface TokenInfo {
  id: string;
  scopes: Scope[];
  name: string | null;
  createdAt: string;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class TokenStore {
  constructor(private readonly db: Db) {}

  create(scopes: Scope[], name?: string): { token: string; info: TokenInfo } {
    const id = randomBytes(6).toString('hex');
    const token = `spoor_${id}_${randomBytes(32).toString('base64url')}`;
    const now = Date.now();
    this.db.prepare('INSERT INTO tokens (id, hash, scopes, name, created_ms) VALUES (?, ?, ?, ?, ?)').run(id, hashToken(token), scopes.join(','), name ?? null, now);
    return { token, info: { id, scopes, name: name ?? null, createdAt: new Date(now).toISOString() } };
  }

  /** Scopes of a presented secret, or null when unknown. */
  lookup(secret: string): Scope[] | null {
    const r = this.db.prepare('SELECT scopes FROM tokens WHERE hash = ?').get(hashToken(secret)) as { scopes: string } | undefined;
    return r ? (r.scopes.split(',').filter(Boolean) as Scope[]) : null;
  }

  /** Id and name of a presented secret (who wrote a note), or null when unknown. */
  identify(secret: string): { id: string; name: string | null } | null {
    const r = this.db.prepare('SELECT id, name FROM tokens WHERE hash = ?').get(hashToken(secret)) as { id: string; name: string | null } | undefined;
    return r ?? null;
  }

  list(): TokenInfo[] {
    const rows = this.db.prepare('SELECT id, scopes, name, created_ms FROM tokens ORDER BY created_ms').all() as { id: string; scopes: string; name: string | null; created_ms: number }[];
    return rows.map((r) => ({ id: r.id, scopes: r.scopes.split(',') as Scope[], name: r.name, createdAt: new Date(r.created_ms).toISOString() }));
  }

  revoke(id: string): boolean {
    return this.db.prepare('DELETE FROM tokens WHERE id = ?').run(id).changes > 0;
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM tokens').get() as { n: number }).n;
  }
}
