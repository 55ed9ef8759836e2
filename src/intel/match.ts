/** Matching an event's hashes (ECS view) against the index. */
import { getField, type Event } from '../events/field.js';
import { HASH_FIELDS, SYSMON_HASHES_FIELD } from './fields.js';
import { hashAlgorithm, normalizeHash, type HashIndex } from './hashes.js';
import type { IntelMatch } from './types.js';

function values(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return [];
}

/** Every listed hash of `ev`, once per (hash, feed, name). */
export function matchEvent(ev: Event, index: HashIndex): IntelMatch[] {
  if (index.size === 0) return [];
  const out: IntelMatch[] = [];
  const seen = new Set<string>();
  const check = (raw: string, field: string): void => {
    const h = normalizeHash(raw);
    if (!h) return;
    for (const e of index.lookup(h)) {
      const key = `${h}\u0000${e.feed}\u0000${e.name ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ ...e, tags: [...e.tags], hash: h, algorithm: hashAlgorithm(h)!, field });
    }
  };
  for (const f of HASH_FIELDS) for (const v of values(getField(ev, f.path))) check(v, f.path.join('.'));
  for (const text of values(getField(ev, SYSMON_HASHES_FIELD))) {
    for (const part of text.split(',')) {
      const eq = part.indexOf('=');
      if (eq < 0 || /^imphash$/i.test(part.slice(0, eq).trim())) continue;
      check(part.slice(eq + 1), `${SYSMON_HASHES_FIELD.join('.')}.${part.slice(0, eq).trim().toUpperCase()}`);
    }
  }
  return out;
}
